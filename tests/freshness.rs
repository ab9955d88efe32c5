//! Fresh when it matters: expire, expire_all, refresh, populate_existing and
//! expire-on-commit, and no lost update from handles kept between
//! transactions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "id")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
}

#[derive(Entity, Debug)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub value: i64,
}

fn seeded(s: &mut Session) {
    s.create_all(&[Author::META, Book::META, Counter::META])
        .unwrap();
    s.execute(
        "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')",
        &[],
    )
    .unwrap();
    s.execute(
        "INSERT INTO books (id, title, author_id) VALUES (10, 'A1', 1), (11, 'A2', 1), (20, 'B1', 2)",
        &[],
    )
    .unwrap();
    s.execute("INSERT INTO counters (id, value) VALUES (1, 0)", &[])
        .unwrap();
}

fn session() -> Session {
    let mut s = Session::in_memory().unwrap();
    seeded(&mut s);
    s
}

fn rename_behind_the_sessions_back(s: &mut Session, id: i64, name: &str) {
    s.execute(
        "UPDATE authors SET name = ? WHERE id = ?",
        &[name.into_value(), id.into_value()],
    )
    .unwrap();
}

trait IntoValue {
    fn into_value(self) -> eagerly::Value;
}
impl IntoValue for &str {
    fn into_value(self) -> eagerly::Value {
        eagerly::Value::Text(self.to_owned())
    }
}
impl IntoValue for i64 {
    fn into_value(self) -> eagerly::Value {
        eagerly::Value::Integer(self)
    }
}

#[test]
fn commit_expires_the_identity_map_by_default() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.transaction(|s| s.get::<Author>(2).map(drop)).unwrap();
    assert!(s.cached::<Author>(&1).is_none(), "expired on commit");
    rename_behind_the_sessions_back(&mut s, 1, "Ann II");
    s.reset_statements();
    let again = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(s.statement_count(), 1, "read again");
    assert_eq!(again.name, "Ann II");
    assert!(!Handle::ptr_eq(&ann, &again));
    // What a handle kept across the commit still reads: its own snapshot.
    assert_eq!(ann.name, "Ann");
    // begin/commit expires too.
    s.begin().unwrap();
    s.commit().unwrap();
    assert!(s.cached::<Author>(&1).is_none());
}

#[test]
fn expire_on_commit_can_be_turned_off() {
    let mut s = session();
    s.set_expire_on_commit(false);
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.transaction(|_| Ok(())).unwrap();
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &ann));
}

#[test]
fn expire_forgets_one_object_and_the_next_query_replaces_it() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let bob = s.get::<Author>(2).unwrap().unwrap();
    rename_behind_the_sessions_back(&mut s, 1, "Ann II");
    rename_behind_the_sessions_back(&mut s, 2, "Bob II");
    s.expire(&*ann);
    assert!(s.cached::<Author>(&1).is_none());
    let all = s.query::<Author>().order_by(Author::ID).all().unwrap();
    assert_eq!(all[0].name, "Ann II", "the expired row is read again");
    assert!(!Handle::ptr_eq(&all[0], &ann));
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &all[0]));
    // The one not expired is still the session's instance, as it was.
    assert!(Handle::ptr_eq(&all[1], &bob));
    assert_eq!(all[1].name, "Bob");
    // Expiring a handle that is no longer the registered one is harmless.
    s.expire(&*ann);
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &all[0]));
}

#[test]
fn expire_all_forgets_everything() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.expire_all();
    assert_eq!(s.identity_map_len(), 0);
    s.reset_statements();
    let again = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(s.statement_count(), 1);
    assert!(
        !again.books.is_loaded(),
        "a new instance, relations unloaded"
    );
    assert!(ann.books.is_loaded(), "the old handle keeps its snapshot");
}

#[test]
fn refresh_reads_the_row_now() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    rename_behind_the_sessions_back(&mut s, 1, "Ann II");
    s.reset_statements();
    let fresh = s.refresh(&*ann).unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(fresh.name, "Ann II");
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &fresh));
    // A row that is gone: NotFound, and the session forgets it.
    s.execute("DELETE FROM books WHERE author_id = 1", &[])
        .unwrap();
    s.execute("DELETE FROM authors WHERE id = 1", &[]).unwrap();
    assert!(matches!(
        s.refresh(&*fresh),
        Err(Error::NotFound { table: "authors" })
    ));
    assert!(s.cached::<Author>(&1).is_none());
}

