// Many-to-one: `Edition`'s key is (book_id, number), but one column names it.
use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
pub struct Edition {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub number: i64,
}

#[derive(Entity)]
pub struct Copy {
    #[orm(primary_key)]
    pub id: i64,
    pub edition_id: i64,
    #[relationship(foreign_key = "edition_id")]
    pub edition: One<Edition>,
}

fn main() {}
