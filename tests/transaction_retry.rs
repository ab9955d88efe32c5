//! Isolation levels and retried transactions on SQLite. SQLite has one
//! level, serializable, so every level runs as it, with the same `BEGIN`;
//! and it never reports a serialization failure, so the retry loop is
//! driven here by a backend that refuses chosen `UPDATE`s with one (the
//! real conflicts are in `tests/postgres/retry.rs`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eagerly::backend::sqlite::SqliteBackend;
use eagerly::backend::{Backend, Row};
use eagerly::prelude::*;
use eagerly::{
    DatabaseError, DatabaseErrorKind, Isolation, RetryPolicy, TransactionOptions, Value,
};

#[derive(Entity, Debug)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub value: i64,
}

/// Failures to answer the next `UPDATE`s with, oldest first.
type Failures = Arc<Mutex<VecDeque<(DatabaseErrorKind, &'static str)>>>;

/// SQLite, with `UPDATE`s refused while failures are queued.
struct Conflicting {
    inner: SqliteBackend,
    failures: Failures,
}

impl Backend for Conflicting {
    fn dialect(&self) -> &'static dyn eagerly::Dialect {
        self.inner.dialect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> eagerly::Result<u64> {
        if sql.starts_with("UPDATE") {
            if let Some((kind, message)) = self.failures.lock().unwrap().pop_front() {
                return Err(Error::Database(DatabaseError::new(
                    kind,
                    message,
                    Box::new(std::fmt::Error),
                )));
            }
        }
        self.inner.execute(sql, params)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> eagerly::Result<()>,
    ) -> eagerly::Result<()> {
        self.inner.query(sql, params, on_row)
    }

    fn last_insert_id(&self) -> i64 {
        self.inner.last_insert_id()
    }

    fn transaction_open(&self) -> bool {
        self.inner.transaction_open()
    }
}

/// An in-memory session with counter 1 at 0, and its failure queue.
fn session() -> (Session, Failures) {
    let failures = Failures::default();
    let backend = SqliteBackend::new(rusqlite::Connection::open_in_memory().unwrap()).unwrap();
    let mut session = Session::with_backend(Box::new(Conflicting {
        inner: backend,
        failures: Arc::clone(&failures),
    }));
    session.create_all(&[Counter::META]).unwrap();
    session.insert(Counter { id: 1, value: 0 }).unwrap();
    session.reset_statements();
    (session, failures)
}

fn sqls(session: &Session) -> Vec<String> {
    session.statements().iter().map(|s| s.sql.clone()).collect()
}

const SELECT: &str = "SELECT \"id\", \"value\" FROM \"counters\" WHERE \"id\" = ?";
const UPDATE: &str = "UPDATE \"counters\" SET \"value\" = ? WHERE \"id\" = ?";

/// Reads counter 1 and writes it back plus one.
fn increment(s: &mut Session) -> eagerly::Result<Handle<Counter>> {
    let counter = s.get::<Counter>(1)?.expect("counter");
    s.update(Counter {
        id: 1,
        value: counter.value + 1,
    })
}

fn quick() -> RetryPolicy {
    RetryPolicy::new().backoff(Duration::from_millis(1), Duration::from_millis(2))
}

#[test]
fn every_level_runs_as_sqlite_serializable_with_the_same_begin() {
    let (mut session, _) = session();
    for level in [
        Isolation::ReadCommitted,
        Isolation::RepeatableRead,
        Isolation::Serializable,
    ] {
        session.transaction_with(level, increment).unwrap();
    }
    session.set_begin_immediate(true);
    session
        .transaction_with(
            TransactionOptions::new().isolation(Isolation::Serializable),
            increment,
        )
        .unwrap();
    session.begin_with(Isolation::Serializable).unwrap();
    increment(&mut session).unwrap();
    session.commit().unwrap();
    let mut expected = Vec::new();
    for begin in [
        "BEGIN",
        "BEGIN",
        "BEGIN",
        "BEGIN IMMEDIATE",
        "BEGIN IMMEDIATE",
    ] {
        expected.extend([begin, SELECT, UPDATE, "COMMIT"]);
    }
    assert_eq!(sqls(&session), expected);
    session.expire_all();
    assert_eq!(session.get::<Counter>(1).unwrap().unwrap().value, 5);
}

#[test]
fn a_level_or_a_retry_inside_a_transaction_and_zero_attempts_are_misuse() {
    let (mut session, _) = session();
    session.begin().unwrap();
    let nested = session.transaction_with(Isolation::Serializable, increment);
    assert!(matches!(nested, Err(Error::Misuse(m)) if m.contains("outermost")));
    let retried = session.transaction_with_retry(Isolation::Serializable, &quick(), increment);
    assert!(matches!(retried, Err(Error::Misuse(m)) if m.contains("outermost")));
    assert!(matches!(
        session.begin_with(Isolation::Serializable),
        Err(Error::Misuse(_))
    ));
    // Without a level, transaction_with nests as a savepoint.
    session
        .transaction_with(TransactionOptions::new(), increment)
        .unwrap();
    session.commit().unwrap();
    assert_eq!(
        sqls(&session),
        [
            "BEGIN",
            "SAVEPOINT eagerly_sp1",
            SELECT,
            UPDATE,
            "RELEASE SAVEPOINT eagerly_sp1",
            "COMMIT"
        ]
    );

    session.reset_statements();
    let zero = session.transaction_with_retry(
        Isolation::Serializable,
        &RetryPolicy::new().max_attempts(0),
        increment,
    );
    assert!(matches!(zero, Err(Error::Misuse(m)) if m.contains("max_attempts(0)")));
    assert_eq!(session.statement_count(), 0);
}

#[test]
fn conflicts_are_retried_with_growing_delays_until_one_attempt_commits() {
    let (mut session, failures) = session();
    failures.lock().unwrap().extend([
        (DatabaseErrorKind::SerializationFailure, "conflict 1"),
        (DatabaseErrorKind::Deadlock, "conflict 2"),
    ]);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let policy = RetryPolicy::new()
        .backoff(Duration::from_millis(2), Duration::from_millis(3))
        .on_retry(move |event| {
            seen.lock()
                .unwrap()
                .push((event.attempt, event.error.to_string(), event.delay));
        });
    let mut attempts = 0;
    let counter = session
        .transaction_with_retry(Isolation::Serializable, &policy, |s| {
            attempts += 1;
            increment(s)
        })
        .unwrap();
    assert_eq!(attempts, 3);
    assert_eq!(counter.value, 1);
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].0, 1);
    assert!(events[0].1.ends_with("conflict 1"), "{}", events[0].1);
    assert_eq!(events[1].0, 2);
    assert!(events[1].1.ends_with("conflict 2"), "{}", events[1].1);
    // Attempt 1 waits within [1, 2] ms, attempt 2 within [1.5, 3] (4 capped at 3).
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    assert!((1.0..=2.0).contains(&ms(events[0].2)), "{:?}", events[0].2);
    assert!((1.5..=3.0).contains(&ms(events[1].2)), "{:?}", events[1].2);
    // Each failed attempt was rolled back, and each attempt read afresh.
    let mut expected = Vec::new();
    for end in ["ROLLBACK", "ROLLBACK", "COMMIT"] {
        expected.extend(["BEGIN", SELECT, UPDATE, end]);
    }
    assert_eq!(sqls(&session), expected);
    session.expire_all();
    assert_eq!(session.get::<Counter>(1).unwrap().unwrap().value, 1);
}

