// Nor does an option nested below another step take a `dynamic` relation.
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

#[derive(Entity)]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let _ = session
        .query::<Shelf>()
        .options(selectin(Shelf::AUTHOR).then(selectin(Author::BOOK_QUERY)))
        .all()?;
    Ok(())
}
