//! Database errors a caller can branch on: the kind of each constraint
//! violation SQLite reports and the names it gives, busy with its hint,
//! statements quoted short, and each message once in a `source()` chain.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use eagerly::prelude::*;
use eagerly::{DatabaseError, DatabaseErrorKind, Value};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub price: f64,
    pub pages: i64,
}

/// Tables with every kind of constraint, written by hand, and author 1.
fn session() -> Session {
    let mut s = Session::in_memory().unwrap();
    for ddl in [
        "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE UNIQUE INDEX authors_name ON authors (name)",
        "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         author_id INTEGER NOT NULL REFERENCES authors (id), \
         price REAL NOT NULL CONSTRAINT positive_price CHECK (price > 0), \
         pages INTEGER NOT NULL CHECK (pages >= 1))",
        "CREATE TABLE labels (owner TEXT NOT NULL, label TEXT NOT NULL, \
         PRIMARY KEY (owner, label)) WITHOUT ROWID",
        "CREATE TABLE tags (name TEXT NOT NULL)",
        "CREATE UNIQUE INDEX tags_lower_name ON tags (lower(name))",
    ] {
        s.execute(ddl, &[]).unwrap();
    }
    s.insert(Author {
        id: 1,
        name: "Ann".into(),
    })
    .unwrap();
    s.reset_statements();
    s
}

fn book(id: i64, author_id: i64, price: f64, pages: i64) -> Book {
    Book {
        id,
        title: format!("Book {id}"),
        author_id,
        price,
        pages,
    }
}

/// The database error inside `result`, or a panic naming what came instead.
fn database_error<T: std::fmt::Debug>(result: eagerly::Result<T>) -> DatabaseError {
    match result {
        Err(Error::Database(db)) => db,
        other => panic!("expected a database error, got {other:?}"),
    }
}

/// The session goes on after the error: a read and a good write work.
fn still_usable(s: &mut Session) {
    assert_eq!(s.query::<Author>().count().unwrap(), 1);
    s.insert(book(50, 1, 1.0, 1)).unwrap();
    s.delete_by_key::<Book>(50).unwrap();
}

/// Each level of `error`'s `source()` chain, displayed, as anyhow's `{:#}`
/// prints them.
fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut levels = Vec::new();
    let mut next = Some(error);
    while let Some(level) = next {
        levels.push(level.to_string());
        next = level.source();
    }
    levels
}

