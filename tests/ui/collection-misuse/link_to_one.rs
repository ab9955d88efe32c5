// Linking through a to-one relation: it has no members to link.
use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Entity)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let book = Book { id: 1, author_id: 1, author: One::new() };
    let author = Handle::new(Author { id: 1 });
    session.link(Book::AUTHOR, &book, &author)?;
    Ok(())
}
