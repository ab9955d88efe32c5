use eagerly::prelude::*;
use eagerly::Many;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(order_by = "titel")]
    pub books: Many<Book>,
}

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
}

fn main() {}
