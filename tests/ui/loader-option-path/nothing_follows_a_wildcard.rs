use eagerly::prelude::*;
use eagerly::Strategy;

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
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    // A wildcard step reaches no one entity, so no step continues from it.
    let _ = session
        .query::<Author>()
        .options(all_relations(Strategy::Selectin).then(selectin(Book::AUTHOR)))
        .all()?;
    Ok(())
}