#[test]
fn unique_violation_on_an_integer_primary_key() {
    let mut s = session();
    let db = database_error(s.insert(Author {
        id: 1,
        name: "Impostor".into(),
    }));
    assert_eq!(db.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(db.table(), Some("authors"));
    assert_eq!(db.columns(), ["id"]);
    assert_eq!(db.constraint(), None);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_PRIMARYKEY"));
    assert_eq!(db.message(), "UNIQUE constraint failed: authors.id");
    assert_eq!(
        db.to_string(),
        "database error: unique violation on authors.id: UNIQUE constraint failed: authors.id"
    );
    still_usable(&mut s);
}

#[test]
fn unique_violation_on_a_composite_primary_key() {
    let mut s = session();
    let insert = "INSERT INTO labels (owner, label) VALUES ('ann', 'red')";
    s.execute(insert, &[]).unwrap();
    let db = database_error(s.execute(insert, &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(db.table(), Some("labels"));
    assert_eq!(db.columns(), ["owner", "label"]);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_PRIMARYKEY"));
    assert_eq!(
        db.to_string(),
        "database error: unique violation on labels (owner, label): \
         UNIQUE constraint failed: labels.owner, labels.label"
    );
    still_usable(&mut s);
}

#[test]
fn unique_violation_on_a_unique_index() {
    let mut s = session();
    let error = s
        .insert(Author {
            id: 2,
            name: "Ann".into(),
        })
        .unwrap_err();
    let message = error.to_string();
    let db = database_error::<()>(Err(error));
    assert_eq!(db.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(db.table(), Some("authors"));
    assert_eq!(db.columns(), ["name"]);
    assert_eq!(db.constraint(), None);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_UNIQUE"));
    assert_eq!(
        message,
        "database error: unique violation on authors.name: UNIQUE constraint failed: authors.name"
    );
    // Nothing was written, and the map holds no object for the refused row.
    assert!(s.cached::<Author>(&2).is_none());
    assert!(s.get::<Author>(2).unwrap().is_none());
    still_usable(&mut s);
}

#[test]
fn unique_violation_on_an_index_on_expressions_names_the_index() {
    let mut s = session();
    s.execute("INSERT INTO tags (name) VALUES ('Rust')", &[])
        .unwrap();
    let db = database_error(s.execute("INSERT INTO tags (name) VALUES ('RUST')", &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(db.constraint(), Some("tags_lower_name"));
    assert_eq!(db.table(), None);
    assert!(db.columns().is_empty());
    assert_eq!(
        db.to_string(),
        "database error: unique violation on tags_lower_name: \
         UNIQUE constraint failed: index 'tags_lower_name'"
    );
}

#[test]
fn foreign_key_violation_names_nothing() {
    let mut s = session();
    // A book of an author who does not exist.
    let db = database_error(s.insert(book(1, 99, 10.0, 100)));
    assert_eq!(db.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_FOREIGNKEY"));
    assert_eq!((db.constraint(), db.table()), (None, None));
    assert!(db.columns().is_empty());
    assert_eq!(
        db.to_string(),
        "database error: foreign key violation: FOREIGN KEY constraint failed"
    );
    // Deleting an author who has a book.
    s.insert(book(1, 1, 10.0, 100)).unwrap();
    let db = database_error(s.delete_by_key::<Author>(1));
    assert_eq!(db.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert!(s.get::<Author>(1).unwrap().is_some());

    // A deferred foreign key fails at COMMIT, with the same kind.
    s.execute(
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL \
         REFERENCES books (id) DEFERRABLE INITIALLY DEFERRED)",
        &[],
    )
    .unwrap();
    let db = database_error(s.transaction(|s| {
        s.execute("INSERT INTO reviews (id, book_id) VALUES (1, 42)", &[])?;
        Ok(())
    }));
    assert_eq!(db.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert!(!s.in_transaction());
    still_usable(&mut s);
}

#[test]
fn not_null_violation_names_table_and_column() {
    let mut s = session();
    let db = database_error(s.execute(
        "INSERT INTO books (id, title, author_id, price, pages) VALUES (1, ?, 1, 10.0, 100)",
        &[Value::Null],
    ));
    assert_eq!(db.kind(), DatabaseErrorKind::NotNullViolation);
    assert_eq!(db.table(), Some("books"));
    assert_eq!(db.columns(), ["title"]);
    assert_eq!(db.constraint(), None);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_NOTNULL"));
    assert_eq!(
        db.to_string(),
        "database error: not null violation on books.title: NOT NULL constraint failed: books.title"
    );
    still_usable(&mut s);
}

#[test]
fn check_violation_names_the_constraint_or_its_expression() {
    let mut s = session();
    // A named CHECK: SQLite gives its name.
    let db = database_error(s.insert(book(1, 1, -5.0, 100)));
    assert_eq!(db.kind(), DatabaseErrorKind::CheckViolation);
    assert_eq!(db.constraint(), Some("positive_price"));
    assert_eq!(db.table(), None);
    assert!(db.columns().is_empty());
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_CHECK"));
    assert_eq!(
        db.to_string(),
        "database error: check violation on positive_price: CHECK constraint failed: positive_price"
    );
    // An unnamed CHECK: SQLite gives its expression.
    let db = database_error(s.insert(book(1, 1, 5.0, 0)));
    assert_eq!(db.kind(), DatabaseErrorKind::CheckViolation);
    assert_eq!(db.constraint(), Some("pages >= 1"));
    assert_eq!(
        db.to_string(),
        "database error: check violation on pages >= 1: CHECK constraint failed: pages >= 1"
    );
    still_usable(&mut s);
}

#[test]
fn the_kind_comes_from_the_result_code_not_the_message() {
    let mut s = session();
    // A CHECK whose name reads like another kind's message.
    s.execute(
        "CREATE TABLE odd (n INTEGER CONSTRAINT \"UNIQUE constraint failed: odd.n\" CHECK (n > 0))",
        &[],
    )
    .unwrap();
    let db = database_error(s.execute("INSERT INTO odd (n) VALUES (0)", &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::CheckViolation);
    assert_eq!(db.constraint(), Some("UNIQUE constraint failed: odd.n"));
    // A trigger's RAISE with a unique violation's text is no unique violation.
    s.execute(
        "CREATE TRIGGER no_tags BEFORE INSERT ON tags \
         BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: tags.name'); END",
        &[],
    )
    .unwrap();
    let db = database_error(s.execute("INSERT INTO tags (name) VALUES ('x')", &[]));
    assert_eq!(db.message(), "UNIQUE constraint failed: tags.name");
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert_eq!(db.code(), Some("SQLITE_CONSTRAINT_TRIGGER"));
    assert_eq!((db.table(), db.constraint()), (None, None));
    assert_eq!(
        db.to_string(),
        "database error: UNIQUE constraint failed: tags.name"
    );
}

#[test]
fn other_failures_are_other() {
    let mut s = session();
    let db = database_error(s.execute("SELECT * FROM missing", &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert_eq!(db.code(), Some("SQLITE_ERROR"));
    assert_eq!(db.to_string(), "database error: no such table: missing");
    // rusqlite quotes the statement when SQLite points into it.
    let db = database_error(s.execute("SELECT nope FROM authors", &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert_eq!(
        db.to_string(),
        "database error: no such column: nope in SELECT nope FROM authors at offset 7"
    );
    // Failures the driver reports without a SQLite code.
    let db = database_error(s.insert(book(1, 1, f64::NAN, 1)));
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert_eq!(db.code(), None);
    assert!(db.message().contains("NaN"), "{db}");
    let db = database_error(s.execute("SELECT ?", &[]));
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert_eq!(db.code(), None);
    // The driver's own error stays reachable.
    let driver = db
        .driver_error()
        .downcast_ref::<rusqlite::Error>()
        .expect("a rusqlite error");
    assert!(
        matches!(driver, rusqlite::Error::InvalidParameterCount(0, 1)),
        "{driver:?}"
    );
}

struct TempDb(PathBuf);

impl TempDb {
    fn new() -> TempDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        TempDb(std::env::temp_dir().join(format!(
            "eagerly-error-kinds-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )))
    }

    /// A session on the file in WAL mode, as concurrent writers use it.
    fn session(&self) -> Session {
        let connection = rusqlite::Connection::open(&self.0).unwrap();
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        Session::from_connection(connection).unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[test]
fn busy_when_a_deferred_transaction_upgrades_a_stale_snapshot_says_how_to_avoid_it() {
    let db = TempDb::new();
    let mut first = db.session();
    first
        .execute(
            "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            &[],
        )
        .unwrap();
    first
        .insert(Author {
            id: 1,
            name: "Ann".into(),
        })
        .unwrap();
    let mut second = db.session();

    // `first` reads in a deferred transaction, `second` commits a write,
    // then `first` writes: its snapshot is stale, so SQLite refuses at once.
    first.begin().unwrap();
    assert!(first.get::<Author>(1).unwrap().is_some());
    second
        .execute("UPDATE authors SET name = 'Bob' WHERE id = 1", &[])
        .unwrap();
    let error = first
        .execute("UPDATE authors SET name = 'Cy' WHERE id = 1", &[])
        .unwrap_err();
    let message = error.to_string();
    let busy = database_error::<()>(Err(error));
    assert_eq!(busy.kind(), DatabaseErrorKind::Busy);
    assert_eq!(busy.message(), "database is locked");
    assert_eq!(busy.code(), Some("SQLITE_BUSY_SNAPSHOT"));
    assert_eq!((busy.table(), busy.constraint()), (None, None));
    assert!(
        busy.hint()
            .is_some_and(|hint| hint.contains("set_begin_immediate(true)")),
        "{busy:?}"
    );
    assert!(
        message.starts_with("database error: busy: database is locked ("),
        "{message}"
    );
    assert!(message.contains("set_begin_immediate(true)"), "{message}");
    first.rollback().unwrap();

    // The advice works: with BEGIN IMMEDIATE the same sequence cannot
    // interleave, and the write goes through.
    first.set_begin_immediate(true);
    first.begin().unwrap();
    first.expunge_all();
    assert_eq!(first.get::<Author>(1).unwrap().unwrap().name, "Bob");
    first
        .execute("UPDATE authors SET name = 'Cy' WHERE id = 1", &[])
        .unwrap();
    first.commit().unwrap();
    second.expunge_all();
    assert_eq!(second.get::<Author>(1).unwrap().unwrap().name, "Cy");
}

#[test]
fn a_failing_statement_of_100_000_characters_is_quoted_short() {
    let mut s = session();
    // SELECT nope FROM authors WHERE 1 IN (1, 1, ...), 100 000 characters:
    // SQLite points into it, so rusqlite's message would quote it whole.
    let mut sql = String::from("SELECT nope FROM authors WHERE 1 IN (1");
    while sql.len() + 3 < 100_000 {
        sql.push_str(", 1");
    }
    while sql.len() < 100_000 - 1 {
        sql.push(' ');
    }
    sql.push(')');
    assert_eq!(sql.chars().count(), 100_000);

    let error = s.execute(&sql, &[]).unwrap_err();
    let display = error.to_string();
    let debug = format!("{error:?}");
    let db = database_error::<()>(Err(error));
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert!(
        db.message()
            .starts_with("no such column: nope in SELECT nope FROM authors WHERE 1 IN (1, 1"),
        "{db}"
    );
    assert!(
        db.message()
            .ends_with("... (100000 characters) at offset 7"),
        "{db}"
    );
    for text in [db.message(), &display, &debug] {
        assert!(text.len() < 400, "{} characters: {text}", text.len());
    }
    // The driver's error still has the whole statement, for who needs it.
    match db.driver_error().downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqlInputError { sql: whole, .. }) => assert_eq!(whole.len(), 100_000),
        other => panic!("{other:?}"),
    }

    // A syntax error at the very end of a long statement, and a statement
    // with more parameters than SQLite allows, are quoted short too.
    let mut bad = sql.clone();
    bad.push_str(" nonsense");
    let db = database_error(s.execute(&bad, &[]));
    assert!(db.message().len() < 400, "{db}");
    // SQLite's own message quotes a whole token, which can be a string
    // literal of any length.
    let literal = "x".repeat(100_000);
    for statement in [format!("DELETE '{literal}'"), format!("SELECT '{literal}")] {
        let db = database_error(s.execute(&statement, &[]));
        assert!(db.message().len() < 600, "{db}");
        assert!(db.message().contains("characters)"), "{db}");
    }
    let params: Vec<String> = (0..40_000).map(|_| "?".to_owned()).collect();
    let many = format!("SELECT 1 WHERE 1 IN ({})", params.join(", "));
    let db = database_error(s.execute(&many, &[]));
    assert!(db.message().contains("too many SQL variables"), "{db}");
    assert!(db.message().len() < 400, "{db}");
    assert!(db.to_string().len() < 400, "{db}");
    still_usable(&mut s);
}

#[test]
fn a_source_chain_shows_the_database_message_once() {
    let mut s = session();
    let errors = [
        s.insert(Author {
            id: 2,
            name: "Ann".into(),
        })
        .map(drop)
        .unwrap_err(),
        s.insert(book(1, 99, 1.0, 1)).map(drop).unwrap_err(),
        s.insert(book(1, 1, -1.0, 1)).map(drop).unwrap_err(),
        s.execute("SELECT * FROM missing", &[])
            .map(drop)
            .unwrap_err(),
        s.insert(book(1, 1, f64::NAN, 1)).map(drop).unwrap_err(),
    ];
    for error in &errors {
        let Error::Database(db) = error else {
            panic!("expected a database error, got {error:?}")
        };
        let levels = chain(error);
        let report = levels.join(": ");
        assert_eq!(report.matches(db.message()).count(), 1, "{levels:#?}");
        assert_eq!(levels[0], db.to_string());
    }
    // A constraint violation's chain ends in SQLite's code:
    // "database error: unique violation on authors.name: UNIQUE constraint
    // failed: authors.name: database code SQLITE_CONSTRAINT_UNIQUE".
    assert_eq!(
        chain(&errors[0]),
        [
            "database error: unique violation on authors.name: UNIQUE constraint failed: authors.name",
            "database code SQLITE_CONSTRAINT_UNIQUE",
        ]
    );
    // The busy message, with its hint, once as well.
    let db = TempDb::new();
    let mut first = db.session();
    first
        .execute(
            "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)",
            &[],
        )
        .unwrap();
    let mut second = db.session();
    first.begin().unwrap();
    assert_eq!(first.query::<Author>().count().unwrap(), 0);
    second
        .execute("INSERT INTO authors VALUES (1, 'Ann')", &[])
        .unwrap();
    let error = first
        .execute("INSERT INTO authors VALUES (2, 'Bob')", &[])
        .unwrap_err();
    let levels = chain(&error);
    let report = levels.join(": ");
    assert_eq!(
        report.matches("database is locked").count(),
        1,
        "{levels:#?}"
    );
    assert_eq!(
        report.matches("set_begin_immediate").count(),
        1,
        "{levels:#?}"
    );
    first.rollback().unwrap();
}

#[test]
fn backends_build_database_errors() {
    let driver: Box<dyn std::error::Error + Send + Sync> = "duplicate key".into();
    let db = DatabaseError::new(
        DatabaseErrorKind::UniqueViolation,
        "duplicate key value violates unique constraint \"authors_name_key\"",
        driver,
    )
    .with_constraint("authors_name_key")
    .with_table("authors")
    .with_columns(["name"])
    .with_code("23505");
    assert_eq!(db.constraint(), Some("authors_name_key"));
    assert_eq!(db.code(), Some("23505"));
    assert_eq!(
        db.to_string(),
        "database error: unique violation on authors.name: \
         duplicate key value violates unique constraint \"authors_name_key\""
    );
    assert_eq!(db.driver_error().to_string(), "duplicate key");
    let serialization = DatabaseError::new(
        DatabaseErrorKind::SerializationFailure,
        "could not serialize access due to concurrent update",
        "40001".into(),
    )
    .with_hint("retry the transaction");
    assert_eq!(
        Error::from(serialization).to_string(),
        "database error: serialization failure: could not serialize access due to \
         concurrent update (retry the transaction)"
    );
    assert_eq!(DatabaseErrorKind::Busy.to_string(), "busy");
    assert_eq!(DatabaseErrorKind::Other.to_string(), "other");
}
