// A mistake in a relationship attribute gives that one error, not one more
// at each query, loader option and load that uses the entity or the relation.
use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", lazzy = "selectin")]
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    let authors = session
        .query::<Author>()
        .filter(Author::NAME.eq("Ann"))
        .options(selectin(Author::BOOKS))
        .all()?;
    for author in &authors {
        let _ = session.load(Author::BOOKS, author)?;
    }
    let _ = session
        .query::<Book>()
        .options(joined(Book::AUTHOR).then(selectin(Author::BOOKS)))
        .all()?;
    Ok(())
}
