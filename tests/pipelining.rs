//! Statements and round trips: on PostgreSQL the loaders send the
//! statements of one level that depend on nothing of each other together,
//! in one round trip (pipelined): the sibling relations whose loads touch
//! disjoint tables, and the chunks of one key list. The statements, their
//! parameters and the graph are those of a load one statement at a time;
//! SQLite sends one statement per round trip.

mod support;

use eagerly::prelude::*;
use eagerly::Value;
use support::eager::single_relation_mappings;
use support::engine::{either, in_lists, is_postgres};
use support::graph::graph_of;
use support::library::{library, library_in, Author, Book};
use support::wrap::{wrapped, Hooks};

single_relation_mappings!(mod chunked, "selectin", chunk_size: 7);

/// The run's backend with pipelining turned off: every statement goes in a
/// round trip of its own.
struct OneAtATime;

impl Hooks for OneAtATime {
    fn pipelines(&self, _: bool) -> bool {
        false
    }
}

fn sqls(session: &Session) -> Vec<String> {
    session.statements().iter().map(|s| s.sql.clone()).collect()
}

fn values(session: &Session) -> Vec<Vec<Value>> {
    session
        .statements()
        .iter()
        .map(|s| s.values.clone())
        .collect()
}

/// `load` on a pipelining library and on one that sends a statement at a
/// time: the same statements with the same values, and the same graph.
fn same_as_one_at_a_time<G: PartialEq + std::fmt::Debug>(
    authors: i64,
    load: impl Fn(&mut Session) -> G,
) -> Session {
    let mut piped = library(authors);
    let mut single = library_in(
        Session::with_backend(wrapped(support::engine::backend(), OneAtATime)),
        authors,
    );
    for session in [&mut piped, &mut single] {
        session.set_logged_values(1 << 20);
        session.reset_statements();
    }
    let graph = load(&mut piped);
    assert_eq!(graph, load(&mut single), "graph");
    assert_eq!(sqls(&piped), sqls(&single), "statements");
    assert_eq!(values(&piped), values(&single), "values");
    assert_eq!(single.round_trip_count(), single.statement_count());
    piped
}

#[test]
fn sibling_relations_of_one_level_go_in_one_round_trip() {
    let session = same_as_one_at_a_time(30, |s| {
        let authors = s
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS))
            .options(selectin(Author::BIO))
            .all()
            .unwrap();
        (
            graph_of(Author::BOOKS, &authors),
            graph_of(Author::BIO, &authors),
        )
    });
    // The authors, then their books and their biographies.
    assert_eq!(session.statement_count(), 1 + 2 * in_lists(30));
    assert_eq!(session.round_trip_count(), either(3, 2));

    let session = same_as_one_at_a_time(30, |s| {
        let books = s
            .query::<Book>()
            .order_by(Book::ID)
            .options(selectin(Book::AUTHOR))
            .options(selectin(Book::TAGS))
            .all()
            .unwrap();
        (graph_of(Book::AUTHOR, &books), graph_of(Book::TAGS, &books))
    });
    assert_eq!(session.statement_count(), 3);
    assert_eq!(session.round_trip_count(), either(3, 2));
}

#[test]
fn loads_that_touch_one_table_stay_one_after_another() {
    // Both relations load authors: the editors' load finds in the map what
    // the authors' load brought, so it waits for it (and here sends nothing).
    let session = same_as_one_at_a_time(30, |s| {
        let books = s
            .query::<Book>()
            .order_by(Book::ID)
            .options(selectin(Book::AUTHOR))
            .options(selectin(Book::EDITOR))
            .all()
            .unwrap();
        (
            graph_of(Book::AUTHOR, &books),
            graph_of(Book::EDITOR, &books),
        )
    });
    assert_eq!(session.statement_count(), 2);
    assert_eq!(session.round_trip_count(), 2);
    // A level after the one that loaded it waits for it too.
    let session = same_as_one_at_a_time(30, |s| {
        let authors = s
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap();
        graph_of(Author::BOOKS, &authors)
    });
    assert_eq!(session.statement_count(), 3);
    assert_eq!(session.round_trip_count(), 3);
}

#[test]
fn the_chunks_of_one_key_list_go_in_one_round_trip() {
    let session = same_as_one_at_a_time(20, |s| {
        let authors = s
            .query::<chunked::AuthorBooks>()
            .order_by(chunked::AuthorBooks::ID)
            .all()
            .unwrap();
        graph_of(chunked::AuthorBooks::BOOKS, &authors)
    });
    // 20 authors in chunks of 7: 3 statements after the authors'.
    assert_eq!(session.statement_count(), 1 + 3);
    assert_eq!(session.round_trip_count(), either(4, 2));
    assert!(is_postgres() || session.round_trip_count() == session.statement_count());
}
