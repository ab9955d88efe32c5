//! Opening sessions (file, memory, existing connection) and moving sessions
//! and their objects between threads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "book_tags")]
pub struct BookTag {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub tag_id: i64,
}

/// A database file under the temp directory, removed on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new(label: &str) -> TempDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "eagerly-test-{label}-{}-{}-{nanos}.sqlite",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        TempDb(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

fn assert_send<T: Send>() {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn entities_and_handles_are_send_and_sync() {
    assert_send_sync::<Author>();
    assert_send_sync::<BookTag>();
    assert_send_sync::<Handle<Author>>();
    assert_send_sync::<Error>();
    assert_send::<Session>();
}

#[test]
fn open_file_creates_and_persists() {
    let db = TempDb::new("persist");
    {
        let mut session = Session::open(&db.0).unwrap();
        assert_eq!(session.statement_count(), 0);
        session.create_all(&[Author::META]).unwrap();
        session
            .insert(Author {
                id: 0,
                name: "Ann".into(),
            })
            .unwrap();
        session
            .insert(Author {
                id: 0,
                name: "Bob".into(),
            })
            .unwrap();
    }
    assert!(db.0.exists());

    let mut session = Session::open(&db.0).unwrap();
    assert_eq!(session.statement_count(), 0);
    let names: Vec<String> = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap()
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names, ["Ann", "Bob"]);
    assert_eq!(session.statement_count(), 1);
}

#[test]
fn two_sessions_on_one_file_see_committed_rows() {
    let db = TempDb::new("shared");
    let mut writer = Session::open(&db.0).unwrap();
    writer.create_all(&[Author::META]).unwrap();
    let mut reader = Session::open(&db.0).unwrap();
    writer
        .insert(Author {
            id: 7,
            name: "Cy".into(),
        })
        .unwrap();
    let seen = reader.get::<Author>(7).unwrap().unwrap();
    assert_eq!(seen.name, "Cy");
    // Different sessions, different identity maps.
    let own = writer.get::<Author>(7).unwrap().unwrap();
    assert!(!Handle::ptr_eq(&seen, &own));
}

#[test]
fn in_memory_sessions_are_private() {
    let mut first = Session::in_memory().unwrap();
    let mut second = Session::in_memory().unwrap();
    first.create_all(&[Author::META]).unwrap();
    first
        .insert(Author {
            id: 0,
            name: "Ann".into(),
        })
        .unwrap();
    assert_eq!(first.query::<Author>().count().unwrap(), 1);
    // The second database has no such table.
    let err = second.query::<Author>().count().unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    second.create_all(&[Author::META]).unwrap();
    assert_eq!(second.query::<Author>().count().unwrap(), 0);
}

#[test]
fn wraps_an_existing_connection() {
    let connection = rusqlite::Connection::open_in_memory().unwrap();
    connection
        .execute_batch(
            "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob');",
        )
        .unwrap();
    let mut session = Session::from_connection(connection).unwrap();
    assert_eq!(session.statement_count(), 0);
    let bob = session
        .query::<Author>()
        .filter(Author::NAME.eq("Bob"))
        .one()
        .unwrap();
    assert_eq!(bob.id, 2);
    assert_eq!(session.statement_count(), 1);
}

#[test]
fn wrapped_connection_enforces_foreign_keys() {
    let connection = rusqlite::Connection::open_in_memory().unwrap();
    connection
        .pragma_update(None, "foreign_keys", false)
        .unwrap();
    connection
        .execute_batch(
            "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL,
                                 author_id INTEGER NOT NULL REFERENCES authors (id));",
        )
        .unwrap();
    let mut session = Session::from_connection(connection).unwrap();
    let err = session
        .execute("INSERT INTO books (id, author_id) VALUES (1, 99)", &[])
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn wrapped_file_connection_writes_are_visible_to_rusqlite() {
    let db = TempDb::new("wrapped");
    let mut session = Session::from_connection(rusqlite::Connection::open(&db.0).unwrap()).unwrap();
    session.create_all(&[Author::META]).unwrap();
    session
        .insert(Author {
            id: 0,
            name: "Dee".into(),
        })
        .unwrap();
    let check = rusqlite::Connection::open(&db.0).unwrap();
    let name: String = check
        .query_row("SELECT name FROM authors WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "Dee");
}

#[test]
fn session_moves_to_another_thread_and_back() {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[Author::META]).unwrap();
    let ann = session
        .insert(Author {
            id: 0,
            name: "Ann".into(),
        })
        .unwrap();

    let (mut session, from_thread) = thread::spawn(move || {
        let found = session.get::<Author>(1).unwrap().unwrap();
        session
            .insert(Author {
                id: 0,
                name: "Bob".into(),
            })
            .unwrap();
        (session, found)
    })
    .join()
    .unwrap();

    // The identity map travelled with the session.
    assert!(Handle::ptr_eq(&ann, &from_thread));
    assert_eq!(session.query::<Author>().count().unwrap(), 2);
    // create, insert, insert (the get was served from the map), count.
    assert_eq!(session.statement_count(), 4);
}

#[test]
fn handles_are_shared_across_threads() {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[Author::META]).unwrap();
    for name in ["Ann", "Bob", "Cy"] {
        session
            .insert(Author {
                id: 0,
                name: name.into(),
            })
            .unwrap();
    }
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let authors = authors.clone();
            thread::spawn(move || {
                authors
                    .iter()
                    .map(|a| a.name.len() as i64 + a.id)
                    .sum::<i64>()
            })
        })
        .collect();
    for worker in workers {
        assert_eq!(worker.join().unwrap(), 3 + 3 + 2 + 1 + 2 + 3);
    }

    // A handle that went to another thread and came back is still the
    // session's instance.
    let ann = Handle::clone(&authors[0]);
    let back = thread::spawn(move || ann).join().unwrap();
    assert!(Handle::ptr_eq(
        &back,
        &session.get::<Author>(1).unwrap().unwrap()
    ));
}

#[test]
fn debug_output_shows_count() {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[Author::META]).unwrap();
    let text = format!("{session:?}");
    assert!(text.contains("Session"), "{text}");
    assert!(text.contains("statements: 1"), "{text}");
    assert!(!session.in_transaction());
}
