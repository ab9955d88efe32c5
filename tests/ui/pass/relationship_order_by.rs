// `order_by` with directions over several target fields.
use eagerly::prelude::*;
use eagerly::Many;

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(lazy = "selectin", order_by = "title desc, id")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Author::BOOKS.meta().order_by(), &[("title", true), ("id", false)]);
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    session.execute("INSERT INTO authors (id) VALUES (1)", &[])?;
    session.execute(
        "INSERT INTO books (id, title, author_id) VALUES (1, 'A', 1), (2, 'B', 1), (3, 'A', 1)",
        &[],
    )?;
    let author = session.query::<Author>().one()?;
    let ids: Vec<i64> = author.books.get()?.iter().map(|b| b.id).collect();
    assert_eq!(ids, [2, 1, 3]);
    Ok(())
}
