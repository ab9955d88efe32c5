use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(secondary = "book_tags")]
    pub tag: One<Tag>,
}

#[derive(Entity)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() {}
