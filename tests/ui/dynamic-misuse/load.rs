// A `dynamic` relation is a query: `session.load` does not take it.
use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id")]
    pub book_query: Dynamic<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let author = session.insert(Author { id: 0, book_query: Dynamic::new() })?;
    let _ = session.load(Author::BOOK_QUERY, &author)?;
    Ok(())
}
