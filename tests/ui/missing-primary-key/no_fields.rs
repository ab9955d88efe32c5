use eagerly::Entity;

#[derive(Entity)]
pub struct Empty {}

fn main() {}
