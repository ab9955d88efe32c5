// `chunk_size` bounds the IN list of `selectin` and `bulk`.
use eagerly::prelude::*;
use eagerly::Many;

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(lazy = "selectin", chunk_size = 2)]
    pub books: Many<Book>,
    #[relationship(lazy = "bulk", chunk_size = 1_000)]
    pub all_books: Many<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Author::BOOKS.meta().chunk_size(), 2);
    assert_eq!(Author::ALL_BOOKS.meta().chunk_size(), 1_000);
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    for id in 1..=5 {
        session.execute("INSERT INTO authors (id) VALUES (?)", &[eagerly::Value::Integer(id)])?;
        session.execute(
            "INSERT INTO books (id, author_id) VALUES (?, ?)",
            &[eagerly::Value::Integer(id), eagerly::Value::Integer(id)],
        )?;
    }
    session.reset_statements();
    let authors = session.query::<Author>().all()?;
    // The authors, then ceil(5 / 2) = 3 statements for their books.
    assert_eq!(session.statement_count(), 1 + 3);
    assert!(authors.iter().all(|a| a.books.get().is_ok_and(|b| b.len() == 1)));
    Ok(())
}
