//! The statement log: counts, recorded SQL, reset, capacity and tracing.

use std::fmt;
use std::sync::{Arc, Mutex};

use eagerly::prelude::*;
use eagerly::{LoggedStatement, DEFAULT_LOG_CAPACITY};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn session() -> Session {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[Author::META]).unwrap();
    session
}

fn insert(session: &mut Session, name: &str) -> Handle<Author> {
    session
        .insert(Author {
            id: 0,
            name: name.into(),
        })
        .unwrap()
}

#[test]
fn counts_and_records_every_statement() {
    let mut s = Session::in_memory().unwrap();
    assert_eq!(s.statement_count(), 0);
    assert!(s.statements().is_empty());
    s.create_all(&[Author::META]).unwrap();
    let ann = insert(&mut s, "Ann");
    s.query::<Author>()
        .filter(Author::NAME.eq("Ann"))
        .all()
        .unwrap();
    s.get::<Author>(ann.id).unwrap(); // from the identity map: no statement
    s.get::<Author>(99).unwrap();
    s.query::<Author>().count().unwrap();
    s.update(Author {
        id: 1,
        name: "Anne".into(),
    })
    .unwrap();
    s.delete_by_key::<Author>(1).unwrap();

    assert_eq!(s.statement_count(), 7);
    let logged = s.statements();
    assert_eq!(logged.len(), 7);
    assert!(logged[0]
        .sql
        .starts_with("CREATE TABLE IF NOT EXISTS \"authors\" ("));
    assert_eq!(logged[0].params, 0);
    let expected = [
        (
            "INSERT INTO \"authors\" (\"name\") VALUES (?)".to_owned(),
            1,
        ),
        (
            "SELECT \"id\", \"name\" FROM \"authors\" WHERE \"name\" = ?".to_owned(),
            1,
        ),
        (
            "SELECT \"id\", \"name\" FROM \"authors\" WHERE \"id\" = ?".to_owned(),
            1,
        ),
        ("SELECT COUNT(*) FROM \"authors\"".to_owned(), 0),
        (
            "UPDATE \"authors\" SET \"name\" = ? WHERE \"id\" = ?".to_owned(),
            2,
        ),
        ("DELETE FROM \"authors\" WHERE \"id\" = ?".to_owned(), 1),
    ];
    let expected: Vec<LoggedStatement> = expected
        .into_iter()
        .map(|(sql, params)| LoggedStatement {
            sql,
            params,
            values: Vec::new(),
        })
        .collect();
    assert_eq!(&logged[1..], expected.as_slice());
}

#[test]
fn failed_statements_are_counted() {
    let mut s = session();
    s.reset_statements();
    assert!(s.execute("THIS IS NOT SQL", &[]).is_err());
    assert!(s.execute("SELECT * FROM missing_table", &[]).is_err());
    assert_eq!(s.statement_count(), 2);
    assert_eq!(s.statements()[0].sql, "THIS IS NOT SQL");
}

#[test]
fn execute_records_params() {
    let mut s = session();
    s.reset_statements();
    s.execute(
        "INSERT INTO authors (id, name) VALUES (?, ?)",
        &[
            eagerly::Value::Integer(5),
            eagerly::Value::Text("Eve".into()),
        ],
    )
    .unwrap();
    assert_eq!(
        s.statements(),
        &[LoggedStatement {
            sql: "INSERT INTO authors (id, name) VALUES (?, ?)".into(),
            params: 2,
            values: Vec::new(),
        }]
    );
}

#[test]
fn reset_zeroes_count_and_forgets_records() {
    let mut s = session();
    insert(&mut s, "Ann");
    assert_eq!(s.statement_count(), 2);
    s.reset_statements();
    assert_eq!(s.statement_count(), 0);
    assert!(s.statements().is_empty());
    s.query::<Author>().all().unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(s.statements().len(), 1);
    assert!(s.statements()[0].sql.starts_with("SELECT"));
    // Reset does not touch the data or the identity map.
    s.reset_statements();
    assert!(s.get::<Author>(1).unwrap().is_some());
    assert_eq!(s.statement_count(), 1);
}

