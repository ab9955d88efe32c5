//! Isolation levels and retried transactions on the real server (see
//! `tests/postgres.rs`): the conflicts are made on purpose, by a second
//! session committing between a transaction's read and its write, or by
//! four threads incrementing the same counters.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::graph::sqls;
use crate::support::pg;
use eagerly::prelude::*;
use eagerly::{DatabaseErrorKind, Isolation, RetryPolicy, TransactionOptions};

#[derive(Entity, Debug)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub value: i64,
}

/// One row per increment that committed: a failed attempt's row must not
/// land.
#[derive(Entity, Debug)]
#[orm(table = "increments")]
pub struct Increment {
    #[orm(primary_key)]
    pub id: i64,
    pub thread: i64,
    pub n: i64,
}

/// Counters 1 and 2 at 0, and no increments.
fn counters(test: &str) -> Option<pg::PgSession> {
    let mut pg = pg::session(test)?;
    pg.create_all(&[Counter::META, Increment::META]).unwrap();
    for id in [1, 2] {
        pg.insert(Counter { id, value: 0 }).unwrap();
    }
    pg.expunge_all();
    pg.reset_statements();
    Some(pg)
}

fn value(session: &mut Session, id: i64) -> i64 {
    session.expire_all();
    session.get::<Counter>(id).unwrap().expect("counter").value
}

fn bump(session: &mut Session, id: i64) {
    session
        .execute(
            "UPDATE counters SET value = value + 1 WHERE id = $1",
            &[eagerly::Value::Integer(id)],
        )
        .unwrap();
}

fn increment(thread: i64, n: i64) -> Increment {
    Increment { id: 0, thread, n }
}

fn kind<T: std::fmt::Debug>(result: &eagerly::Result<T>) -> DatabaseErrorKind {
    match result {
        Err(Error::Database(db)) => db.kind(),
        other => panic!("expected a database error, got {other:?}"),
    }
}

const SELECT_COUNTER: &str = "SELECT \"id\", \"value\" FROM \"counters\" WHERE \"id\" = $1";
const UPDATE_COUNTER: &str = "UPDATE \"counters\" SET \"value\" = $1 WHERE \"id\" = $2";

