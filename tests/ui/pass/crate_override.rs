// A crate that re-exports eagerly under another name points the derive at it.
mod reexport {
    pub use eagerly as orm;
}

use reexport::orm::Entity;

#[derive(Entity)]
#[orm(crate = "reexport::orm")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity)]
#[orm(crate = "eagerly")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {
    use eagerly::Entity as _;
    assert_eq!(Author::META.table(), "authors");
    assert_eq!(Author::NAME.name(), "name");
    assert_eq!(Book::META.table(), "books");
}