#[test]
fn default_capacity() {
    assert_eq!(DEFAULT_LOG_CAPACITY, 10_000);
    let mut s = session();
    s.reset_statements();
    for _ in 0..DEFAULT_LOG_CAPACITY + 5 {
        s.query::<Author>().count().unwrap();
    }
    assert_eq!(s.statement_count(), DEFAULT_LOG_CAPACITY as u64 + 5);
    assert_eq!(s.statements().len(), DEFAULT_LOG_CAPACITY);
}

#[test]
fn capacity_zero_keeps_nothing_but_counts() {
    let mut s = session();
    s.set_statement_log_capacity(0);
    assert!(s.statements().is_empty(), "shrinking drops kept statements");
    insert(&mut s, "Ann");
    s.query::<Author>().all().unwrap();
    assert_eq!(s.statement_count(), 3);
    assert!(s.statements().is_empty());
}

/// Runs one distinguishable statement per number.
fn numbered(s: &mut Session, numbers: std::ops::Range<i64>) {
    for n in numbers {
        s.execute(&format!("PRAGMA user_version = {n}"), &[])
            .unwrap();
    }
}

fn kept_numbers(s: &Session) -> Vec<i64> {
    s.statements()
        .iter()
        .map(|l| {
            l.sql
                .trim_start_matches("PRAGMA user_version = ")
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn small_capacity_keeps_the_newest() {
    let mut s = Session::in_memory().unwrap();
    s.set_statement_log_capacity(3);
    numbered(&mut s, 0..10);
    assert_eq!(s.statement_count(), 10);
    assert_eq!(kept_numbers(&s), [7, 8, 9]);
    numbered(&mut s, 10..11);
    assert_eq!(kept_numbers(&s), [8, 9, 10]);

    let mut s = Session::in_memory().unwrap();
    s.set_statement_log_capacity(1);
    numbered(&mut s, 0..5);
    assert_eq!(kept_numbers(&s), [4]);

    // Every length from 1 to 20 with capacity 4.
    let mut s = Session::in_memory().unwrap();
    s.set_statement_log_capacity(4);
    for n in 0..20 {
        numbered(&mut s, n..n + 1);
        let expected: Vec<i64> = ((n - 3).max(0)..=n).collect();
        assert_eq!(kept_numbers(&s), expected, "after statement {n}");
    }
}

#[test]
fn capacity_n_holds_exactly_n_after_3n_statements() {
    // The log holds no more than its capacity at any time (see the unit
    // tests in orm-core's session/log.rs for the memory it holds); the
    // public view shows exactly the newest N, and the count stays exact.
    for capacity in [1usize, 2, 5, 64, 1000] {
        let mut s = Session::in_memory().unwrap();
        s.set_statement_log_capacity(capacity);
        let n = capacity as i64;
        numbered(&mut s, 0..3 * n);
        assert_eq!(s.statement_count(), 3 * capacity as u64);
        assert_eq!(s.statements().len(), capacity);
        assert_eq!(kept_numbers(&s), (2 * n..3 * n).collect::<Vec<_>>());
    }
}

#[test]
fn shrinking_capacity_keeps_the_newest_and_growing_keeps_more() {
    let mut s = Session::in_memory().unwrap();
    numbered(&mut s, 0..6);
    s.set_statement_log_capacity(2);
    assert_eq!(kept_numbers(&s), [4, 5]);
    assert_eq!(s.statement_count(), 6);
    s.set_statement_log_capacity(5);
    numbered(&mut s, 6..9);
    assert_eq!(kept_numbers(&s), [4, 5, 6, 7, 8]);
    s.reset_statements();
    numbered(&mut s, 9..10);
    assert_eq!(kept_numbers(&s), [9]);

    // Growing never brings back statements a smaller capacity dropped.
    let mut s = Session::in_memory().unwrap();
    s.set_statement_log_capacity(3);
    numbered(&mut s, 0..5);
    assert_eq!(kept_numbers(&s), [2, 3, 4]);
    s.set_statement_log_capacity(10);
    assert_eq!(kept_numbers(&s), [2, 3, 4]);
    numbered(&mut s, 5..6);
    assert_eq!(kept_numbers(&s), [2, 3, 4, 5]);
}

/// A subscriber that records the events of target `eagerly::sql`.
#[derive(Clone, Default)]
struct SqlEvents {
    events: Arc<Mutex<Vec<(Level, String, u64)>>>,
}

#[derive(Default)]
struct EventFields {
    message: String,
    params: Option<u64>,
}

impl Visit for EventFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "params" {
            self.params = Some(value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "params" {
            self.params = u64::try_from(value).ok();
        }
    }
}

impl Subscriber for SqlEvents {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "eagerly::sql"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() != "eagerly::sql" {
            return;
        }
        let mut fields = EventFields::default();
        event.record(&mut fields);
        self.events.lock().unwrap().push((
            *event.metadata().level(),
            fields.message,
            fields.params.unwrap_or(u64::MAX),
        ));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn each_statement_is_a_tracing_debug_event() {
    // tracing-core caches each callsite's interest when the callsite is
    // first hit, asking only the hitting thread's default while a single
    // dispatcher is registered. Other tests run in parallel threads without a
    // subscriber, so: hit the callsite here first (registration then happens
    // before the rebuild below), and keep a second dispatcher alive so that
    // any later registration asks every registered dispatcher.
    session().reset_statements();
    let subscriber = SqlEvents::default();
    let events = Arc::clone(&subscriber.events);
    let _second = tracing::Dispatch::new(subscriber.clone());
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::dispatcher::with_default(&dispatch, || {
        let mut s = session();
        let _ann = insert(&mut s, "Ann");
        s.query::<Author>()
            .filter(Author::ID.in_([1, 2, 3]))
            .all()
            .unwrap();
        s.get::<Author>(1).unwrap(); // no statement, no event
        s.set_statement_log_capacity(0);
        s.query::<Author>().count().unwrap(); // not kept, still traced
        assert_eq!(s.statement_count(), 4);
    });
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(events.iter().all(|(level, _, _)| *level == Level::DEBUG));
    assert!(events[0].1.starts_with("CREATE TABLE"), "{:?}", events[0]);
    assert_eq!(
        events[1],
        (
            Level::DEBUG,
            "INSERT INTO \"authors\" (\"name\") VALUES (?)".to_owned(),
            1
        )
    );
    assert!(events[2].1.contains("IN (?, ?, ?)"), "{:?}", events[2]);
    assert_eq!(events[2].2, 3);
    assert_eq!(events[3].1, "SELECT COUNT(*) FROM \"authors\"");
    assert_eq!(events[3].2, 0);
}

#[test]
fn no_subscriber_no_problem() {
    // Without a subscriber the events go nowhere and nothing breaks.
    let mut s = session();
    insert(&mut s, "Ann");
    assert_eq!(s.statement_count(), 2);
}

#[test]
fn bound_values_are_logged_on_request_within_a_byte_budget() {
    let mut s = session();
    insert(&mut s, "Ann");
    assert!(s.statements()[0].values.is_empty(), "off by default");
    s.set_logged_values(64);
    s.reset_statements();
    let long = "x".repeat(1_000);
    insert(&mut s, &long);
    let logged = &s.statements()[0];
    assert_eq!(logged.params, 1);
    // The name is cut to the budget, whatever its length.
    assert_eq!(logged.values, [eagerly::Value::Text("x".repeat(64))]);
    s.set_logged_values(0);
    insert(&mut s, "Bob");
    assert!(s.statements()[1].values.is_empty());
}
