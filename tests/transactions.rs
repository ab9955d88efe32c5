//! Transactions: begin/commit/rollback, the closure form, and misuse.

mod support;

use std::sync::Arc;

use eagerly::prelude::*;

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
}

fn session() -> Session {
    let mut session = support::engine::session();
    session.create_all(&[Author::META]).unwrap();
    session
        .execute(
            "CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, title TEXT NOT NULL, \
             author_id INTEGER NOT NULL REFERENCES authors (id))",
            &[],
        )
        .unwrap();
    session
        .insert(Author {
            id: 0,
            name: "Ann".into(),
        })
        .unwrap();
    session.reset_statements();
    session
}

fn names(session: &mut Session) -> Vec<String> {
    session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap()
        .iter()
        .map(|a| a.name.clone())
        .collect()
}

#[test]
fn begin_commit_keeps_rows() {
    let mut s = session();
    // Kept objects across a commit are opt-in (expire-on-commit is the
    // default; see `commit_expires_the_identity_map_by_default`).
    s.set_expire_on_commit(false);
    assert!(!s.in_transaction());
    s.begin().unwrap();
    assert!(s.in_transaction());
    let bob = s
        .insert(Author {
            id: 0,
            name: "Bob".into(),
        })
        .unwrap();
    s.commit().unwrap();
    assert!(!s.in_transaction());
    assert_eq!(s.statement_count(), 3);
    let sql: Vec<&str> = s.statements().iter().map(|l| l.sql.as_str()).collect();
    assert_eq!(sql[0], "BEGIN");
    assert_eq!(sql[2], "COMMIT");

    // Commit keeps the identity map.
    assert!(Arc::ptr_eq(&s.cached::<Author>(&2).unwrap(), &bob));
    assert_eq!(names(&mut s), ["Ann", "Bob"]);
}

#[test]
fn begin_rollback_discards_rows_and_forgets_objects() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.begin().unwrap();
    let bob = s
        .insert(Author {
            id: 0,
            name: "Bob".into(),
        })
        .unwrap();
    s.update(Author {
        id: 1,
        name: "Anne".into(),
    })
    .unwrap();
    assert_eq!(names(&mut s), ["Anne", "Bob"]);
    s.reset_statements();
    s.rollback().unwrap();
    assert!(!s.in_transaction());
    assert_eq!(s.statement_count(), 1);
    assert_eq!(s.statements()[0].sql, "ROLLBACK");

    // The identity map forgot everything, even objects from before.
    assert!(s.cached::<Author>(&1).is_none());
    assert!(s.cached::<Author>(&2).is_none());
    assert_eq!(s.identity_map_len(), 0);

    // The rows are gone or restored; new queries build new instances.
    assert!(s.get::<Author>(2).unwrap().is_none());
    let ann2 = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(ann2.name, "Ann");
    assert!(!Arc::ptr_eq(&ann, &ann2));
    // Handles the caller kept are still readable.
    assert_eq!(bob.name, "Bob");

    // The session keeps working; the rolled-back key is free again.
    let again = s
        .insert(Author {
            id: 0,
            name: "Cy".into(),
        })
        .unwrap();
    assert_eq!(again.id, 2);
    assert_eq!(names(&mut s), ["Ann", "Cy"]);
}

#[test]
fn transaction_closure_commits_on_ok() {
    let mut s = session();
    s.set_expire_on_commit(false);
    let bob = s
        .transaction(|s| {
            assert!(s.in_transaction());
            let bob = s.insert(Author {
                id: 0,
                name: "Bob".into(),
            })?;
            s.insert(Book {
                id: 0,
                title: "B1".into(),
                author_id: bob.id,
            })?;
            Ok(bob)
        })
        .unwrap();
    assert_eq!(bob.id, 2);
    assert!(!s.in_transaction());
    assert_eq!(s.statement_count(), 4);
    assert_eq!(s.statements()[3].sql, "COMMIT");
    assert_eq!(names(&mut s), ["Ann", "Bob"]);
    assert_eq!(s.query::<Book>().count().unwrap(), 1);
    // Commit keeps the identity map.
    assert!(Arc::ptr_eq(&s.cached::<Author>(&2).unwrap(), &bob));
}

