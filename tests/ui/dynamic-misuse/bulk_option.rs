// A `dynamic` relation is a query: the `bulk` loader option does not take it.
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
    let _ = session.query::<Author>().options(bulk(Author::BOOK_QUERY)).all()?;
    Ok(())
}
