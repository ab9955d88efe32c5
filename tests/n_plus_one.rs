//! The N+1 guard: a lazy `select` load repeated for many objects of one type
//! is reported through `tracing` at warn level (`Warn`) or refused with
//! `Error::NPlusOne` (`Refuse`), naming entity and relation and suggesting a
//! strategy. Loads that send no SQL, and eager or bulk loads, never count.

mod support;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Once;

use eagerly::prelude::*;
use support::graph::counted;
use support::library::{library, Author, Book};

/// One event seen by the capturing subscriber.
#[derive(Debug, Clone)]
struct Captured {
    level: tracing::Level,
    target: String,
    fields: HashMap<String, String>,
}

thread_local! {
    static EVENTS: RefCell<Vec<Captured>> = const { RefCell::new(Vec::new()) };
}

/// A tiny subscriber recording events at warn level and above, per thread,
/// so the tests of this file can run in parallel.
struct Capture;

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let metadata = event.metadata();
        if *metadata.level() > tracing::Level::WARN {
            return; // more verbose than warn
        }
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        EVENTS.with(|events| {
            events.borrow_mut().push(Captured {
                level: *metadata.level(),
                target: metadata.target().to_owned(),
                fields,
            })
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Installs the subscriber once and forgets this thread's events.
fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Capture).expect("one global subscriber")
    });
    EVENTS.with(|events| events.borrow_mut().clear());
}

/// This thread's N+1 warnings since [`capture`].
fn warnings() -> Vec<Captured> {
    EVENTS.with(|events| {
        events
            .borrow()
            .iter()
            .filter(|e| e.target == "eagerly::n_plus_one")
            .cloned()
            .collect()
    })
}

fn load_books(session: &mut Session, authors: &[Handle<Author>]) -> eagerly::Result<()> {
    for author in authors {
        session.load(Author::BOOKS, author)?;
    }
    Ok(())
}

#[test]
fn warn_reports_at_each_multiple_of_the_threshold() {
    capture();
    let mut session = library(12);
    session.set_n_plus_one_guard(NPlusOneGuard::Warn { threshold: 5 });
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    load_books(&mut session, &authors[..4]).unwrap();
    assert!(warnings().is_empty());
    load_books(&mut session, &authors[4..5]).unwrap();
    assert_eq!(warnings().len(), 1, "the fifth load warns");
    load_books(&mut session, &authors[5..]).unwrap();
    let seen = warnings();
    assert_eq!(seen.len(), 2, "at 5 and 10 of 12 loads");
    for warning in &seen {
        assert_eq!(warning.level, tracing::Level::WARN);
        assert_eq!(warning.fields["entity"], "Author");
        assert_eq!(warning.fields["relation"], "books");
        let message = &warning.fields["message"];
        assert!(
            message.contains("Author.books") && message.contains("selectin"),
            "{message}"
        );
    }
    assert_eq!(seen[0].fields["loads"], "5");
    assert_eq!(seen[1].fields["loads"], "10");
}

#[test]
fn warn_suggests_bulk_for_a_to_one_relation() {
    capture();
    let mut session = library(12);
    session.set_n_plus_one_guard(NPlusOneGuard::Warn { threshold: 3 });
    let books = session.query::<Book>().order_by(Book::ID).all().unwrap();
    for book in &books {
        session.load(Book::AUTHOR, book).unwrap();
    }
    // 18 books of 9 authors: 9 loads send SQL, the others come from the map.
    let seen = warnings();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].fields["relation"], "author");
    assert!(
        seen[0].fields["message"].contains("bulk"),
        "{:?}",
        seen[0].fields
    );
}

#[test]
fn the_default_guard_warns_at_twenty() {
    capture();
    let mut session = library(30);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    load_books(&mut session, &authors[..19]).unwrap();
    assert!(warnings().is_empty());
    load_books(&mut session, &authors[19..]).unwrap();
    assert_eq!(warnings().len(), 1);
}

#[test]
fn off_and_loading_strategies_say_nothing() {
    capture();
    let mut session = library(30);
    session.set_n_plus_one_guard(NPlusOneGuard::Off);
    let authors = session.query::<Author>().all().unwrap();
    load_books(&mut session, &authors).unwrap();
    assert!(warnings().is_empty());

    let mut session = library(30);
    session.set_n_plus_one_guard(NPlusOneGuard::Warn { threshold: 2 });
    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    load_books(&mut session, &authors).unwrap();
    session.expunge_all();
    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .all()
        .unwrap();
    load_books(&mut session, &authors).unwrap();
    session.expunge_all();
    let authors = session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .all()
        .unwrap();
    load_books(&mut session, &authors).unwrap();
    // Many-to-ones served from the map send nothing and count nothing.
    let books = session.query::<Book>().all().unwrap();
    for book in &books {
        session.load(Book::AUTHOR, book).unwrap();
    }
    assert!(warnings().is_empty());
}

