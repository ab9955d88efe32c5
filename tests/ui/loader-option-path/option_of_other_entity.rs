// A query of `Book` takes options rooted at `Book`, not at `Author`.
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

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let _ = session.query::<Book>().options(joined(Author::BOOKS)).all()?;
    Ok(())
}
