// Relations over a composite key: `foreign_key = "a, b"` on both sides.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity, Debug)]
pub struct Edition {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub number: i64,
    #[relationship(foreign_key = "edition_book_id, edition_number", order_by = "id")]
    pub printings: Many<Printing>,
}

#[derive(Entity, Debug)]
pub struct Printing {
    #[orm(primary_key)]
    pub id: i64,
    pub edition_book_id: i64,
    pub edition_number: i64,
    #[relationship(foreign_key = "edition_book_id, edition_number")]
    pub edition: One<Edition>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Edition::META, Printing::META])?;
    session.execute("INSERT INTO editions (book_id, number) VALUES (1, 1), (1, 2)", &[])?;
    session.execute(
        "INSERT INTO printings (id, edition_book_id, edition_number) VALUES (1, 1, 2), (2, 1, 2), (3, 1, 1)",
        &[],
    )?;
    let second = session.get::<Edition>((1, 2))?.expect("edition (1, 2)");
    let ids: Vec<i64> = session.load(Edition::PRINTINGS, &second)?.iter().map(|p| p.id).collect();
    assert_eq!(ids, [1, 2]);
    let third = session.get::<Printing>(3)?.expect("printing 3");
    let edition = session.load(Printing::EDITION, &third)?.expect("edition (1, 1)");
    assert_eq!((edition.book_id, edition.number), (1, 1));
    Ok(())
}