#[test]
fn retry_gives_up_with_the_last_error_and_keeps_nothing_of_any_attempt() {
    let (mut session, failures) = session();
    failures.lock().unwrap().extend([
        (DatabaseErrorKind::SerializationFailure, "conflict 1"),
        (DatabaseErrorKind::SerializationFailure, "conflict 2"),
        (DatabaseErrorKind::SerializationFailure, "conflict 3"),
        (DatabaseErrorKind::SerializationFailure, "never reached"),
    ]);
    let mut attempts = 0;
    let result =
        session.transaction_with_retry(Isolation::Serializable, &quick().max_attempts(3), |s| {
            attempts += 1;
            // A write that lands before the refused one, in each attempt.
            s.insert(Counter {
                id: 10 + attempts,
                value: 0,
            })?;
            increment(s)
        });
    assert_eq!(attempts, 3);
    match result {
        Err(Error::Database(db)) => {
            assert_eq!(db.kind(), DatabaseErrorKind::SerializationFailure);
            assert_eq!(db.message(), "conflict 3");
        }
        other => panic!("expected the last conflict, got {other:?}"),
    }
    assert_eq!(failures.lock().unwrap().len(), 1);
    assert!(!session.in_transaction());
    assert_eq!(session.identity_map_len(), 0);
    assert_eq!(session.query::<Counter>().count().unwrap(), 1);
    assert_eq!(session.get::<Counter>(1).unwrap().unwrap().value, 0);
}

#[test]
fn other_errors_are_returned_at_once() {
    let (mut session, failures) = session();
    // Busy is SQLite's locking failure: BEGIN IMMEDIATE cures it, a retry
    // of a deferred transaction need not, so it is not retried.
    failures
        .lock()
        .unwrap()
        .push_back((DatabaseErrorKind::Busy, "database is locked"));
    let mut attempts = 0;
    let busy = session.transaction_with_retry(Isolation::Serializable, &quick(), |s| {
        attempts += 1;
        increment(s)
    });
    assert!(matches!(&busy, Err(Error::Database(db)) if db.kind() == DatabaseErrorKind::Busy));
    assert_eq!(attempts, 1);

    let mut attempts = 0;
    let duplicate = session.transaction_with_retry(Isolation::Serializable, &quick(), |s| {
        attempts += 1;
        s.insert(Counter { id: 1, value: 5 })
    });
    assert!(
        matches!(&duplicate, Err(Error::Database(db)) if db.kind() == DatabaseErrorKind::UniqueViolation)
    );
    assert_eq!(attempts, 1);
    assert_eq!(
        sqls(&session),
        [
            "BEGIN",
            SELECT,
            UPDATE,
            "ROLLBACK",
            "BEGIN",
            "INSERT INTO \"counters\" (\"id\", \"value\") VALUES (?, ?)",
            "ROLLBACK"
        ]
    );
}
