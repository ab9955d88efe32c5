//! The model of the reliability tests (tests/reliability_*.rs): authors,
//! books with nullable author and editor keys, tags (many-to-many, with
//! empty and shared sets), a self-referential node tree and a composite-key
//! shelf/item pair. Every relation has the default strategy `select` and
//! `chunk_size = 3`, so small random datasets already need several `IN`
//! statements; the tests choose strategies through loader options.
//! [`defaults`] maps the same tables with each strategy as mapping default.

#![allow(dead_code)]

use eagerly::prelude::*;
use eagerly::Value;

/// Keys per `IN` statement in this model.
pub const CHUNK: usize = 3;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "id", chunk_size = 3)]
    pub books: Many<Book>,
    #[relationship(foreign_key = "editor_id", order_by = "id", chunk_size = 3)]
    pub edited: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: Option<i64>,
    pub editor_id: Option<i64>,
    #[relationship(foreign_key = "author_id", chunk_size = 3)]
    pub author: One<Author>,
    #[relationship(foreign_key = "editor_id", chunk_size = 3)]
    pub editor: One<Author>,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "book_id",
        target_foreign_key = "tag_id",
        order_by = "name, id",
        chunk_size = 3
    )]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "tag_id",
        target_foreign_key = "book_id",
        order_by = "id",
        chunk_size = 3
    )]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "nodes")]
pub struct Node {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    #[relationship(foreign_key = "parent_id", chunk_size = 3)]
    pub parent: One<Node>,
    #[relationship(foreign_key = "parent_id", order_by = "id", chunk_size = 3)]
    pub children: Many<Node>,
}

#[derive(Entity, Debug)]
#[orm(table = "shelves")]
pub struct Shelf {
    #[orm(primary_key)]
    pub room: String,
    #[orm(primary_key)]
    pub number: i64,
    pub label: String,
    #[relationship(
        foreign_key = "shelf_room, shelf_number",
        order_by = "id",
        chunk_size = 3
    )]
    pub items: Many<Item>,
}

#[derive(Entity, Debug)]
#[orm(table = "items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub shelf_room: Option<String>,
    pub shelf_number: Option<i64>,
    #[relationship(foreign_key = "shelf_room, shelf_number", chunk_size = 3)]
    pub shelf: One<Shelf>,
}

/// Every table of the model.
pub fn schema(session: &mut Session) {
    session
        .create_all(&[
            Author::META,
            Book::META,
            Tag::META,
            Node::META,
            Shelf::META,
            Item::META,
        ])
        .expect("schema");
}

/// Shorthand for a bound integer.
pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

/// Shorthand for a bound text.
pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Shorthand for a bound nullable integer.
pub fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Integer)
}

/// The same tables mapped with one strategy as the mapping default of
/// `Author.books`, `Book.tags` and `Node.children` (the other relations keep
/// `select`): `defaults::joined::Author`, `defaults::selectin::Author`, ...
pub mod defaults {
    macro_rules! mapped_with {
        ($module:ident, $lazy:tt) => {
            pub mod $module {
                use eagerly::prelude::*;

                #[derive(Entity, Debug)]
                #[orm(table = "authors")]
                pub struct Author {
                    #[orm(primary_key)]
                    pub id: i64,
                    pub name: String,
                    #[relationship(foreign_key = "author_id", order_by = "id", chunk_size = 3, lazy = $lazy)]
                    pub books: Many<Book>,
                }

                #[derive(Entity, Debug)]
                #[orm(table = "books")]
                pub struct Book {
                    #[orm(primary_key)]
                    pub id: i64,
                    pub title: String,
                    pub author_id: Option<i64>,
                    pub editor_id: Option<i64>,
                    #[relationship(foreign_key = "author_id", chunk_size = 3)]
                    pub author: One<Author>,
                    #[relationship(
                        secondary = "book_tags",
                        foreign_key = "book_id",
                        target_foreign_key = "tag_id",
                        order_by = "name, id",
                        chunk_size = 3,
                        lazy = $lazy
                    )]
                    pub tags: Many<Tag>,
                }

                #[derive(Entity, Debug)]
                #[orm(table = "tags")]
                pub struct Tag {
                    #[orm(primary_key)]
                    pub id: i64,
                    pub name: String,
                }

                #[derive(Entity, Debug)]
                #[orm(table = "nodes")]
                pub struct Node {
                    #[orm(primary_key)]
                    pub id: i64,
                    pub parent_id: Option<i64>,
                    pub name: String,
                    #[relationship(foreign_key = "parent_id", order_by = "id", chunk_size = 3, lazy = $lazy)]
                    pub children: Many<Node>,
                }
            }
        };
    }

    mapped_with!(joined, "joined");
    mapped_with!(selectin, "selectin");
    mapped_with!(select, "select");
    mapped_with!(bulk, "bulk");
}
