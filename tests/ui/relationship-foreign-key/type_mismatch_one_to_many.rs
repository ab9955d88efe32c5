// One-to-many: `Book::author_id` is a String, but `Author`'s key is an i64.
use eagerly::prelude::*;
use eagerly::Many;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: String,
}

fn main() {}
