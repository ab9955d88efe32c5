use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    // Recursion follows a relation from an entity back to itself.
    let _ = session
        .query::<Author>()
        .options(selectin_recursive(Author::BOOKS, None))
        .all()?;
    Ok(())
}