#[test]
fn each_isolation_level_is_the_server_transactions_level() {
    let Some(mut pg) = counters("each_isolation_level_is_the_server_transactions_level") else {
        return;
    };
    pg.execute(
        "CREATE TABLE levels (n SERIAL PRIMARY KEY, name TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    pg.reset_statements();
    let record = "INSERT INTO levels (name) VALUES (current_setting('transaction_isolation'))";
    for level in [
        Isolation::ReadCommitted,
        Isolation::RepeatableRead,
        Isolation::Serializable,
    ] {
        pg.transaction_with(level, |s| s.execute(record, &[]))
            .unwrap();
    }
    // begin_with: the same BEGIN, committed by hand.
    pg.begin_with(TransactionOptions::new().isolation(Isolation::Serializable))
        .unwrap();
    pg.execute(record, &[]).unwrap();
    pg.commit().unwrap();
    // No options: the server's default.
    pg.transaction_with(TransactionOptions::new(), |s| s.execute(record, &[]))
        .unwrap();
    assert_eq!(
        sqls(&pg),
        [
            "BEGIN ISOLATION LEVEL READ COMMITTED",
            record,
            "COMMIT",
            "BEGIN ISOLATION LEVEL REPEATABLE READ",
            record,
            "COMMIT",
            "BEGIN ISOLATION LEVEL SERIALIZABLE",
            record,
            "COMMIT",
            "BEGIN ISOLATION LEVEL SERIALIZABLE",
            record,
            "COMMIT",
            "BEGIN",
            record,
            "COMMIT",
        ]
    );
    let names: Vec<String> = pg
        .client()
        .query(
            &format!("SELECT name FROM \"{}\".levels ORDER BY n", pg.schema()),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        names,
        [
            "read committed",
            "repeatable read",
            "serializable",
            "serializable",
            "read committed"
        ]
    );
}

#[test]
fn a_level_or_a_retry_inside_an_open_transaction_is_refused() {
    let Some(mut pg) = counters("a_level_or_a_retry_inside_an_open_transaction_is_refused") else {
        return;
    };
    pg.transaction(|s| {
        let sent = s.statement_count();
        let nested = s.transaction_with(Isolation::Serializable, |_| Ok(()));
        assert!(matches!(nested, Err(Error::Misuse(m)) if m.contains("outermost")));
        let retried = s.transaction_with_retry(
            Isolation::Serializable,
            &RetryPolicy::new(),
            |_| -> eagerly::Result<()> { panic!("must not run") },
        );
        assert!(matches!(retried, Err(Error::Misuse(m)) if m.contains("outermost")));
        assert!(matches!(
            s.begin_with(Isolation::Serializable),
            Err(Error::Misuse(_))
        ));
        // Refused before anything was sent; the transaction goes on.
        assert_eq!(s.statement_count(), sent);
        assert!(!s.transaction_failed());
        s.update(Counter { id: 1, value: 5 })?;
        Ok(())
    })
    .unwrap();
    assert_eq!(value(&mut pg.another(), 1), 5);
    assert_eq!(sqls(&pg), ["BEGIN", UPDATE_COUNTER, "COMMIT"]);
}

/// A serializable transaction reads a counter, another session commits an
/// increment of it, and the first one's update is refused: without retry
/// the caller gets the serialization failure, and none of the failed
/// transaction's writes land.
#[test]
fn without_retry_a_conflict_is_a_serialization_failure_and_nothing_lands() {
    let Some(mut pg) =
        counters("without_retry_a_conflict_is_a_serialization_failure_and_nothing_lands")
    else {
        return;
    };
    let mut other = pg.another();
    let result = pg.transaction_with(Isolation::Serializable, |s| {
        let counter = s.get::<Counter>(1)?.expect("counter");
        s.insert(increment(0, 0))?;
        bump(&mut other, 1);
        s.update(Counter {
            id: 1,
            value: counter.value + 1,
        })?;
        Ok(())
    });
    assert_eq!(kind(&result), DatabaseErrorKind::SerializationFailure);
    let Err(Error::Database(db)) = &result else {
        unreachable!()
    };
    assert_eq!(db.code(), Some("40001"));
    assert_eq!(db.hint(), Some("retry the whole transaction"));
    assert!(!pg.in_transaction());
    // Nothing of the failed transaction is kept, in the database or in the
    // session's map.
    assert!(pg.cached::<Counter>(&1).is_none());
    let statements = sqls(&pg);
    assert_eq!(statements.len(), 5, "{statements:?}");
    assert_eq!(statements[0], "BEGIN ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(statements[1], SELECT_COUNTER);
    assert!(statements[2].starts_with("INSERT INTO \"increments\""));
    assert_eq!(statements[3], UPDATE_COUNTER);
    assert_eq!(statements[4], "ROLLBACK");
    assert_eq!(value(&mut other, 1), 1);
    assert_eq!(other.query::<Increment>().count().unwrap(), 0);
}

/// With retry the work runs again in a new transaction and reads the
/// counter afresh: neither the object loaded before the transaction nor
/// the one the failed attempt loaded is served again.
#[test]
fn retry_runs_the_work_again_on_fresh_reads() {
    let Some(mut pg) = counters("retry_runs_the_work_again_on_fresh_reads") else {
        return;
    };
    // Held across commits, so only the retry's own expiring can help.
    pg.set_expire_on_commit(false);
    let before = pg.get::<Counter>(1).unwrap().expect("counter");
    assert_eq!(before.value, 0);
    let mut other = pg.another();
    bump(&mut other, 1);
    pg.reset_statements();

    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let policy = RetryPolicy::new()
        .backoff(Duration::from_millis(1), Duration::from_millis(4))
        .on_retry(move |event| {
            let kind = match event.error {
                Error::Database(db) => db.kind(),
                other => panic!("retried {other:?}"),
            };
            seen.lock()
                .unwrap()
                .push((event.attempt, kind, event.delay));
        });
    let mut read = Vec::new();
    let result = pg.transaction_with_retry(Isolation::Serializable, &policy, |s| {
        let counter = s.get::<Counter>(1)?.expect("counter");
        read.push(counter.value);
        if read.len() == 1 {
            bump(&mut other, 1);
        }
        s.insert(increment(0, read.len() as i64))?;
        s.update(Counter {
            id: 1,
            value: counter.value + 1,
        })
    });
    let updated = result.unwrap();
    assert_eq!(updated.value, 3);
    // Attempt 1 read the database (1), not the object held from before
    // (0); attempt 2 read it again (2), not what attempt 1 loaded (1).
    assert_eq!(read, [1, 2]);
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].0, events[0].1),
        (1, DatabaseErrorKind::SerializationFailure)
    );
    assert!(events[0].2 >= Duration::from_micros(500) && events[0].2 <= Duration::from_millis(1));
    let statements = sqls(&pg);
    assert_eq!(statements.len(), 10, "{statements:?}");
    for (at, expected) in [
        (0, "BEGIN ISOLATION LEVEL SERIALIZABLE"),
        (1, SELECT_COUNTER),
        (3, UPDATE_COUNTER),
        (4, "ROLLBACK"),
        (5, "BEGIN ISOLATION LEVEL SERIALIZABLE"),
        (6, SELECT_COUNTER),
        (8, UPDATE_COUNTER),
        (9, "COMMIT"),
    ] {
        assert_eq!(statements[at], expected, "{statements:?}");
    }
    assert_eq!(value(&mut other, 1), 3);
    // Only the second attempt's increment landed.
    let landed = other.query::<Increment>().all().unwrap();
    assert_eq!(
        landed.iter().map(|i| (i.thread, i.n)).collect::<Vec<_>>(),
        [(0, 2)]
    );
}

