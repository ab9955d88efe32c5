// Cascades go on the side whose targets hold the foreign key; `on_delete`
// on the side that holds it; and only known words.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id", cascade = "delete, merge")]
    pub books: Many<Book>,
    #[relationship(foreign_key = "author_id", on_delete = "cascade")]
    pub drafts: Many<Book>,
}

#[derive(Entity)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id", cascade = "delete")]
    pub author: One<Author>,
    #[relationship(foreign_key = "author_id", on_delete = "set nul")]
    pub writer: One<Author>,
}

fn main() {}
