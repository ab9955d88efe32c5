// `author_id` is on `Book`, `edition` only on `Author`: a foreign key
// lives on one side.
use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(primary_key)]
    pub edition: i64,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id, edition")]
    pub author: One<Author>,
}

fn main() {}
