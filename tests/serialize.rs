//! Entities serialize with their loaded relations (feature `serde`): a
//! handler returns a loaded graph as JSON without copying it into output
//! structs. Run with `cargo test --features serde --test serialize`.
#![cfg(feature = "serde")]

mod support;

use eagerly::prelude::*;
use serde_json::json;
use support::graph::counted;
use support::library::{library, Author, Book};

#[test]
fn loaded_relations_are_written_and_unloaded_ones_left_out() {
    let mut session = library(3);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .options(
            selectin(Author::BOOKS)
                .then(selectin(Book::TAGS))
                .then(selectin(Book::AUTHOR)),
        )
        .all()
        .unwrap();
    let (value, statements) = counted(&mut session, |_| serde_json::to_value(&authors[1]).unwrap());
    assert_eq!(statements, 0, "serializing sends nothing");
    // Author 2: two books; `bio` (unloaded) and `book_query` (dynamic) are
    // left out; each book's `author` (loaded from the identity map on the
    // way back) leads back to the author, written with its columns only.
    let books = value["books"].as_array().unwrap();
    assert_eq!(books.len(), 2);
    assert_eq!(value["id"], json!(2));
    assert_eq!(value["name"], json!("author2"));
    assert!(value.get("bio").is_none());
    assert!(value.get("book_query").is_none());
    for book in books {
        assert_eq!(book["author_id"], json!(2));
        assert!(book["tags"].is_array());
        assert!(book.get("editor").is_none(), "unloaded");
        assert_eq!(book["author"], json!({"id": 2, "name": "author2"}));
    }
}

#[test]
fn a_to_one_is_its_target_or_null() {
    let mut session = library(4);
    let books = session
        .query::<Book>()
        .order_by(Book::ID)
        .options(selectin(Book::EDITOR))
        .all()
        .unwrap();
    let values: Vec<serde_json::Value> = books
        .iter()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect();
    for (book, value) in books.iter().zip(&values) {
        match book.editor_id {
            Some(id) => assert_eq!(value["editor"]["id"], json!(id)),
            None => assert_eq!(value["editor"], serde_json::Value::Null),
        }
    }
    assert!(books.iter().any(|b| b.editor_id.is_none()));
    assert!(books.iter().any(|b| b.editor_id.is_some()));
}

#[derive(Entity, Debug)]
#[orm(table = "flags")]
pub struct Flag {
    #[orm(primary_key)]
    pub id: i64,
    pub on: bool,
    pub score: f64,
    pub note: Option<String>,
    pub data: Vec<u8>,
}

#[test]
fn columns_are_written_as_stored() {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[Flag::META]).unwrap();
    let flag = session
        .insert(Flag {
            id: 1,
            on: true,
            score: 1.5,
            note: None,
            data: vec![1, 2],
        })
        .unwrap();
    assert_eq!(
        serde_json::to_value(&flag).unwrap(),
        json!({"id": 1, "on": true, "score": 1.5, "note": null, "data": [1, 2]})
    );
}
