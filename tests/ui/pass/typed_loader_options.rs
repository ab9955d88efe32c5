// Loader options whose paths connect compile, and override the mapping.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub author: One<Author>,
    #[relationship(secondary = "book_tags")]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META, Tag::META])?;
    session.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')", &[])?;
    session.execute("INSERT INTO books (id, title, author_id) VALUES (1, 'Dune', 1), (2, 'Emma', 1)", &[])?;
    session.execute("INSERT INTO tags (id, name) VALUES (1, 'sf')", &[])?;
    session.execute("INSERT INTO book_tags (book_id, tag_id) VALUES (1, 1), (2, 1)", &[])?;
    session.reset_statements();

    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
        .all()?;
    // Authors, then one statement for their books with the tags joined.
    assert_eq!(session.statement_count(), 2);
    let books = authors[0].books.get()?;
    assert_eq!(books.len(), 2);
    assert!(books.iter().all(|b| b.tags.get().is_ok_and(|t| t.len() == 1)));
    assert_eq!(session.statement_count(), 2);

    // Every option function takes any relation of the queried entity, and
    // `.then` takes several continuations.
    let _ = session
        .query::<Book>()
        .options(bulk(Book::AUTHOR).then(noload(Author::BOOKS)))
        .options(raise(Book::TAGS))
        .all()?;
    let _ = session
        .query::<Author>()
        .options(select(Author::BOOKS).then(joined(Book::AUTHOR)).then(selectin(Book::TAGS)))
        .all()?;
    Ok(())
}
