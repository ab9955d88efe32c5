// A many-to-many whose target does not derive Entity.
use eagerly::prelude::*;
use eagerly::Many;

pub struct Tag {
    pub id: i64,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(secondary = "book_tags", lazy = "joined")]
    pub tags: Many<Tag>,
}

fn main() {}
