use eagerly::Entity;

#[derive(Entity)]
pub struct Author(i64, String);

fn main() {}
