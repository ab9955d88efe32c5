#![allow(non_snake_case)]

use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(column = "display_name")]
    pub Name: String,
}

fn main() {}
