use eagerly::prelude::*;

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author_id: i64,
}

fn main() {}
