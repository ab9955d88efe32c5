//! Insert, update and delete, with keys assigned, explicit and composite.

mod support;

use support::engine::{either, sqlite_only, unnumbered};

use eagerly::prelude::*;

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub born: Option<i32>,
}

/// The key is in the middle of the fields, and is an `i32`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "notes")]
pub struct Note {
    pub title: String,
    #[orm(primary_key)]
    pub id: i32,
    pub body: Option<String>,
}

/// A `u32` key.
#[derive(Entity, Debug)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: u32,
    pub value: i64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "book_tags")]
pub struct BookTag {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub tag_id: i64,
    pub weight: i32,
}

/// Every column is part of the key: nothing to update.
#[derive(Entity, Debug)]
#[orm(table = "pairs")]
pub struct Pair {
    #[orm(primary_key)]
    pub left: i64,
    #[orm(primary_key)]
    pub right: i64,
}

/// A text key: never assigned by the database.
#[derive(Entity, Debug)]
#[orm(table = "settings")]
pub struct Setting {
    #[orm(primary_key)]
    pub key: String,
    pub value: String,
}

fn session() -> Session {
    let mut session = support::engine::session();
    session
        .create_all(&[
            Author::META,
            Note::META,
            Counter::META,
            BookTag::META,
            Pair::META,
            Setting::META,
        ])
        .unwrap();
    session.reset_statements();
    session
}

fn author(id: i64, name: &str) -> Author {
    Author {
        id,
        name: name.into(),
        born: None,
    }
}

#[test]
fn insert_assigns_key_and_writes_it_into_the_handle() {
    let mut s = session();
    let ann = s.insert(author(0, "Ann")).unwrap();
    assert_eq!(ann.id, 1);
    let bob = s.insert(author(0, "Bob")).unwrap();
    assert_eq!(bob.id, 2);
    assert_eq!(s.statement_count(), 2);
    let logged = &s.statements()[0];
    // PostgreSQL reads the assigned key back with RETURNING.
    assert_eq!(
        unnumbered(&logged.sql),
        either(
            "INSERT INTO \"authors\" (\"name\", \"born\") VALUES (?, ?)",
            "INSERT INTO \"authors\" (\"name\", \"born\") VALUES (?, ?) RETURNING \"id\""
        )
    );
    assert_eq!(logged.params, 2);

    // The handle is the identity map's instance under the assigned key.
    assert!(Handle::ptr_eq(&s.get::<Author>(1).unwrap().unwrap(), &ann));
    assert_eq!(s.statement_count(), 2);
    s.expunge_all();
    let fresh = s.get::<Author>(2).unwrap().unwrap();
    assert_eq!(*fresh, *bob);
}

#[test]
fn insert_with_explicit_key() {
    let mut s = session();
    let cy = s.insert(author(40, "Cy")).unwrap();
    assert_eq!(cy.id, 40);
    let logged = &s.statements()[0];
    assert_eq!(
        unnumbered(&logged.sql),
        "INSERT INTO \"authors\" (\"id\", \"name\", \"born\") VALUES (?, ?, ?)"
    );
    assert_eq!(logged.params, 3);
    // The next assigned key follows the largest one on SQLite (a rowid);
    // PostgreSQL's identity sequence is not moved by an explicit key.
    let next = s.insert(author(0, "Dee")).unwrap();
    assert_eq!(next.id, either(41, 1));
    s.expunge_all();
    assert_eq!(s.get::<Author>(40).unwrap().unwrap().name, "Cy");
}

#[test]
fn assigned_key_not_first_and_narrow_integer_types() {
    let mut s = session();
    let note = s
        .insert(Note {
            title: "t".into(),
            id: 0,
            body: Some("b".into()),
        })
        .unwrap();
    assert_eq!(note.id, 1);
    // The INSERT (inside the savepoint a narrow assigned key takes) binds
    // every column but the key.
    let insert = s
        .statements()
        .iter()
        .find(|st| st.sql.starts_with("INSERT"))
        .unwrap();
    assert_eq!(insert.params, 2);
    let second = s
        .insert(Note {
            title: "u".into(),
            id: 0,
            body: None,
        })
        .unwrap();
    assert_eq!(second.id, 2);
    s.expunge_all();
    let read = s.get::<Note>(1).unwrap().unwrap();
    assert_eq!(*read, *note);
    let read = s.get::<Note>(2).unwrap().unwrap();
    assert_eq!(read.title, "u");
    assert_eq!(read.body, None);

    let counter = s.insert(Counter { id: 0, value: -1 }).unwrap();
    assert_eq!(counter.id, 1);
    let explicit = s
        .insert(Counter {
            id: u32::MAX,
            value: 5,
        })
        .unwrap();
    assert_eq!(explicit.id, u32::MAX);
    s.expunge_all();
    assert_eq!(s.get::<Counter>(u32::MAX).unwrap().unwrap().value, 5);
}

