//! Errors: decode failures on bad data, database errors, messages, and the
//! session staying usable after each.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "people")]
pub struct Person {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub visits: u32,
    pub score: f64,
    pub active: bool,
    pub nick: Option<String>,
    pub avatar: Vec<u8>,
    pub big: i64,
}

#[derive(Entity, Debug)]
#[orm(table = "labels")]
pub struct Label {
    #[orm(primary_key)]
    pub owner: String,
    #[orm(primary_key)]
    pub label: String,
}

/// A session whose tables have no type or NOT NULL constraints, so any value
/// can be stored, and one good person (id 1).
fn session() -> Session {
    let mut s = Session::in_memory().unwrap();
    s.execute("PRAGMA foreign_keys = OFF", &[]).unwrap();
    s.execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name, age, visits, score, active, nick, avatar, big)",
        &[],
    )
    .unwrap();
    s.execute("CREATE TABLE labels (owner, label)", &[])
        .unwrap();
    s.execute(
        "INSERT INTO people VALUES (1, 'Good', 30, 3, 1.5, 1, NULL, x'00', 7)",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

/// Inserts person 2 with one column replaced by `sql_value`.
fn insert_bad(s: &mut Session, column: &str, sql_value: &str) {
    let mut values = vec![
        ("id", "2"),
        ("name", "'Bad'"),
        ("age", "40"),
        ("visits", "4"),
        ("score", "2.5"),
        ("active", "0"),
        ("nick", "NULL"),
        ("avatar", "x'01'"),
        ("big", "8"),
    ];
    for (name, value) in &mut values {
        if *name == column {
            *value = sql_value;
        }
    }
    let list: Vec<&str> = values.iter().map(|(_, v)| *v).collect();
    s.execute(
        &format!("INSERT OR REPLACE INTO people VALUES ({})", list.join(", ")),
        &[],
    )
    .unwrap();
}

/// Reads person 2 expecting a decode error on `column`; checks the parts and
/// the message, then that the session still answers a query.
fn expect_decode(s: &mut Session, column: &str, expected: &str, found: &str) -> String {
    s.expunge_all();
    s.reset_statements();
    let error = s.get::<Person>(2).unwrap_err();
    let message = error.to_string();
    match error {
        Error::Decode {
            table,
            column: c,
            expected: e,
            found: f,
        } => {
            assert_eq!(table, "people");
            assert_eq!(c, column);
            assert_eq!(e, expected);
            assert_eq!(f, found);
        }
        other => panic!("expected a decode error on {column}, got {other:?}"),
    }
    assert_eq!(s.statement_count(), 1);
    assert!(s.cached::<Person>(&2).is_none());

    // The session stays usable.
    let good = s.query::<Person>().filter(Person::ID.eq(1)).one().unwrap();
    assert_eq!(good.name, "Good");
    assert_eq!(s.query::<Person>().count().unwrap(), 2);
    message
}

#[test]
fn null_in_non_optional_column() {
    let mut s = session();
    insert_bad(&mut s, "name", "NULL");
    let message = expect_decode(&mut s, "name", "String", "NULL");
    assert_eq!(
        message,
        "cannot decode column people.name: expected String, found NULL"
    );
    insert_bad(&mut s, "age", "NULL");
    expect_decode(&mut s, "age", "i32", "NULL");
    insert_bad(&mut s, "active", "NULL");
    expect_decode(&mut s, "active", "bool", "NULL");
    insert_bad(&mut s, "avatar", "NULL");
    expect_decode(&mut s, "avatar", "Vec<u8>", "NULL");
    insert_bad(&mut s, "score", "NULL");
    expect_decode(&mut s, "score", "f64", "NULL");
}

#[test]
fn null_in_key_column() {
    let mut s = session();
    s.execute("INSERT INTO labels VALUES (NULL, 'x')", &[])
        .unwrap();
    match s.query::<Label>().all() {
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => {
            assert_eq!((table, column, expected), ("labels", "owner", "String"));
            assert_eq!(found, "NULL");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    s.execute("UPDATE labels SET owner = 'me'", &[]).unwrap();
    let labels = s.query::<Label>().all().unwrap();
    assert_eq!(labels[0].owner, "me");
}

#[test]
fn wrong_storage_class() {
    let mut s = session();
    insert_bad(&mut s, "age", "'forty'");
    let message = expect_decode(&mut s, "age", "i32", "TEXT");
    assert_eq!(
        message,
        "cannot decode column people.age: expected i32, found TEXT"
    );
    insert_bad(&mut s, "big", "'8'");
    expect_decode(&mut s, "big", "i64", "TEXT");
    insert_bad(&mut s, "big", "8.5");
    expect_decode(&mut s, "big", "i64", "REAL");
    insert_bad(&mut s, "visits", "x'04'");
    expect_decode(&mut s, "visits", "u32", "BLOB");
    insert_bad(&mut s, "name", "42");
    expect_decode(&mut s, "name", "String", "INTEGER");
    insert_bad(&mut s, "name", "x'41'");
    expect_decode(&mut s, "name", "String", "BLOB");
    insert_bad(&mut s, "score", "'1.5'");
    expect_decode(&mut s, "score", "f64", "TEXT");
    insert_bad(&mut s, "avatar", "'text'");
    expect_decode(&mut s, "avatar", "Vec<u8>", "TEXT");
    insert_bad(&mut s, "active", "'yes'");
    expect_decode(&mut s, "active", "bool", "TEXT");
    insert_bad(&mut s, "nick", "7");
    expect_decode(&mut s, "nick", "String", "INTEGER");
}

#[test]
fn integers_out_of_range() {
    let mut s = session();
    insert_bad(&mut s, "age", "2147483648");
    let message = expect_decode(&mut s, "age", "i32", "INTEGER 2147483648 (out of range)");
    assert_eq!(
        message,
        "cannot decode column people.age: expected i32, found INTEGER 2147483648 (out of range)"
    );
    insert_bad(&mut s, "age", "-2147483649");
    expect_decode(&mut s, "age", "i32", "INTEGER -2147483649 (out of range)");
    insert_bad(&mut s, "visits", "-1");
    expect_decode(&mut s, "visits", "u32", "INTEGER -1 (out of range)");
    insert_bad(&mut s, "visits", "4294967296");
    expect_decode(&mut s, "visits", "u32", "INTEGER 4294967296 (out of range)");

    // The limits themselves decode.
    insert_bad(&mut s, "age", "-2147483648");
    s.expunge_all();
    assert_eq!(s.get::<Person>(2).unwrap().unwrap().age, i32::MIN);
    insert_bad(&mut s, "visits", "4294967295");
    s.expunge_all();
    assert_eq!(s.get::<Person>(2).unwrap().unwrap().visits, u32::MAX);
}

#[test]
fn bool_other_than_zero_or_one() {
    let mut s = session();
    insert_bad(&mut s, "active", "2");
    let message = expect_decode(&mut s, "active", "bool", "INTEGER 2 (not 0 or 1)");
    assert_eq!(
        message,
        "cannot decode column people.active: expected bool, found INTEGER 2 (not 0 or 1)"
    );
    insert_bad(&mut s, "active", "-1");
    expect_decode(&mut s, "active", "bool", "INTEGER -1 (not 0 or 1)");
    insert_bad(&mut s, "active", "1.0");
    expect_decode(&mut s, "active", "bool", "REAL");
}

#[test]
fn invalid_utf8_text() {
    let mut s = session();
    insert_bad(&mut s, "name", "CAST(x'48FF6F' AS TEXT)");
    let message = expect_decode(&mut s, "name", "String", "TEXT that is not valid UTF-8");
    assert_eq!(
        message,
        "cannot decode column people.name: expected String, found TEXT that is not valid UTF-8"
    );
    insert_bad(&mut s, "nick", "CAST(x'C328' AS TEXT)");
    expect_decode(&mut s, "nick", "String", "TEXT that is not valid UTF-8");
}

#[test]
fn one_bad_row_fails_the_whole_query() {
    let mut s = session();
    insert_bad(&mut s, "age", "'x'");
    s.reset_statements();
    let error = s.query::<Person>().order_by(Person::ID).all().unwrap_err();
    assert!(
        matches!(error, Error::Decode { column: "age", .. }),
        "{error:?}"
    );
    // A filter that skips the bad row works.
    let good = s
        .query::<Person>()
        .filter(Person::AGE.eq(30))
        .all()
        .unwrap();
    assert_eq!(good.len(), 1);
    // Repairing the row repairs the query.
    s.execute("UPDATE people SET age = 41 WHERE id = 2", &[])
        .unwrap();
    let all = s.query::<Person>().order_by(Person::ID).all().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].age, 41);
    assert_eq!(s.statement_count(), 4);
}

#[test]
fn lenient_but_lossless_conversions() {
    // An integer stored where a float is mapped reads as that float.
    let mut s = session();
    insert_bad(&mut s, "score", "3");
    s.expunge_all();
    assert_eq!(s.get::<Person>(2).unwrap().unwrap().score, 3.0);
}

#[test]
fn missing_table_is_a_database_error() {
    let mut s = Session::in_memory().unwrap();
    let error = s.query::<Person>().all().unwrap_err();
    match &error {
        Error::Database(db) => assert!(db.message().contains("no such table"), "{db}"),
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(error.to_string().starts_with("database error: "));
    assert!(error.to_string().contains("people"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert!(matches!(s.get::<Person>(1), Err(Error::Database(_))));
    assert!(matches!(
        s.query::<Person>().count(),
        Err(Error::Database(_))
    ));
    assert!(matches!(
        s.delete_by_key::<Person>(1),
        Err(Error::Database(_))
    ));
    assert_eq!(s.statement_count(), 4);
    // Creating the table makes the same statements work.
    s.create_all(&[Person::META]).unwrap();
    assert!(s.query::<Person>().all().unwrap().is_empty());
}

#[test]
fn invalid_sql_through_execute_is_a_database_error() {
    let mut s = session();
    let error = s.execute("SELEC nonsense", &[]).unwrap_err();
    assert!(matches!(error, Error::Database(_)), "{error:?}");
    assert!(error.to_string().contains("syntax error"), "{error}");
    // Wrong number of parameters.
    let error = s
        .execute(
            "UPDATE people SET name = ? WHERE id = ?",
            &[eagerly::Value::Text("x".into())],
        )
        .unwrap_err();
    assert!(matches!(error, Error::Database(_)), "{error:?}");
    assert_eq!(s.query::<Person>().count().unwrap(), 1);
}

fn temp_path(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "eagerly-errors-{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

#[test]
fn a_file_that_is_not_a_database() {
    let path = temp_path("notadb");
    std::fs::write(&path, "this is plain text, not SQLite\n".repeat(64)).unwrap();
    let result = Session::open(&path);
    let _ = std::fs::remove_file(&path);
    match result {
        Err(Error::Database(db)) => {
            assert!(db.message().contains("not a database"), "{db}")
        }
        other => panic!("expected a database error, got {other:?}"),
    }
}

#[test]
fn a_path_that_cannot_be_opened() {
    let path = temp_path("missing-dir").join("sub").join("db.sqlite");
    assert!(matches!(Session::open(&path), Err(Error::Database(_))));
}

#[test]
fn display_messages() {
    let not_found = Error::NotFound { table: "people" };
    assert_eq!(not_found.to_string(), "no row found in table people");
    let multiple = Error::MultipleRows { table: "people" };
    assert_eq!(
        multiple.to_string(),
        "more than one row found in table people where exactly one was expected"
    );
    let misuse = Error::Misuse("commit without an open transaction".into());
    assert_eq!(
        misuse.to_string(),
        "misuse: commit without an open transaction"
    );
    let decode = Error::Decode {
        table: "t",
        column: "c",
        expected: "i32",
        found: "TEXT".into(),
    };
    assert_eq!(
        decode.to_string(),
        "cannot decode column t.c: expected i32, found TEXT"
    );

    // The same messages come out of real failures.
    let mut s = session();
    assert_eq!(
        s.query::<Person>()
            .filter(Person::ID.eq(9))
            .one()
            .unwrap_err()
            .to_string(),
        "no row found in table people"
    );
    assert_eq!(
        s.commit().unwrap_err().to_string(),
        "misuse: commit without an open transaction"
    );
}