#[test]
fn populate_existing_replaces_what_the_query_loads() {
    let mut s = session();
    let authors = s
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .order_by(Author::ID)
        .all()
        .unwrap();
    let a1 = Handle::clone(&authors[0].books.get().unwrap()[0]);
    rename_behind_the_sessions_back(&mut s, 1, "Ann II");
    s.execute("UPDATE books SET title = 'A1 revised' WHERE id = 10", &[])
        .unwrap();
    // A plain query serves the instances the session holds.
    let plain = s.query::<Author>().order_by(Author::ID).all().unwrap();
    assert!(Handle::ptr_eq(&plain[0], &authors[0]));
    assert_eq!(plain[0].name, "Ann");
    // populate_existing reads every row again, eager targets included.
    s.reset_statements();
    let fresh = s
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .order_by(Author::ID)
        .populate_existing()
        .all()
        .unwrap();
    assert_eq!(s.statement_count(), 2);
    assert_eq!(fresh[0].name, "Ann II");
    assert!(!Handle::ptr_eq(&fresh[0], &authors[0]));
    let books = fresh[0].books.get().unwrap();
    assert_eq!(books[0].title, "A1 revised");
    assert!(!Handle::ptr_eq(&books[0], &a1));
    assert!(Handle::ptr_eq(&s.cached::<Book>(&10).unwrap(), &books[0]));
    // One row is still one object within the refreshed query.
    assert_eq!(fresh.len(), 2);
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &fresh[0]));
}

/// The mechanism of a lost update, made deterministic with two sessions:
/// a handle kept from one transaction must not be served in the next.
#[test]
fn a_value_read_in_an_earlier_transaction_is_read_again() {
    let db = TempFile::new("kept");
    let mut setup = Session::open(&db.0).unwrap();
    seeded(&mut setup);
    // The identity map holds objects weakly: a lost update needs the
    // handles kept, as a long-lived worker keeps them.
    let mut kept = Vec::new();
    let mut increment = |s: &mut Session| {
        let written = s
            .transaction(|s| {
                let counter = s.get::<Counter>(1)?.expect("the counter row");
                s.update(Counter {
                    id: 1,
                    value: counter.value + 1,
                })
            })
            .unwrap();
        kept.push(written);
    };
    for expire_on_commit in [true, false] {
        setup.execute("UPDATE counters SET value = 0", &[]).unwrap();
        let mut first = Session::open(&db.0).unwrap();
        let mut second = Session::open(&db.0).unwrap();
        first.set_expire_on_commit(expire_on_commit);
        increment(&mut first); // 1, and `first` has read the counter
        increment(&mut second); // 2
        increment(&mut first); // 3 only if `first` reads again
        let value = setup.query::<Counter>().one().unwrap().value;
        if expire_on_commit {
            assert_eq!(value, 3, "no update lost");
        } else {
            assert_eq!(value, 2, "the stale handle lost the second update");
        }
    }
}

/// N threads, each with its own session kept open, doing M read-modify-write
/// increments in `BEGIN IMMEDIATE` transactions: none is lost.
#[test]
fn concurrent_increments_from_kept_sessions_lose_nothing() {
    const THREADS: usize = 4;
    const INCREMENTS: usize = 150;
    let db = TempFile::new("counters");
    {
        let mut setup = Session::open(&db.0).unwrap();
        seeded(&mut setup);
        setup.execute("PRAGMA journal_mode = WAL", &[]).ok();
    }
    let attempts = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let path = db.0.clone();
            let attempts = Arc::clone(&attempts);
            std::thread::spawn(move || {
                let mut s = Session::open(&path).unwrap();
                s.set_begin_immediate(true);
                // Handles kept between transactions, as a long-lived
                // worker would.
                let mut kept = Vec::new();
                for _ in 0..INCREMENTS {
                    loop {
                        attempts.fetch_add(1, Ordering::Relaxed);
                        let result = s.transaction(|s| {
                            let counter = s.get::<Counter>(1)?.expect("the counter row");
                            let value = counter.value;
                            kept.push(counter);
                            s.update(Counter {
                                id: 1,
                                value: value + 1,
                            })
                            .map(drop)
                        });
                        match result {
                            Ok(()) => break,
                            // The busy timeout ran out: try again.
                            Err(Error::Database(_)) => continue,
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                kept.len()
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let mut check = Session::open(&db.0).unwrap();
    let value = check.query::<Counter>().one().unwrap().value;
    assert_eq!(value, (THREADS * INCREMENTS) as i64, "lost updates");
    println!(
        "{THREADS} threads x {INCREMENTS} increments: {value} counted, {} attempts",
        attempts.load(Ordering::Relaxed)
    );
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(label: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        TempFile(std::env::temp_dir().join(format!(
            "eagerly-freshness-{label}-{}-{}.sqlite",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}
