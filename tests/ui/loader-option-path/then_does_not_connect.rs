// `.then` continues from `Book`, so `Author::BOOKS` cannot follow `Author::BOOKS`.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub author: One<Author>,
}

fn main() {
    let _ = selectin(Author::BOOKS).then(joined(Author::BOOKS));
}
