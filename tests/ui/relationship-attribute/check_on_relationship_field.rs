use eagerly::{Entity, One};

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[orm(check = "author_id > 0")]
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() {}
