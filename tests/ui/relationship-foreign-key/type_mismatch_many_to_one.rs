// Many-to-one: `author_id` is a String, but `Author`'s key is an i64.
use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: String,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() {}
