// A bare `#[relationship]` and a relation field with no attribute at all take
// every default: strategy `select`, foreign key `author_id`.
use eagerly::prelude::*;
use eagerly::{Many, One, Strategy};

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Author::BOOKS.meta().lazy(), Strategy::Select);
    assert_eq!(Author::BOOKS.meta().foreign_key(), &["author_id"]);
    assert_eq!(Book::AUTHOR.meta().lazy(), Strategy::Select);
    assert_eq!(Book::AUTHOR.meta().foreign_key(), &["author_id"]);
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    let ann = session.insert(Author { id: 0, name: "Ann".into(), books: Many::new() })?;
    let dune = session.insert(Book { id: 0, title: "Dune".into(), author_id: ann.id, author: One::new() })?;
    assert_eq!(session.load(Author::BOOKS, &ann)?[0].title, "Dune");
    assert_eq!(session.load(Book::AUTHOR, &dune)?.expect("author").name, "Ann");
    Ok(())
}