/// Every attempt meets a conflict: the retry stops after its attempts and
/// returns the last attempt's error (a concurrent delete, where the earlier
/// ones were concurrent updates).
#[test]
fn retry_gives_up_after_its_attempts_with_the_last_error() {
    let Some(mut pg) = counters("retry_gives_up_after_its_attempts_with_the_last_error") else {
        return;
    };
    let mut other = pg.another();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&messages);
    let policy = RetryPolicy::new()
        .max_attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .on_retry(move |event| {
            seen.lock()
                .unwrap()
                .push((event.attempt, event.error.to_string()));
        });
    let mut attempts = 0;
    let result = pg.transaction_with_retry(Isolation::Serializable, &policy, |s| {
        attempts += 1;
        let counter = s.get::<Counter>(1)?.expect("counter");
        s.insert(increment(0, attempts))?;
        if attempts < 3 {
            bump(&mut other, 1);
        } else {
            other.delete_by_key::<Counter>(1).unwrap();
        }
        s.update(Counter {
            id: 1,
            value: counter.value + 1,
        })
    });
    assert_eq!(attempts, 3);
    assert_eq!(kind(&result), DatabaseErrorKind::SerializationFailure);
    let last = result.unwrap_err().to_string();
    assert!(last.contains("concurrent delete"), "{last}");
    let messages = messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for (i, (attempt, message)) in messages.iter().enumerate() {
        assert_eq!(*attempt, i as u32 + 1);
        assert!(message.contains("concurrent update"), "{message}");
    }
    assert!(!pg.in_transaction());
    assert_eq!(
        sqls(&pg)
            .iter()
            .filter(|s| s.as_str() == "ROLLBACK")
            .count(),
        3
    );
    // The two increments by the other session and its delete are all that
    // happened.
    assert!(other.get::<Counter>(1).unwrap().is_none());
    assert_eq!(other.query::<Increment>().count().unwrap(), 0);
}

#[test]
fn a_non_retryable_error_is_not_retried() {
    let Some(mut pg) = counters("a_non_retryable_error_is_not_retried") else {
        return;
    };
    let retries = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&retries);
    let policy = RetryPolicy::new().on_retry(move |_| {
        counted.fetch_add(1, Ordering::Relaxed);
    });
    let mut attempts = 0;
    let duplicate = pg.transaction_with_retry(Isolation::Serializable, &policy, |s| {
        attempts += 1;
        s.insert(increment(0, 0))?;
        s.insert(Counter { id: 1, value: 9 })
    });
    assert_eq!(kind(&duplicate), DatabaseErrorKind::UniqueViolation);
    assert_eq!(attempts, 1);
    let statements = sqls(&pg);
    assert_eq!(statements.len(), 4, "{statements:?}");
    assert_eq!(statements[3], "ROLLBACK");

    // The work's own error is not retried either.
    let mut attempts = 0;
    let refused: eagerly::Result<()> =
        pg.transaction_with_retry(Isolation::Serializable, &policy, |_| {
            attempts += 1;
            Err(Error::Misuse("no".into()))
        });
    assert!(matches!(refused, Err(Error::Misuse(m)) if m == "no"));
    assert_eq!(attempts, 1);
    assert_eq!(retries.load(Ordering::Relaxed), 0);
    assert_eq!(pg.another().query::<Increment>().count().unwrap(), 0);
}

