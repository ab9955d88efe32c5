//! Concurrency: two sessions on one database file in two threads, WAL mode
//! and a busy timeout set on each `rusqlite::Connection` before
//! `Session::from_connection`, under a bounded write load (2 threads × 200
//! read-modify-write transactions): no lost writes, no "database is locked"
//! within the timeout, and entities moved across threads stay valid.
//!
//! With SQLite's default deferred `BEGIN`, a transaction that reads first
//! and then writes asks for the write lock on its first write; if the other
//! connection committed in between, SQLite answers SQLITE_BUSY at once
//! (its snapshot is stale, so waiting cannot help and the busy timeout is
//! not used): "database is locked" reaches the caller. That is measured
//! below: 100 to 200 such errors per 400 transactions here, despite a 10 s
//! busy timeout (every one retried; no write lost). `Session::set_begin_immediate(true)` makes `begin` (and
//! `transaction`) send `BEGIN IMMEDIATE`, which takes the write lock up
//! front and waits for it within the busy timeout: no error, no retry.
//!
//! The identity map outlives a commit: an object another connection has
//! changed since it was loaded is served as it was (see
//! `a_committed_session_serves_stale_objects`), so read-modify-write
//! transactions read with the map emptied (`expunge_all`) or by key after
//! `expunge`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub n: i64,
    #[relationship(foreign_key = "counter_id", order_by = "id")]
    pub entries: Many<Entry>,
}

#[derive(Entity, Debug)]
#[orm(table = "entries")]
pub struct Entry {
    #[orm(primary_key)]
    pub id: i64,
    pub counter_id: i64,
    pub writer: i64,
    pub seen: i64,
    #[relationship(foreign_key = "counter_id")]
    pub counter: One<Counter>,
}

const THREADS: i64 = 2;
const TRANSACTIONS: i64 = 200;

struct TempDb(PathBuf);

impl TempDb {
    fn new(label: &str) -> TempDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "eagerly-concurrency-{label}-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut s = session(&path, false);
        s.create_all(&[Counter::META, Entry::META]).unwrap();
        s.insert(Counter {
            id: 1,
            n: 0,
            entries: Many::new(),
        })
        .unwrap();
        TempDb(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A session on `path` in WAL mode with a 10 s busy timeout, set on the
/// connection before the session takes it.
fn session(path: &std::path::Path, immediate: bool) -> Session {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    connection.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut s = Session::from_connection(connection).unwrap();
    s.set_begin_immediate(immediate);
    s
}

/// One read-modify-write: read the counter (map emptied, so from the
/// database), write n + 1, and log an entry saying what was seen.
fn increment(s: &mut Session, writer: i64, entry: i64) -> eagerly::Result<()> {
    s.transaction(|s| {
        s.expunge_all();
        let counter = s
            .get::<Counter>(1)?
            .ok_or(Error::NotFound { table: "counters" })?;
        s.update(Counter {
            id: 1,
            n: counter.n + 1,
            entries: Many::new(),
        })?;
        s.insert(Entry {
            id: entry,
            counter_id: 1,
            writer,
            seen: counter.n,
            counter: One::new(),
        })?;
        Ok(())
    })
}

/// Runs the load; returns how many transactions failed with "database is
/// locked" (each is retried until it commits).
fn hammer(db: &TempDb, immediate: bool) -> usize {
    let busy = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|writer| {
            let path = db.0.clone();
            let busy = Arc::clone(&busy);
            std::thread::spawn(move || {
                let mut s = session(&path, immediate);
                for t in 0..TRANSACTIONS {
                    let entry = 1 + writer * TRANSACTIONS + t;
                    let mut tries = 0;
                    loop {
                        match increment(&mut s, writer, entry) {
                            Ok(()) => break,
                            Err(Error::Database(db)) if db.message().contains("locked") => {
                                busy.fetch_add(1, Ordering::Relaxed);
                                tries += 1;
                                assert!(tries < 1_000, "writer {writer} starved");
                                assert!(!s.in_transaction());
                                // Back off, or the other writer wins every race.
                                std::thread::sleep(Duration::from_micros(50 * tries.min(40)));
                            }
                            Err(other) => panic!("writer {writer}: {other}"),
                        }
                    }
                }
                s
            })
        })
        .collect();
    for t in threads {
        let s = t.join().unwrap();
        drop(s);
    }
    busy.load(Ordering::Relaxed)
}

/// No lost write: the counter counts every transaction, every entry is
/// there, and no two transactions saw the same value.
fn check_no_lost_writes(db: &TempDb) {
    let mut s = session(&db.0, false);
    let counter = s.get::<Counter>(1).unwrap().unwrap();
    assert_eq!(counter.n, THREADS * TRANSACTIONS);
    let entries = s.load(Counter::ENTRIES, &counter).unwrap();
    assert_eq!(entries.len() as i64, THREADS * TRANSACTIONS);
    let mut seen: Vec<i64> = entries.iter().map(|e| e.seen).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..THREADS * TRANSACTIONS).collect::<Vec<_>>());
    for w in 0..THREADS {
        assert_eq!(
            entries.iter().filter(|e| e.writer == w).count() as i64,
            TRANSACTIONS
        );
    }
}

