use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
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
    // A to-one relation takes `has`, not `any`.
    let _ = session
        .query::<Book>()
        .filter(Book::AUTHOR.any(Author::NAME.eq("Ann")))
        .all()?;
    Ok(())
}
