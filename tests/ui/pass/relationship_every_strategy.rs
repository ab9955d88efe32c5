// Every strategy on a one-to-many collection, and `dynamic` on a `Dynamic`.
use eagerly::prelude::*;
use eagerly::{Dynamic, Many, Strategy};

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(lazy = "select")]
    pub by_select: Many<Book>,
    #[relationship(lazy = "joined")]
    pub by_joined: Many<Book>,
    #[relationship(lazy = "selectin")]
    pub by_selectin: Many<Book>,
    #[relationship(lazy = "bulk")]
    pub by_bulk: Many<Book>,
    #[relationship(lazy = "raise")]
    pub by_raise: Many<Book>,
    #[relationship(lazy = "noload")]
    pub by_noload: Many<Book>,
    #[relationship(lazy = "dynamic")]
    pub by_dynamic: Dynamic<Book>,
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
}

fn main() -> eagerly::Result<()> {
    let strategies = [
        (Author::BY_SELECT.meta().lazy(), Strategy::Select),
        (Author::BY_JOINED.meta().lazy(), Strategy::Joined),
        (Author::BY_SELECTIN.meta().lazy(), Strategy::Selectin),
        (Author::BY_BULK.meta().lazy(), Strategy::Bulk),
        (Author::BY_RAISE.meta().lazy(), Strategy::Raise),
        (Author::BY_NOLOAD.meta().lazy(), Strategy::Noload),
        (Author::BY_DYNAMIC.meta().lazy(), Strategy::Dynamic),
    ];
    for (mapped, expected) in strategies {
        assert_eq!(mapped, expected);
    }

    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    session.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')", &[])?;
    for (id, title) in [(1, "Dune"), (2, "Emma")] {
        session.execute(
            "INSERT INTO books (id, title, author_id) VALUES (?, ?, 1)",
            &[eagerly::Value::Integer(id), eagerly::Value::Text(title.into())],
        )?;
    }

    let ann = session.query::<Author>().one()?;
    // Eager strategies are loaded with the query; the others wait.
    assert_eq!(ann.by_joined.get()?.len(), 2);
    assert_eq!(ann.by_selectin.get()?.len(), 2);
    assert!(!ann.by_select.is_loaded());
    assert!(!ann.by_bulk.is_loaded());
    assert_eq!(session.load(Author::BY_SELECT, &ann)?.len(), 2);
    assert_eq!(session.load(Author::BY_BULK, &ann)?.len(), 2);
    assert!(session.load(Author::BY_RAISE, &ann).is_err());
    assert!(session.load(Author::BY_NOLOAD, &ann)?.is_empty());
    assert_eq!(session.dynamic(Author::BY_DYNAMIC, &ann).count()?, 2);
    Ok(())
}