#[test]
fn begin_immediate_two_writers_no_lost_writes_no_busy_errors() {
    let db = TempDb::new("immediate");
    let busy = hammer(&db, true);
    assert_eq!(
        busy, 0,
        "\"database is locked\" surfaced within the busy timeout"
    );
    check_no_lost_writes(&db);
}

/// With deferred `BEGIN` the same load loses no write either (SQLite
/// refuses the stale upgrade rather than losing it), but "database is
/// locked" reaches the caller, who must retry; the session stays usable
/// after each. How often depends on scheduling; the count is printed.
#[test]
fn deferred_begin_surfaces_busy_but_loses_nothing() {
    let db = TempDb::new("deferred");
    let busy = hammer(&db, false);
    eprintln!(
        "deferred BEGIN: {busy} \"database is locked\" errors in {} transactions",
        THREADS * TRANSACTIONS
    );
    check_no_lost_writes(&db);
}

/// Objects loaded in one thread are read in another (they are `Send +
/// Sync`, relations included), while their session goes on in its thread;
/// a session itself moves to another thread and keeps its identity map.
#[test]
fn entities_and_sessions_move_across_threads() {
    let db = TempDb::new("move");
    let mut s = session(&db.0, true);
    s.transaction(|s| {
        for i in 1..=50 {
            s.insert(Entry {
                id: i,
                counter_id: 1,
                writer: i % 3,
                seen: i * 10,
                counter: One::new(),
            })?;
        }
        Ok(())
    })
    .unwrap();
    s.expunge_all();
    let counter = s
        .query::<Counter>()
        .options(selectin(Counter::ENTRIES).then(joined(Entry::COUNTER)))
        .one()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Handle<Counter>>();
    let reader = std::thread::spawn(move || {
        let counter = rx.recv().unwrap();
        let entries = counter.entries.get().unwrap();
        assert_eq!(entries.len(), 50);
        for e in entries.iter() {
            assert_eq!(e.seen, e.id * 10);
            let back = e.counter.get().unwrap().unwrap();
            // The session's update in the other thread may already have put
            // the counter's new version in place (coherence after writes):
            // still loaded, and either the handle sent or the current one.
            assert!(Handle::ptr_eq(&back, &counter) || (back.id == counter.id && back.n == 99));
        }
        entries.len()
    });
    tx.send(Handle::clone(&counter)).unwrap();
    // Meanwhile the session keeps writing in this thread.
    s.transaction(|s| {
        s.update(Counter {
            id: 1,
            n: 99,
            entries: Many::new(),
        })
        .map(drop)
    })
    .unwrap();
    assert_eq!(reader.join().unwrap(), 50);
    assert_eq!(counter.n, 0, "the old handle keeps its values");

    // The session moves to another thread, identity map and all.
    let moved = std::thread::spawn(move || {
        let again = s.get::<Counter>(1).unwrap().unwrap();
        assert_eq!(again.n, 99);
        let e7 = s.get::<Entry>(7).unwrap().unwrap();
        (s, e7)
    });
    let (mut s, e7) = moved.join().unwrap();
    assert!(Handle::ptr_eq(&s.get::<Entry>(7).unwrap().unwrap(), &e7));
    // Two sessions reading concurrently while a third writes.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let path = db.0.clone();
            std::thread::spawn(move || {
                let mut r = session(&path, false);
                for _ in 0..50 {
                    let all = r
                        .query::<Entry>()
                        .options(selectin(Entry::COUNTER))
                        .all()
                        .unwrap();
                    assert!(all.len() >= 50);
                    assert!(all.iter().all(|e| e.counter.get().unwrap().is_some()));
                    r.expunge_all();
                }
            })
        })
        .collect();
    for i in 51..=150 {
        s.transaction(|s| {
            s.insert(Entry {
                id: i,
                counter_id: 1,
                writer: 9,
                seen: 0,
                counter: One::new(),
            })
            .map(drop)
        })
        .unwrap();
    }
    for r in readers {
        r.join().unwrap();
    }
}

/// After a commit the identity map keeps its objects (only a rollback
/// empties it), so a session serves an object another connection changed
/// since as it was loaded — inside a new transaction too, by `get` and by
/// a query that reads the new row. A read-modify-write built on it loses
/// the other connection's write. SQLAlchemy expires every object on commit
/// (`expire_on_commit`) so the next access reloads; eagerly does not
/// (orm-core/src/session/mod.rs `commit` keeps the map, and the row loop
/// prefers the mapped instance to the row it read).
#[test]
#[ignore = "bug: commit does not expire the identity map; stale objects survive another connection's writes (session/mod.rs commit)"]
fn a_committed_session_serves_stale_objects() {
    let db = TempDb::new("stale");
    let mut a = session(&db.0, true);
    let mut b = session(&db.0, true);
    let seen = a.get::<Counter>(1).unwrap().unwrap();
    assert_eq!(seen.n, 0);
    b.transaction(|b| {
        b.update(Counter {
            id: 1,
            n: 5,
            entries: Many::new(),
        })
        .map(drop)
    })
    .unwrap();
    a.transaction(|a| {
        let now = a.query::<Counter>().one()?;
        assert_eq!(now.n, 5, "a new transaction read a stale counter");
        Ok(())
    })
    .unwrap();
}