/// 4 threads x 25 increments of two shared counters, each in a
/// serializable transaction that reads both and writes both (half of the
/// threads in the other order, so deadlocks are possible too). The
/// conflicts are many; with retry no increment is lost and no failed
/// attempt's row lands.
#[test]
fn serializable_increments_from_four_threads_lose_nothing_with_retry() {
    const THREADS: i64 = 4;
    const INCREMENTS: i64 = 25;
    let Some(pg) = counters("serializable_increments_from_four_threads_lose_nothing_with_retry")
    else {
        return;
    };
    let serialization = Arc::new(AtomicU32::new(0));
    let deadlocks = Arc::new(AtomicU32::new(0));
    let attempts = Arc::new(AtomicU32::new(0));
    let policy = {
        let (serialization, deadlocks) = (Arc::clone(&serialization), Arc::clone(&deadlocks));
        // Generous attempts: one thread wins each round, so a thread may
        // lose many in a row.
        RetryPolicy::new()
            .max_attempts(200)
            .backoff(Duration::from_millis(1), Duration::from_millis(40))
            .on_retry(move |event| match event.error {
                Error::Database(db) if db.kind() == DatabaseErrorKind::SerializationFailure => {
                    serialization.fetch_add(1, Ordering::Relaxed);
                }
                Error::Database(db) if db.kind() == DatabaseErrorKind::Deadlock => {
                    deadlocks.fetch_add(1, Ordering::Relaxed);
                }
                other => panic!("retried {other:?}"),
            })
    };
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let mut session = pg.another();
            // A deadlock is found after this wait (1 s by default).
            session
                .execute("SET deadlock_timeout = '20ms'", &[])
                .unwrap();
            let (policy, attempts) = (policy.clone(), Arc::clone(&attempts));
            std::thread::spawn(move || {
                let order = if thread % 2 == 0 { [1, 2] } else { [2, 1] };
                for n in 0..INCREMENTS {
                    session
                        .transaction_with_retry(Isolation::Serializable, &policy, |s| {
                            attempts.fetch_add(1, Ordering::Relaxed);
                            let read: Vec<Handle<Counter>> = order
                                .iter()
                                .map(|&id| s.get::<Counter>(id).map(|c| c.expect("counter")))
                                .collect::<eagerly::Result<_>>()?;
                            // The work between read and write that makes
                            // the transactions overlap.
                            std::thread::sleep(Duration::from_millis(1));
                            for counter in read {
                                s.update(Counter {
                                    id: counter.id,
                                    value: counter.value + 1,
                                })?;
                            }
                            s.insert(increment(thread, n))?;
                            Ok(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let total = THREADS * INCREMENTS;
    let mut check = pg.another();
    assert_eq!(value(&mut check, 1), total);
    assert_eq!(value(&mut check, 2), total);
    let landed = check.query::<Increment>().all().unwrap();
    let mut pairs: Vec<(i64, i64)> = landed.iter().map(|i| (i.thread, i.n)).collect();
    pairs.sort();
    let expected: Vec<(i64, i64)> = (0..THREADS)
        .flat_map(|t| (0..INCREMENTS).map(move |n| (t, n)))
        .collect();
    assert_eq!(pairs, expected);

    let attempts = attempts.load(Ordering::Relaxed);
    let serialization = serialization.load(Ordering::Relaxed);
    let deadlocks = deadlocks.load(Ordering::Relaxed);
    pg::say(&format!(
        "serializable increments: {total} committed in {attempts} attempts; \
         {serialization} serialization failures (40001), {deadlocks} deadlocks (40P01) retried"
    ));
    // Every attempt but the committed ones failed, and each failure was
    // retried once.
    assert_eq!(attempts as i64, total + (serialization + deadlocks) as i64);
    assert!(serialization > 0, "no serialization failure was provoked");
}
