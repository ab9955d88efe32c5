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
    pub title: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let _ = session
        .query::<Author>()
        .filter(Book::TITLE.eq("Dune"))
        .all()?;
    Ok(())
}