#[test]
fn transaction_closure_rolls_back_on_err() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.reset_statements();
    let result: Result<()> = s.transaction(|s| {
        s.insert(Author {
            id: 0,
            name: "Bob".into(),
        })?;
        // A foreign-key violation fails the work.
        s.insert(Book {
            id: 0,
            title: "Orphan".into(),
            author_id: 99,
        })?;
        Ok(())
    });
    match result {
        Err(Error::Database(db)) => assert!(db.message().contains("FOREIGN KEY"), "{db}"),
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(!s.in_transaction());
    // BEGIN, insert, failed insert, ROLLBACK.
    assert_eq!(s.statement_count(), 4);
    assert_eq!(s.statements()[3].sql, "ROLLBACK");
    assert!(s.cached::<Author>(&1).is_none());
    assert_eq!(names(&mut s), ["Ann"]);
    assert_eq!(s.query::<Book>().count().unwrap(), 0);
    assert!(!Arc::ptr_eq(&ann, &s.get::<Author>(1).unwrap().unwrap()));
}

#[test]
fn transaction_closure_returns_the_callers_error() {
    let mut s = session();
    let result: Result<i32> = s.transaction(|s| {
        s.delete_by_key::<Author>(1)?;
        Err(Error::Misuse("changed my mind".into()))
    });
    match result {
        Err(Error::Misuse(message)) => assert_eq!(message, "changed my mind"),
        other => panic!("expected the work's error, got {other:?}"),
    }
    assert!(!s.in_transaction());
    assert_eq!(names(&mut s), ["Ann"]);
}

#[test]
fn failed_commit_in_transaction_closure_does_not_leave_it_open() {
    let mut s = session();
    let result: Result<()> = s.transaction(|s| {
        // Deferred foreign keys are checked at COMMIT, so COMMIT fails.
        s.execute("PRAGMA defer_foreign_keys = ON", &[])?;
        s.insert(Book {
            id: 0,
            title: "Orphan".into(),
            author_id: 99,
        })?;
        Ok(())
    });
    assert!(matches!(result, Err(Error::Database(_))), "{result:?}");
    assert!(!s.in_transaction());
    assert_eq!(s.query::<Book>().count().unwrap(), 0);
    // A new transaction can start.
    s.begin().unwrap();
    s.commit().unwrap();
}

#[test]
fn failed_commit_leaves_the_transaction_open_for_rollback() {
    let mut s = session();
    s.begin().unwrap();
    s.execute("PRAGMA defer_foreign_keys = ON", &[]).unwrap();
    s.insert(Book {
        id: 0,
        title: "Orphan".into(),
        author_id: 99,
    })
    .unwrap();
    assert!(matches!(s.commit(), Err(Error::Database(_))));
    assert!(s.in_transaction());
    s.rollback().unwrap();
    assert!(!s.in_transaction());
    assert_eq!(s.query::<Book>().count().unwrap(), 0);
}

#[test]
fn nested_begin_is_misuse() {
    let mut s = session();
    s.begin().unwrap();
    let err = s.begin().unwrap_err();
    assert!(matches!(err, Error::Misuse(_)), "{err:?}");
    assert!(err.to_string().starts_with("misuse: "), "{err}");
    // No statement was sent for the refused begin.
    assert_eq!(s.statement_count(), 1);
    // The outer transaction is still open and usable.
    assert!(s.in_transaction());
    // A transaction() inside it is a savepoint (tests/transaction_integrity.rs).
    let nested: Result<()> = s.transaction(|_| Ok(()));
    assert!(nested.is_ok());
    assert!(s.in_transaction());
    s.insert(Author {
        id: 0,
        name: "Bob".into(),
    })
    .unwrap();
    s.commit().unwrap();
    assert_eq!(names(&mut s), ["Ann", "Bob"]);
}

#[test]
fn commit_or_rollback_without_begin_is_misuse() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.reset_statements();
    assert!(matches!(s.commit(), Err(Error::Misuse(_))));
    assert!(matches!(s.rollback(), Err(Error::Misuse(_))));
    assert_eq!(s.statement_count(), 0);
    // A refused rollback does not touch the identity map.
    assert!(Arc::ptr_eq(&s.cached::<Author>(&1).unwrap(), &ann));

    s.begin().unwrap();
    s.commit().unwrap();
    assert!(matches!(s.commit(), Err(Error::Misuse(_))));
    s.begin().unwrap();
    s.rollback().unwrap();
    assert!(matches!(s.rollback(), Err(Error::Misuse(_))));
    assert_eq!(s.statement_count(), 4);
}
