use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    #[relationship(order_by = "name")]
    pub author: One<Author>,
}

fn main() {}
