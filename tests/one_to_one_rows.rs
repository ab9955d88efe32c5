//! A one-to-one whose target table holds several rows for one parent: the
//! parent is never repeated, under any strategy or LIMIT; the relation
//! keeps one row, the first by its `order_by`, and a tracing warning says
//! several matched (as SQLAlchemy warns for `uselist=False`).

mod support;

use std::sync::{Arc, Mutex};

use eagerly::prelude::*;
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "id desc")]
    pub bio: One<Biography>,
}

#[derive(Entity, Debug)]
#[orm(table = "biographies")]
pub struct Biography {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub text: String,
}

/// Authors 1..=3; author 1 has two biographies (10 and 11), author 2 one
/// (20), author 3 none.
fn session() -> Session {
    let mut s = Session::in_memory().unwrap();
    // By hand: `create_all` puts a unique index on a one-to-one's foreign
    // key, which would refuse the second biography.
    for ddl in [
        "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)",
        "CREATE TABLE biographies (id INTEGER PRIMARY KEY NOT NULL, \
         author_id INTEGER NOT NULL REFERENCES authors (id), text TEXT NOT NULL)",
        "CREATE INDEX ix_biographies_author_id ON biographies (author_id)",
    ] {
        s.execute(ddl, &[]).unwrap();
    }
    s.execute(
        "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')",
        &[],
    )
    .unwrap();
    s.execute(
        "INSERT INTO biographies (id, author_id, text) VALUES (10, 1, 'old'), (11, 1, 'new'), (20, 2, 'bob')",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

/// Warnings of target `eagerly::loader`, by message.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl Subscriber for Warnings {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "eagerly::loader"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0.lock().unwrap().push(message.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn bio_ids(authors: &[Handle<Author>]) -> Vec<Option<i64>> {
    authors
        .iter()
        .map(|a| a.bio.get().unwrap().map(|b| b.id))
        .collect()
}

fn ids(authors: &[Handle<Author>]) -> Vec<i64> {
    authors.iter().map(|a| a.id).collect()
}

// One test in this file: the subscriber is the thread's default for its
// length, and no other test's thread registers the callsite first.
#[test]
fn a_one_to_one_with_several_rows_keeps_the_first_and_never_repeats_its_parent() {
    let warnings = Warnings::default();
    let dispatch = tracing::Dispatch::new(warnings.clone());
    tracing::dispatcher::with_default(&dispatch, || {
        // joined: one statement, no repeated parent, the first bio by id desc.
        let mut s = session();
        let all = s
            .query::<Author>()
            .options(joined(Author::BIO))
            .order_by(Author::ID)
            .all()
            .unwrap();
        assert_eq!(ids(&all), [1, 2, 3]);
        assert_eq!(bio_ids(&all), [Some(11), Some(20), None]);
        assert_eq!(s.statement_count(), 1);
        let count = s.query::<Author>().count().unwrap();
        assert_eq!(count, 3);

        // joined under LIMIT: one parent, once.
        let mut s = session();
        let first = s
            .query::<Author>()
            .options(joined(Author::BIO))
            .order_by(Author::ID)
            .limit(1)
            .all()
            .unwrap();
        assert_eq!(ids(&first), [1]);
        assert_eq!(bio_ids(&first), [Some(11)]);

        // selectin and a lazy select: the same graph.
        let mut s = session();
        let all = s
            .query::<Author>()
            .options(selectin(Author::BIO))
            .order_by(Author::ID)
            .all()
            .unwrap();
        assert_eq!(bio_ids(&all), [Some(11), Some(20), None]);
        assert_eq!(s.statement_count(), 2);
        let mut s = session();
        let ann = s.get::<Author>(1).unwrap().unwrap();
        let bio = s.load(Author::BIO, &ann).unwrap().unwrap();
        assert_eq!(bio.id, 11);
        assert_eq!(s.statement_count(), 2);
    });
    let warnings = warnings.0.lock().unwrap();
    // joined, joined under LIMIT, selectin, select: each saw author 1's two rows.
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(
        warnings[0].contains("Author.bio is one-to-one but matched several rows for 1 parent(s)"),
        "{}",
        warnings[0]
    );
}