#[test]
fn refuse_names_entity_relation_and_suggestion() {
    let mut session = library(12);
    session.set_n_plus_one_guard(NPlusOneGuard::Refuse { threshold: 3 });
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    load_books(&mut session, &authors[..3]).unwrap();
    let (result, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &authors[3]).map(|b| b.len())
    });
    assert_eq!(statements, 0, "the refused load sends nothing");
    let error = result.unwrap_err();
    match &error {
        Error::NPlusOne {
            entity,
            relation,
            loads,
            suggestion,
        } => {
            assert_eq!(
                (*entity, *relation, *loads, *suggestion),
                ("Author", "books", 3, "selectin")
            );
        }
        other => panic!("expected NPlusOne, got {other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("Author.books") && message.contains("selectin"),
        "{message}"
    );
    assert!(!authors[3].books.is_loaded());

    // The session stays usable: loaded relations read, other relations and
    // other strategies load, and a reset allows more lazy loads.
    assert_eq!(session.load(Author::BOOKS, &authors[2]).unwrap().len(), 3);
    assert!(session.load(Author::BIO, &authors[3]).is_ok());
    let more = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    assert!(more.iter().all(|a| a.books.is_loaded()));
    session.expunge_all();
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert!(matches!(
        session.load(Author::BOOKS, &authors[0]),
        Err(Error::NPlusOne { .. })
    ));
    session.reset_n_plus_one();
    load_books(&mut session, &authors[..3]).unwrap();
}

#[test]
fn refuse_counts_only_loads_that_send_sql() {
    let mut session = library(12);
    session.set_n_plus_one_guard(NPlusOneGuard::Refuse { threshold: 2 });
    let books = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(3))
        .all()
        .unwrap();
    // Three books of one author: one statement, then the map.
    for book in &books {
        session.load(Book::AUTHOR, book).unwrap();
    }
    let other = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(7))
        .all()
        .unwrap();
    session.load(Book::AUTHOR, &other[0]).unwrap();
    let third = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(2))
        .all()
        .unwrap();
    match session.load(Book::AUTHOR, &third[0]) {
        Err(Error::NPlusOne {
            entity,
            relation,
            loads,
            suggestion,
        }) => {
            assert_eq!(
                (entity, relation, loads, suggestion),
                ("Book", "author", 2, "bulk")
            );
        }
        other => panic!("expected NPlusOne, got {other:?}"),
    }
    // Counted per relation: Book.editor has its own count.
    assert!(session.load(Book::EDITOR, &third[0]).is_ok());
}

#[test]
fn the_session_reports_what_loaded_one_object_at_a_time() {
    let mut session = library(12);
    // The guard's setting does not matter: the report counts statements.
    session.set_n_plus_one_guard(NPlusOneGuard::Off);
    let authors = session.query::<Author>().all().unwrap();
    load_books(&mut session, &authors).unwrap();
    let books: Vec<Handle<Book>> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    // Book.author from the identity map: no statement, nothing reported.
    for book in &books {
        session.load(Book::AUTHOR, book).unwrap();
    }
    // Book.editor: editor 1 is in the map too; books without one send
    // nothing either.
    for book in &books {
        session.load(Book::EDITOR, book).unwrap();
    }
    let report = session.lazy_loads();
    assert_eq!(report.len(), 1, "{report:?}");
    let books_report = &report[0];
    assert_eq!(
        (
            books_report.entity,
            books_report.relation,
            books_report.loads,
            books_report.suggestion
        ),
        ("Author", "books", 12, "selectin")
    );
    // A fresh session's to-one loads, one object at a time.
    let mut fresh = library(12);
    fresh.set_n_plus_one_guard(NPlusOneGuard::Off);
    let books = fresh.query::<Book>().all().unwrap();
    let (_, statements) = counted(&mut fresh, |s| {
        for book in &books {
            s.load(Book::AUTHOR, book).unwrap();
        }
    });
    let report = fresh.lazy_loads();
    assert_eq!(report[0].relation, "author");
    assert_eq!(report[0].suggestion, "bulk");
    assert_eq!(u64::from(report[0].loads), statements);
    fresh.reset_n_plus_one();
    assert!(fresh.lazy_loads().is_empty());
}
