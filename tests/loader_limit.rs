//! `selectin(..).limit_per_parent(n)`: at most n targets per parent, the
//! first by the relation's order, in the statements plain `selectin` sends;
//! the collection is marked partial so a load of the whole relation
//! replaces it.

mod support;

use eagerly::prelude::*;
use support::graph::{assert_misuse, counted, sqls};
use support::library::{library, Author, Book};

/// Book ids of each author, by author.
fn books_by_author(authors: &[Handle<Author>]) -> Vec<(i64, Vec<i64>)> {
    authors
        .iter()
        .map(|a| (a.id, a.books.get().unwrap().iter().map(|b| b.id).collect()))
        .collect()
}

fn whole_books(authors: i64) -> Vec<(i64, Vec<i64>)> {
    let mut session = library(authors);
    let all = session
        .query::<Author>()
        .order_by(Author::ID)
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    books_by_author(&all)
}

#[test]
fn each_parent_keeps_its_first_targets_by_the_relation_order() {
    let whole = whole_books(12);
    for limit in [1u32, 2, 5] {
        let mut session = library(12);
        let (authors, statements) = counted(&mut session, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(selectin(Author::BOOKS).limit_per_parent(limit))
                .all()
                .unwrap()
        });
        assert_eq!(statements, 2, "limit {limit}");
        let expected: Vec<(i64, Vec<i64>)> = whole
            .iter()
            .map(|(a, books)| (*a, books.iter().take(limit as usize).copied().collect()))
            .collect();
        assert_eq!(books_by_author(&authors), expected, "limit {limit}");
        assert!(authors.iter().all(|a| a.books.is_partial()));
        assert!(sqls(&session)[1]
            .contains("ROW_NUMBER() OVER (PARTITION BY \"author_id\" ORDER BY \"id\")"));
    }
}

#[test]
fn a_many_to_many_is_limited_per_parent_in_its_order() {
    let mut session = library(8);
    let whole: Vec<(i64, Vec<String>)> = session
        .query::<Book>()
        .order_by(Book::ID)
        .options(selectin(Book::TAGS))
        .all()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b.id,
                b.tags
                    .get()
                    .unwrap()
                    .iter()
                    .map(|t| t.name.clone())
                    .collect(),
            )
        })
        .collect();
    let mut session = library(8);
    let (books, statements) = counted(&mut session, |s| {
        s.query::<Book>()
            .order_by(Book::ID)
            .options(selectin(Book::TAGS).limit_per_parent(1))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    let first: Vec<(i64, Vec<String>)> = books
        .iter()
        .map(|b| {
            (
                b.id,
                b.tags
                    .get()
                    .unwrap()
                    .iter()
                    .map(|t| t.name.clone())
                    .collect(),
            )
        })
        .collect();
    let expected: Vec<(i64, Vec<String>)> = whole
        .into_iter()
        .map(|(b, tags)| (b, tags.into_iter().take(1).collect()))
        .collect();
    assert_eq!(first, expected);
    assert!(expected.iter().any(|(_, tags)| !tags.is_empty()));
}

#[test]
fn options_below_reach_the_kept_targets() {
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(
                selectin(Author::BOOKS)
                    .limit_per_parent(1)
                    .then(selectin(Book::TAGS)),
            )
            .all()
            .unwrap()
    });
    assert_eq!(statements, 3);
    let kept: Vec<Handle<Book>> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert!(!kept.is_empty());
    assert!(kept.iter().all(|b| b.tags.is_loaded()));
    // Joined below a limited step: the join sees only the kept rows.
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(
                selectin(Author::BOOKS)
                    .limit_per_parent(1)
                    .then(joined(Book::TAGS)),
            )
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    assert!(authors.iter().all(|a| a.books.get().unwrap().len() <= 1
        && a.books.get().unwrap().iter().all(|b| b.tags.is_loaded())));
}

#[test]
fn a_whole_load_replaces_a_partial_one_and_not_the_reverse() {
    let whole = whole_books(12);
    let mut session = library(12);
    let limited_query = |s: &mut Session| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS).limit_per_parent(1))
            .all()
            .unwrap()
    };
    let mut limited = limited_query(&mut session);
    // A plain query loading the relation does not take the part for the
    // whole: it loads every author's books again.
    for (label, option) in [
        ("selectin", selectin(Author::BOOKS)),
        ("joined", joined(Author::BOOKS)),
    ] {
        let (again, statements) = counted(&mut session, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(option)
                .all()
                .unwrap()
        });
        assert_eq!(statements, if label == "joined" { 1 } else { 2 }, "{label}");
        assert!(again
            .iter()
            .zip(&limited)
            .all(|(a, b)| Handle::ptr_eq(a, b)));
        assert_eq!(books_by_author(&again), whole, "{label}");
        assert!(again.iter().all(|a| !a.books.is_partial()), "{label}");
        // A limited query afterwards keeps the whole collections.
        let (kept, statements) = counted(&mut session, limited_query);
        assert_eq!(statements, 1, "{label}");
        assert_eq!(books_by_author(&kept), whole, "{label}");
        session.expunge_all();
        limited = limited_query(&mut session);
    }
}

#[test]
fn a_write_expires_a_partial_collection() {
    let mut session = library(12);
    let authors = session
        .query::<Author>()
        .filter(Author::ID.eq(3))
        .options(selectin(Author::BOOKS).limit_per_parent(1))
        .all()
        .unwrap();
    assert_eq!(authors[0].books.get().unwrap().len(), 1);
    session
        .insert(Book {
            id: 1000,
            title: "new".into(),
            author_id: 3,
            editor_id: None,
            author: Default::default(),
            editor: Default::default(),
            tags: Default::default(),
        })
        .unwrap();
    // Which book a limit keeps is the database's answer: no guess in place.
    assert!(!authors[0].books.is_loaded());
    let books = session.load(Author::BOOKS, &authors[0]).unwrap();
    assert_eq!(books.len(), 4);
}

#[test]
fn a_limit_only_on_a_selectin_collection() {
    let mut session = library(4);
    let to_one = session
        .query::<Book>()
        .options(selectin(Book::AUTHOR).limit_per_parent(1))
        .all();
    let joined_limit = session
        .query::<Author>()
        .options(joined(Author::BOOKS).limit_per_parent(1))
        .all();
    let nested = session
        .query::<Author>()
        .options(selectin(Author::BOOKS).then(select(Book::TAGS).limit_per_parent(2)))
        .all();
    assert_eq!(
        session.statement_count(),
        0,
        "refused before anything is sent"
    );
    assert_misuse(
        to_one,
        "limit_per_parent(1) on Book.author: a to-one relation",
    );
    assert_misuse(
        joined_limit,
        "limit_per_parent(1) on Author.books: only a selectin option",
    );
    assert_misuse(
        nested,
        "limit_per_parent(2) on Book.tags: only a selectin option",
    );
}
