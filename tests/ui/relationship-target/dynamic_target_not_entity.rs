// A dynamic relation whose target does not derive Entity.
use eagerly::prelude::*;

pub struct Book {
    pub id: i64,
    pub author_id: i64,
}

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id")]
    pub book_query: Dynamic<Book>,
}

fn main() {}
