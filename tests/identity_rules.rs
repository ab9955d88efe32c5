//! Relationship loading and the identity map: one row is one instance
//! whatever path loaded it; a loaded relation is never queried again; a
//! many-to-one whose target is in the map costs no SQL; an eager load
//! leaves out parents whose relation is already loaded.

mod support;

use eagerly::prelude::*;
use eagerly::Strategy;
use support::graph::counted;
use support::library::{library, library_in, Author, Book, Tag};
use support::matrix::query_parents;
use support::recorder::{ints, recording_session};

const LOADING: [Strategy; 4] = [
    Strategy::Select,
    Strategy::Selectin,
    Strategy::Joined,
    Strategy::Bulk,
];

#[test]
fn a_row_loaded_twice_is_one_instance() {
    let mut session = library(12);
    let direct = session
        .query::<Book>()
        .filter(Book::ID.eq(5))
        .one()
        .unwrap();
    let author = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .filter(Author::ID.eq(3))
        .one()
        .unwrap();
    let through_author = author
        .books
        .get()
        .unwrap()
        .iter()
        .find(|b| b.id == 5)
        .unwrap()
        .clone();
    let tags = session
        .query::<Tag>()
        .options(joined(Tag::BOOKS))
        .all()
        .unwrap();
    let through_tags: Vec<Handle<Book>> = tags
        .iter()
        .flat_map(|t| {
            t.books
                .get()
                .unwrap()
                .to_vec()
                .into_iter()
                .filter(|b| b.id == 5)
        })
        .collect();
    let dynamic = session
        .dynamic(Author::BOOK_QUERY, &author)
        .filter(Book::ID.eq(5))
        .one()
        .unwrap();
    let (got, statements) = counted(&mut session, |s| s.get::<Book>(5).unwrap().unwrap());
    assert_eq!(statements, 0, "get finds it in the map");
    assert_eq!(through_tags.len(), 2, "book 5 has two tags");
    for other in through_tags.iter().chain([&through_author, &dynamic, &got]) {
        assert!(Handle::ptr_eq(other, &direct));
    }
    assert!(Handle::ptr_eq(
        &session.cached::<Book>(&5).unwrap(),
        &direct
    ));
}

#[test]
fn every_strategy_registers_what_it_loads() {
    for strategy in LOADING {
        let mut session = library(8);
        let authors = query_parents(
            &mut session,
            Author::BOOKS,
            Some(strategy),
            |q| q.order_by(Author::ID),
            8,
        );
        for author in &authors {
            session.load(Author::BOOKS, author).unwrap();
        }
        for book in authors.iter().flat_map(|a| a.books.get().unwrap().to_vec()) {
            assert!(
                Handle::ptr_eq(&session.cached::<Book>(&book.id).unwrap(), &book),
                "{strategy:?}"
            );
        }
        let (all, statements) = counted(&mut session, |s| s.query::<Book>().all().unwrap());
        assert_eq!(statements, 1);
        for book in &all {
            let owner = &authors[book.author_id as usize - 1];
            assert!(
                owner
                    .books
                    .get()
                    .unwrap()
                    .iter()
                    .any(|b| Handle::ptr_eq(b, book)),
                "{strategy:?}"
            );
        }
    }
}

#[test]
fn a_loaded_relation_is_never_queried_again() {
    for strategy in LOADING {
        let mut session = library(8);
        let author = session
            .query::<Author>()
            .filter(Author::ID.eq(3))
            .one()
            .unwrap();
        let books = session.load(Author::BOOKS, &author).unwrap().to_vec();
        // A new row the loaded relation does not know about.
        session
            .execute(
                "INSERT INTO books (id, title, author_id) VALUES (100, 'late', 3)",
                &[],
            )
            .unwrap();
        let (again, statements) = counted(&mut session, |s| {
            let again = query_parents(
                s,
                Author::BOOKS,
                Some(strategy),
                |q| q.filter(Author::ID.eq(3)),
                1,
            );
            s.load(Author::BOOKS, &again[0]).unwrap();
            again
        });
        assert!(Handle::ptr_eq(&again[0], &author));
        assert_eq!(statements, 1, "{strategy:?}: only the parent query");
        let now = author.books.get().unwrap();
        assert_eq!(now.len(), 3, "{strategy:?}: the loaded relation is kept");
        assert!(now.iter().zip(&books).all(|(a, b)| Handle::ptr_eq(a, b)));

        // A fresh identity map sees the new row.
        session.expunge_all();
        let fresh = session
            .query::<Author>()
            .options(selectin(Author::BOOKS))
            .filter(Author::ID.eq(3))
            .one()
            .unwrap();
        assert!(!Handle::ptr_eq(&fresh, &author));
        assert_eq!(fresh.books.get().unwrap().len(), 4);
    }
}

#[test]
fn many_to_one_in_the_map_costs_no_statement() {
    for strategy in LOADING {
        let mut session = library(8);
        let authors = session.query::<Author>().all().unwrap();
        let (books, statements) = counted(&mut session, |s| {
            let books = query_parents(
                s,
                Book::AUTHOR,
                Some(strategy),
                |q| q.order_by(Book::ID),
                100,
            );
            for book in &books {
                s.load(Book::AUTHOR, book).unwrap();
            }
            books
        });
        assert_eq!(statements, 1, "{strategy:?}: only the books");
        for book in &books {
            assert!(
                Handle::ptr_eq(
                    &book.author.get().unwrap().unwrap(),
                    &authors[book.author_id as usize - 1]
                ),
                "{strategy:?}"
            );
        }
    }
}

#[test]
fn eager_loads_leave_out_parents_already_loaded() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 10);
    let loaded: Vec<Handle<Author>> = [2, 5]
        .iter()
        .map(|&id| session.get::<Author>(id).unwrap().unwrap())
        .collect();
    for author in &loaded {
        session.load(Author::BOOKS, author).unwrap();
    }
    let expected_keys = vec![1, 3, 4, 6, 7, 8, 9, 10];

    queries.lock().unwrap().clear();
    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    assert_eq!(
        ints(&queries.lock().unwrap()[1].1),
        expected_keys,
        "selectin"
    );
    drop(authors);

    session.expunge_all();
    let loaded: Vec<Handle<Author>> = [2, 5]
        .iter()
        .map(|&id| session.get::<Author>(id).unwrap().unwrap())
        .collect();
    for author in &loaded {
        session.load(Author::BOOKS, author).unwrap();
    }
    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .order_by(Author::ID)
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    session.load(Author::BOOKS, &authors[0]).unwrap();
    assert_eq!(ints(&queries.lock().unwrap()[0].1), expected_keys, "bulk");

    // Loaded parents' collections stay as they were, joined included.
    let before: Vec<*const Book> = loaded
        .iter()
        .flat_map(|a| {
            a.books
                .get()
                .unwrap()
                .iter()
                .map(Handle::as_ptr)
                .collect::<Vec<_>>()
        })
        .collect();
    session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .all()
        .unwrap();
    let after: Vec<*const Book> = loaded
        .iter()
        .flat_map(|a| {
            a.books
                .get()
                .unwrap()
                .iter()
                .map(Handle::as_ptr)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(before, after);
}