#[test]
fn assigned_key_out_of_range_is_a_decode_error() {
    // SQLite only: it is SQLite's rowid that follows the largest key.
    if sqlite_only("the next rowid follows the largest key") {
        return;
    }
    let mut s = session();
    // The next rowid SQLite picks is past u32::MAX.
    s.execute(
        "INSERT INTO counters (id, value) VALUES (4294967295, 0)",
        &[],
    )
    .unwrap();
    match s.insert(Counter { id: 0, value: 1 }) {
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => {
            assert_eq!(table, "counters");
            assert_eq!(column, "id");
            assert_eq!(expected, "u32");
            assert!(found.contains("4294967296"), "{found}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn text_key_is_never_assigned() {
    let mut s = session();
    let setting = s
        .insert(Setting {
            key: String::new(),
            value: "empty key".into(),
        })
        .unwrap();
    assert_eq!(setting.key, "");
    assert_eq!(s.statements()[0].params, 2);
    s.update(Setting {
        key: String::new(),
        value: "changed".into(),
    })
    .unwrap();
    s.expunge_all();
    assert_eq!(
        s.get::<Setting>(String::new()).unwrap().unwrap().value,
        "changed"
    );
}

#[test]
fn composite_key_insert_get_update_delete() {
    let mut s = session();
    let a = s
        .insert(BookTag {
            book_id: 1,
            tag_id: 2,
            weight: 10,
        })
        .unwrap();
    s.insert(BookTag {
        book_id: 1,
        tag_id: 3,
        weight: 20,
    })
    .unwrap();
    assert_eq!(s.statements()[0].params, 3);
    assert!(Handle::ptr_eq(
        &s.get::<BookTag>((1, 2)).unwrap().unwrap(),
        &a
    ));
    assert_eq!(s.statement_count(), 2);

    s.reset_statements();
    let updated = s
        .update(BookTag {
            book_id: 1,
            tag_id: 2,
            weight: 11,
        })
        .unwrap();
    assert_eq!(
        unnumbered(&s.statements()[0].sql),
        "UPDATE \"book_tags\" SET \"weight\" = ? WHERE \"book_id\" = ? AND \"tag_id\" = ?"
    );
    assert_eq!(s.statements()[0].params, 3);
    assert!(Handle::ptr_eq(
        &s.get::<BookTag>((1, 2)).unwrap().unwrap(),
        &updated
    ));
    s.expunge_all();
    assert_eq!(s.get::<BookTag>((1, 2)).unwrap().unwrap().weight, 11);
    assert_eq!(s.get::<BookTag>((1, 3)).unwrap().unwrap().weight, 20);

    s.delete_by_key::<BookTag>((1, 3)).unwrap();
    let remaining = s.query::<BookTag>().all().unwrap();
    assert_eq!(remaining.len(), 1);
    s.delete(&*remaining[0]).unwrap();
    assert_eq!(s.query::<BookTag>().count().unwrap(), 0);
    match s.delete_by_key::<BookTag>((1, 2)) {
        Err(Error::NotFound { table }) => assert_eq!(table, "book_tags"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn update_replaces_the_handle_and_writes_columns() {
    let mut s = session();
    let ann = s.insert(author(0, "Ann")).unwrap();
    s.reset_statements();
    let updated = s
        .update(Author {
            id: ann.id,
            name: "Anne".into(),
            born: Some(1966),
        })
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        unnumbered(&s.statements()[0].sql),
        "UPDATE \"authors\" SET \"name\" = ?, \"born\" = ? WHERE \"id\" = ?"
    );
    assert_eq!(s.statements()[0].params, 3);

    // The old handle keeps its values; the map holds the new one.
    assert_eq!(ann.name, "Ann");
    assert!(!Handle::ptr_eq(&ann, &updated));
    let cached = s.cached::<Author>(&1).unwrap();
    assert!(Handle::ptr_eq(&cached, &updated));
    let queried = s
        .query::<Author>()
        .filter(Author::NAME.eq("Anne"))
        .one()
        .unwrap();
    assert!(Handle::ptr_eq(&queried, &updated));

    // The row holds the new values.
    s.expunge_all();
    let fresh = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(*fresh, *updated);

    // Setting an optional column back to NULL.
    s.update(Author {
        born: None,
        ..(*fresh).clone()
    })
    .unwrap();
    s.expunge_all();
    assert_eq!(s.get::<Author>(1).unwrap().unwrap().born, None);
}

#[test]
fn update_of_a_missing_row_is_not_found() {
    let mut s = session();
    s.insert(author(0, "Ann")).unwrap();
    s.reset_statements();
    match s.update(author(99, "Nobody")) {
        Err(Error::NotFound { table }) => assert_eq!(table, "authors"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(s.statement_count(), 1);
    // Nothing was registered or written.
    assert!(s.cached::<Author>(&99).is_none());
    assert_eq!(s.query::<Author>().count().unwrap(), 1);
}

#[test]
fn update_without_non_key_columns_is_misuse() {
    let mut s = session();
    s.insert(Pair { left: 1, right: 2 }).unwrap();
    s.reset_statements();
    let err = s.update(Pair { left: 1, right: 2 }).unwrap_err();
    assert!(matches!(err, Error::Misuse(_)), "{err:?}");
    assert!(err.to_string().contains("Pair"), "{err}");
    assert_eq!(s.statement_count(), 0);
    s.delete_by_key::<Pair>((1, 2)).unwrap();
}

#[test]
fn delete_by_entity_and_by_key() {
    let mut s = session();
    let ann = s.insert(author(0, "Ann")).unwrap();
    let bob = s.insert(author(0, "Bob")).unwrap();
    s.insert(author(0, "Cy")).unwrap();
    s.reset_statements();

    s.delete(&*ann).unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        unnumbered(&s.statements()[0].sql),
        "DELETE FROM \"authors\" WHERE \"id\" = ?"
    );
    assert_eq!(s.statements()[0].params, 1);
    assert!(s.cached::<Author>(&1).is_none());
    // The caller's handle stays readable.
    assert_eq!(ann.name, "Ann");

    s.delete_by_key::<Author>(3).unwrap();
    assert!(s.cached::<Author>(&3).is_none());
    let left = s.query::<Author>().all().unwrap();
    assert_eq!(left.len(), 1);
    assert!(Handle::ptr_eq(&left[0], &bob));
    assert!(s.get::<Author>(1).unwrap().is_none());
}

#[test]
fn delete_missing_is_not_found() {
    let mut s = session();
    match s.delete_by_key::<Author>(5) {
        Err(Error::NotFound { table }) => assert_eq!(table, "authors"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let ann = s.insert(author(0, "Ann")).unwrap();
    s.delete(&*ann).unwrap();
    assert!(matches!(s.delete(&*ann), Err(Error::NotFound { .. })));
    assert_eq!(s.statement_count(), 4);
}

#[test]
fn duplicate_key_is_a_database_error_and_the_session_keeps_working() {
    let mut s = session();
    let ann = s.insert(author(0, "Ann")).unwrap();
    s.reset_statements();
    let err = s.insert(author(1, "Impostor")).unwrap_err();
    match &err {
        Error::Database(db) => {
            let expected = either("UNIQUE", "duplicate key value violates unique constraint");
            assert!(db.message().contains(expected), "{}", db.message());
            assert!(std::error::Error::source(db).is_some());
        }
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(err.to_string().starts_with("database error: "), "{err}");
    // The failed statement was sent, so it is counted.
    assert_eq!(s.statement_count(), 1);
    // The identity map still holds the original.
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &ann));
    assert_eq!(s.get::<Author>(1).unwrap().unwrap().name, "Ann");

    // Further writes and reads work, the same statement included.
    let bob = s.insert(author(0, "Bob")).unwrap();
    assert_eq!(bob.id, 2);
    let cy = s.insert(author(3, "Cy")).unwrap();
    assert_eq!(cy.id, 3);
    assert_eq!(s.query::<Author>().count().unwrap(), 3);

    // A composite duplicate, then a NOT NULL violation through raw SQL.
    s.insert(BookTag {
        book_id: 1,
        tag_id: 1,
        weight: 0,
    })
    .unwrap();
    assert!(matches!(
        s.insert(BookTag {
            book_id: 1,
            tag_id: 1,
            weight: 1,
        }),
        Err(Error::Database(_))
    ));
    assert!(matches!(
        s.execute("INSERT INTO authors (id, name) VALUES (9, NULL)", &[]),
        Err(Error::Database(_))
    ));
    assert_eq!(s.query::<BookTag>().count().unwrap(), 1);
}

#[test]
fn execute_reports_changed_rows() {
    let mut s = session();
    for name in ["Ann", "Bob", "Cy"] {
        s.insert(author(0, name)).unwrap();
    }
    let changed = support::library::exec(
        &mut s,
        "UPDATE authors SET born = ? WHERE id >= ?",
        &[eagerly::Value::Integer(1970), eagerly::Value::Integer(2)],
    )
    .unwrap();
    assert_eq!(changed, 2);
    assert_eq!(s.statements().last().unwrap().params, 2);
    assert_eq!(
        s.query::<Author>()
            .filter(Author::BORN.eq(1970))
            .count()
            .unwrap(),
        2
    );
}
