//! SQL text when the builder does not cover a query: rows into entities
//! through the identity map (eager relations loaded after), or into
//! tuples; parameters from plain values with `params!`; every statement
//! logged and counted.

mod support;

use eagerly::prelude::*;
use eagerly::Value;
use support::eager::library_mapping;
use support::graph::counted;
use support::library::{library, Author, Book};

library_mapping!(mod eager_books {
    books: "selectin",
    bio: "joined",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "select",
});

#[test]
fn rows_into_entities_share_the_identity_map() {
    let mut session = library(8);
    let queried = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(3))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let (raw, statements) = counted(&mut session, |s| {
        s.query_sql::<Book>(
            "SELECT * FROM books WHERE author_id = ? AND title LIKE ? ORDER BY id",
            params![3, "%"],
        )
        .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(raw.len(), 3);
    assert!(raw.iter().zip(&queried).all(|(a, b)| Handle::ptr_eq(a, b)));
    let logged = session.statements().last().unwrap().clone();
    assert!(logged.sql.starts_with("SELECT * FROM books"));
    assert_eq!(logged.params, 2);
}

#[test]
fn the_mappings_eager_relations_load_after_the_rows() {
    use eager_books::Author as EagerAuthor;
    let mut session = library(8);
    let (authors, statements) = counted(&mut session, |s| {
        s.query_sql::<EagerAuthor>(
            "SELECT * FROM authors WHERE id <= ? ORDER BY id",
            params![4],
        )
        .unwrap()
    });
    // The rows, the books by selectin, the bios (joined, which raw SQL
    // cannot carry) by an IN statement.
    assert_eq!(statements, 3);
    assert_eq!(authors.len(), 4);
    let books: Vec<usize> = authors
        .iter()
        .map(|a| a.books.get().unwrap().len())
        .collect();
    assert_eq!(books, [1, 2, 3, 0]);
    assert!(authors.iter().all(|a| a.bio.is_loaded()));
}

#[test]
fn rows_into_tuples_by_position() {
    let mut session = library(5);
    let rows = session
        .query_as::<(i64, String)>(
            "SELECT id, name FROM authors WHERE id <= ? ORDER BY id",
            params![2],
        )
        .unwrap();
    assert_eq!(rows, [(1, "author1".to_owned()), (2, "author2".to_owned())]);
    let (count,) = session
        .query_as::<(i64,)>(
            "SELECT COUNT(*) FROM books WHERE editor_id IS ?",
            params![None::<i64>],
        )
        .unwrap()[0];
    let editorless = session
        .query::<Book>()
        .filter(Book::EDITOR_ID.eq(None))
        .count()
        .unwrap();
    assert_eq!(count as u64, editorless);
    // Optional columns read as Option.
    let titles = session
        .query_as::<(Option<i64>, String)>("SELECT editor_id, title FROM books ORDER BY id", &[])
        .unwrap();
    assert_eq!(
        titles.len() as u64,
        session.query::<Book>().count().unwrap()
    );
}

#[test]
fn a_value_that_does_not_fit_is_a_decode_error_naming_its_position() {
    let mut session = library(2);
    let error = session
        .query_as::<(i64, i64)>("SELECT id, name FROM authors", &[])
        .unwrap_err();
    match error {
        Error::Decode {
            column, expected, ..
        } => assert_eq!((column, expected), ("1", "i64")),
        other => panic!("{other:?}"),
    }
    // A bad statement is the database's error, and loses nothing.
    assert!(session
        .query_sql::<Author>("SELECT * FROM no_such_table", &[])
        .is_err());
    assert_eq!(session.query::<Author>().count().unwrap(), 2);
}

#[test]
fn plain_values_convert_into_parameters() {
    assert_eq!(Value::from(3), Value::Integer(3));
    assert_eq!(Value::from(2.5), Value::Real(2.5));
    assert_eq!(Value::from(true), Value::Integer(1));
    assert_eq!(Value::from("a"), Value::Text("a".into()));
    assert_eq!(Value::from(None::<String>), Value::Null);
    assert_eq!(Value::from(&b"xy"[..]), Value::Blob(b"xy".to_vec()));
    assert_eq!(params![1, "b", None::<i64>].len(), 3);
}
