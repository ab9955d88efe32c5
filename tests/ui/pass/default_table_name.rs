use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Entity)]
pub struct BookTag {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {
    assert_eq!(Author::META.table(), "authors");
    assert_eq!(BookTag::META.table(), "book_tags");
    assert_eq!(BookTag::META.name(), "BookTag");
}
