use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub title: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    // An option's filter is on the relation's targets: books, not authors.
    let _ = session
        .query::<Author>()
        .options(selectin(Author::BOOKS).filter(Author::NAME.eq("x")))
        .all()?;
    Ok(())
}
