//! `selectin`: right after the parents, one `WHERE key IN (...)` statement
//! per chunk of parents (default 500, `chunk_size = N`); keys are sorted and
//! de-duplicated; a many-to-one asks only for keys missing from the map.

mod support;

use eagerly::prelude::*;
use eagerly::Strategy;
use support::eager::single_relation_mappings;
use support::engine::{either, in_lists};
use support::graph::{counted, graph_of, param_counts};
use support::library::{library, library_in, Author, Book};
use support::matrix::{
    big_library, check_chunked, library_kind, mapped_kinds, per_key, per_parent, Kind,
};
use support::recorder::{ints, recording_session};

single_relation_mappings!(mod mapped, "selectin");
single_relation_mappings!(mod chunked, "selectin", chunk_size: 7);

#[test]
fn one_to_many() {
    library_kind(Kind::OneToMany, Strategy::Selectin);
}

#[test]
fn one_to_one() {
    library_kind(Kind::OneToOne, Strategy::Selectin);
}

#[test]
fn many_to_one() {
    library_kind(Kind::ManyToOne, Strategy::Selectin);
}

#[test]
fn optional_many_to_one() {
    library_kind(Kind::OptionalManyToOne, Strategy::Selectin);
}

#[test]
fn many_to_many() {
    library_kind(Kind::ManyToMany, Strategy::Selectin);
}

#[test]
fn many_to_many_other_side() {
    library_kind(Kind::ManyToManyReverse, Strategy::Selectin);
}

#[test]
fn self_referential_children() {
    library_kind(Kind::SelfChildren, Strategy::Selectin);
}

#[test]
fn self_referential_parent() {
    library_kind(Kind::SelfParent, Strategy::Selectin);
}

#[test]
fn mapping_default_selectin_for_every_kind() {
    assert_eq!(mapped::AuthorBooks::BOOKS.meta().lazy(), Strategy::Selectin);
    mapped_kinds!(mapped, Strategy::Selectin);
}

#[test]
fn chunk_size_changes_the_chunking() {
    use chunked::*;
    assert_eq!(AuthorBooks::BOOKS.meta().chunk_size(), 7);
    let s = &mut big_library();
    check_chunked(
        s,
        AuthorBooks::BOOKS,
        Strategy::Selectin,
        false,
        |q| q.order_by(AuthorBooks::ID),
        per_parent,
        7,
    );
    check_chunked(
        s,
        BookTags::TAGS,
        Strategy::Selectin,
        false,
        |q| q.order_by(BookTags::ID),
        per_parent,
        7,
    );
    check_chunked(
        s,
        BookAuthor::AUTHOR,
        Strategy::Selectin,
        false,
        |q| q.order_by(BookAuthor::ID),
        per_key,
        7,
    );

    // 8 parents: a chunk of 7 and a chunk of 1.
    s.expunge_all();
    let (_, statements) = counted(s, |s| {
        s.query::<AuthorBooks>()
            .order_by(AuthorBooks::ID)
            .limit(8)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 3);
    // PostgreSQL binds each chunk's keys as one array parameter.
    assert_eq!(param_counts(s), either(vec![1, 7, 1], vec![1, 1, 1]));
}

#[test]
fn default_chunks_hold_500_keys() {
    let mut session = library(1200);
    session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    // SQLite: 500 placeholders per statement; PostgreSQL: one array of 1200.
    assert_eq!(
        param_counts(&session),
        either(vec![0, 500, 500, 200], vec![0, 1])
    );
}

#[test]
fn in_keys_are_sorted_and_de_duplicated() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 20);
    queries.lock().unwrap().clear();
    // Newest books first: their authors' keys repeat and come out of order.
    let books = session
        .query::<Book>()
        .options(selectin(Book::AUTHOR))
        .order_by(Book::ID.desc())
        .all()
        .unwrap();
    assert_eq!(books.len(), 30);
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(recorded.len(), 2);
    let authors_with_books: Vec<i64> = (1..=20).filter(|a| a % 4 != 0).collect();
    assert_eq!(ints(&recorded[1].1), authors_with_books);

    queries.lock().unwrap().clear();
    session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .order_by(Author::ID.desc())
        .all()
        .unwrap();
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(ints(&recorded[1].1), (1..=20).collect::<Vec<_>>());
}

#[test]
fn many_to_one_asks_only_for_keys_missing_from_the_map() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 8);
    let held = session
        .query::<Author>()
        .filter(Author::ID.le(3))
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    let books = session
        .query::<Book>()
        .options(selectin(Book::AUTHOR))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        ints(&recorded[1].1),
        vec![5, 6, 7],
        "authors 1-3 are in the map; 4 and 8 have no books"
    );
    for book in &books {
        let author = book.author.get().unwrap().unwrap();
        assert_eq!(author.id, book.author_id);
        if author.id <= 3 {
            assert!(Handle::ptr_eq(&author, &held[author.id as usize - 1]));
        }
    }

    // Every target in the map: no statement at all.
    let (_, statements) = counted(&mut session, |s| {
        s.query::<Book>()
            .options(selectin(Book::AUTHOR))
            .filter(Book::AUTHOR_ID.le(3))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
}

#[test]
fn parents_already_loaded_are_left_out() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 8);
    let second = session.get::<Author>(2).unwrap().unwrap();
    session.load(Author::BOOKS, &second).unwrap();
    queries.lock().unwrap().clear();
    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .filter(Author::ID.le(4))
        .all()
        .unwrap();
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(ints(&recorded[1].1), vec![1, 3, 4]);
    assert_eq!(
        graph_of(Author::BOOKS, &authors),
        vec![
            (1, vec![1]),
            (2, vec![2, 3]),
            (3, vec![4, 5, 6]),
            (4, vec![])
        ]
    );

    // All loaded: no IN statement.
    let (_, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS))
            .filter(Author::ID.le(4))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
}

#[test]
fn nested_selectin_is_one_statement_per_level_and_chunk() {
    let mut session = library(1200);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap()
    });
    // 1200 authors: 3 chunks of books; 1800 books: 4 chunks of tags
    // (SQLite); one statement per level on PostgreSQL.
    assert_eq!(statements, 1 + in_lists(1200) + in_lists(1800));
    assert_eq!(statements, either(1 + 3 + 4, 1 + 1 + 1));
    assert!(authors
        .iter()
        .all(|a| a.books.get().unwrap().iter().all(|b| b.tags.is_loaded())));
}

#[test]
fn more_parents_than_sqlite_binds_in_one_statement() {
    let mut session = library(0);
    session
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000) INSERT INTO authors (id, name) SELECT i, 'a' || i FROM n",
            &[],
        )
        .unwrap();
    session
        .execute(
            "INSERT INTO books (id, title, author_id) VALUES (1, 'last', 40000)",
            &[],
        )
        .unwrap();
    session.reset_statements();
    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert_eq!(authors.len(), 40_000);
    // SQLite: 80 lists of 500; PostgreSQL: one array of 40 000 keys.
    assert_eq!(session.statement_count(), 1 + in_lists(40_000));
    assert_eq!(session.statement_count(), either(1 + 80, 1 + 1));
    assert!(param_counts(&session).iter().all(|&p| p <= 500));
    assert_eq!(authors[39_999].books.get().unwrap().len(), 1);
}
