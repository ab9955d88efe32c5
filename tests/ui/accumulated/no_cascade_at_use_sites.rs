// One mistake in the attributes must give one error, not one more at every
// place the entity is used.
use eagerly::prelude::*;

#[derive(Entity)]
#[orm(tabel = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META])?;
    let _ = session
        .query::<Author>()
        .filter(Author::NAME.eq("Ann"))
        .all()?;
    let _ = session.get::<Author>(1)?;
    Ok(())
}
