//! `create_all` sends each table and index once, however many relations
//! (both ends of a one-to-many, both ends of a many-to-many) name it.

mod support;

use std::collections::HashSet;

use eagerly::prelude::*;
use support::library::{Author, Biography, Book, Category, Tag};

#[test]
fn each_statement_is_sent_once() {
    let mut session = Session::in_memory().unwrap();
    session
        .create_all(&[
            Author::META,
            Book::META,
            Tag::META,
            Biography::META,
            Category::META,
        ])
        .unwrap();
    let sent: Vec<String> = session.statements().iter().map(|s| s.sql.clone()).collect();
    let distinct: HashSet<&String> = sent.iter().collect();
    assert_eq!(distinct.len(), sent.len(), "{sent:#?}");
    // Every foreign key has its index: books.author_id (both ends of
    // Author.books / Book.author), the association's two columns.
    for index in [
        r#"ON "books" ("author_id")"#,
        r#"ON "book_tags" ("book_id")"#,
        r#"ON "book_tags" ("tag_id")"#,
    ] {
        assert_eq!(
            sent.iter().filter(|s| s.contains(index)).count(),
            1,
            "{index} in {sent:#?}"
        );
    }
}
