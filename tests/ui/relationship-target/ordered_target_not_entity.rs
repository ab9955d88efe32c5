// A one-to-many with order_by whose target does not derive Entity: one
// error, at the target, not one per foreign-key or order_by field.
use eagerly::prelude::*;
use eagerly::Many;

pub struct Book {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
}

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id", order_by = "title desc, id")]
    pub books: Many<Book>,
}

fn main() {}
