// `innerjoin = true` with `joined`: an INNER JOIN instead of LEFT OUTER.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(lazy = "joined", innerjoin = true)]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    #[relationship(lazy = "joined", innerjoin = true)]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    assert!(Author::BOOKS.meta().innerjoin());
    assert!(Book::AUTHOR.meta().innerjoin());
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    session.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')", &[])?;
    session.execute("INSERT INTO books (id, title, author_id) VALUES (1, 'Dune', 1)", &[])?;
    let book = session.query::<Book>().one()?;
    assert_eq!(book.author.get()?.expect("joined").name, "Ann");
    Ok(())
}
