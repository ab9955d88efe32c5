use eagerly::Entity;

#[derive(Entity)]
pub struct Author;

fn main() {}
