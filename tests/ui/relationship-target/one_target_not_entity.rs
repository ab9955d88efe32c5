// Many-to-one whose target does not derive Entity.
use eagerly::prelude::*;
use eagerly::One;

pub struct Author {
    pub id: i64,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub author: One<Author>,
}

fn main() {}
