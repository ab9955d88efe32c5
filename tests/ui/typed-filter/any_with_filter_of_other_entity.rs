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
    pub title: String,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    // The condition inside `any` is on the target (Book), not the owner.
    let _ = session
        .query::<Author>()
        .filter(Author::BOOKS.any(Author::NAME.eq("Ann")))
        .all()?;
    Ok(())
}
