use eagerly::prelude::*;

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Author::META.table(), "authors");
    assert_eq!(Author::ID.name(), "id");
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META])?;
    // A key-only entity with key 0: the database assigns the key
    // (INSERT ... DEFAULT VALUES).
    let ann = session.insert(Author { id: 0 })?;
    let bob = session.insert(Author { id: 0 })?;
    assert_eq!((ann.id, bob.id), (1, 2));
    let found = session.get::<Author>(ann.id)?.expect("inserted above");
    assert!(Handle::ptr_eq(&ann, &found));
    Ok(())
}
