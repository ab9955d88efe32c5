//! Transactions: an error in the middle rolls everything back; after a
//! rollback the identity map holds no object the database no longer has
//! (rollback empties it, as SQLAlchemy expires everything), and relations
//! loaded inside the rolled-back transaction are not trusted: a new query
//! gives fresh instances whose relations load again from the database,
//! while the old handles keep the values they had. Also: a failed COMMIT, a
//! panic inside `transaction`, a transaction ended behind the session's
//! back, and `bulk` after a rollback.

#[path = "support/reliability_model.rs"]
mod model;

use eagerly::prelude::*;
use model::*;

fn author(id: i64, name: &str) -> Author {
    Author {
        id,
        name: name.into(),
        books: Many::new(),
        edited: Many::new(),
    }
}

fn book(id: i64, author: i64) -> Book {
    Book {
        id,
        title: format!("book {id}"),
        author_id: Some(author),
        editor_id: None,
        author: One::new(),
        editor: One::new(),
        tags: Many::new(),
    }
}

/// Authors 1..=3, author a with books 10a+1..10a+a.
fn seeded() -> Session {
    let mut s = Session::in_memory().unwrap();
    schema(&mut s);
    s.transaction(|s| {
        for a in 1..=3 {
            s.insert(author(a, &format!("author {a}")))?;
            for b in 1..=a {
                s.insert(book(10 * a + b, a))?;
            }
        }
        Ok(())
    })
    .unwrap();
    s.expunge_all();
    s.reset_statements();
    s
}

fn book_ids(books: &[Handle<Book>]) -> Vec<i64> {
    books.iter().map(|b| b.id).collect()
}

#[test]
fn an_error_in_the_middle_rolls_everything_back() {
    let mut s = seeded();
    let before = s.query::<Author>().order_by(Author::ID).all().unwrap();
    let error = s
        .transaction(|s| {
            s.insert(author(4, "four"))?;
            s.insert(book(41, 4))?;
            s.update(author(1, "renamed"))?;
            s.delete_by_key::<Book>(31)?;
            s.insert(author(2, "duplicate key"))?; // fails
            s.insert(author(5, "never"))?;
            Ok(())
        })
        .unwrap_err();
    assert!(
        matches!(&error, Error::Database(db) if db.message().contains("UNIQUE")),
        "{error:?}"
    );
    assert!(!s.in_transaction());
    // Nothing the transaction wrote is in the database or the map.
    for key in [4, 5] {
        assert!(s.cached::<Author>(&key).is_none());
        assert!(s.get::<Author>(key).unwrap().is_none());
    }
    assert!(s.cached::<Book>(&41).is_none());
    assert!(s.get::<Book>(41).unwrap().is_none());
    assert!(s.get::<Book>(31).unwrap().is_some(), "the delete is undone");
    assert_eq!(s.query::<Author>().count().unwrap(), 3);
    assert_eq!(s.query::<Book>().count().unwrap(), 6);
    // The rename is undone, and the map serves the database's row, not the
    // renamed handle.
    let one = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(one.name, "author 1");
    // Handles from before the transaction keep their values but are no
    // longer the session's instances.
    assert_eq!(before[0].name, "author 1");
    assert!(!Handle::ptr_eq(&before[0], &one));
    // The session goes on.
    s.transaction(|s| s.insert(author(4, "four")).map(drop))
        .unwrap();
    assert_eq!(s.get::<Author>(4).unwrap().unwrap().name, "four");
}

#[test]
fn the_map_holds_nothing_the_database_lost() {
    let mut s = seeded();
    s.begin().unwrap();
    let inserted = s.insert(author(9, "nine")).unwrap();
    let updated = s.update(author(2, "two, updated")).unwrap();
    let three = s.get::<Author>(3).unwrap().unwrap();
    s.delete_by_key::<Book>(31).unwrap();
    assert!(Handle::ptr_eq(
        &s.get::<Author>(9).unwrap().unwrap(),
        &inserted
    ));
    s.rollback().unwrap();

    assert_eq!(s.identity_map_len(), 0);
    assert!(s.cached::<Author>(&9).is_none());
    assert!(s.cached::<Author>(&2).is_none());
    s.reset_statements();
    assert!(s.get::<Author>(9).unwrap().is_none());
    let two = s.get::<Author>(2).unwrap().unwrap();
    assert_eq!(two.name, "author 2");
    assert_eq!(s.statement_count(), 2, "both came from the database");
    let fresh_three = s.get::<Author>(3).unwrap().unwrap();
    assert!(!Handle::ptr_eq(&three, &fresh_three));
    // The old handles are intact, just not the session's.
    assert_eq!(inserted.name, "nine");
    assert_eq!(updated.name, "two, updated");
    assert_eq!(s.get::<Book>(31).unwrap().unwrap().title, "book 31");
}

#[test]
fn relations_loaded_inside_a_rolled_back_transaction_reload() {
    for strategy in ["joined", "selectin", "select", "bulk"] {
        let mut s = seeded();
        let option = |s: &str| match s {
            "joined" => joined(Author::BOOKS),
            "selectin" => selectin(Author::BOOKS),
            "select" => select(Author::BOOKS),
            _ => bulk(Author::BOOKS),
        };
        s.begin().unwrap();
        s.insert(book(25, 2)).unwrap();
        s.delete_by_key::<Book>(21).unwrap();
        let inside = s
            .query::<Author>()
            .options(option(strategy))
            .order_by(Author::ID)
            .all()
            .unwrap();
        let books_inside = s.load(Author::BOOKS, &inside[1]).unwrap().to_vec();
        assert_eq!(book_ids(&books_inside), [22, 25], "{strategy}");
        // A many-to-one loaded inside, to an author inserted inside.
        s.insert(author(7, "seven")).unwrap();
        s.insert(book(71, 7)).unwrap();
        let b71 = s.get::<Book>(71).unwrap().unwrap();
        assert_eq!(s.load(Book::AUTHOR, &b71).unwrap().unwrap().id, 7);
        s.rollback().unwrap();

        // A new query gives fresh instances whose relations load again.
        s.reset_statements();
        let after = s
            .query::<Author>()
            .options(option(strategy))
            .order_by(Author::ID)
            .all()
            .unwrap();
        assert!(!Handle::ptr_eq(&after[1], &inside[1]), "{strategy}");
        let books_after = s.load(Author::BOOKS, &after[1]).unwrap().to_vec();
        assert_eq!(book_ids(&books_after), [21, 22], "{strategy}");
        // The query and the relation came from the database again (one
        // statement for joined, more for the others).
        assert!(s.statement_count() >= 1, "{strategy}");
        assert!(
            !Handle::ptr_eq(&books_after[1], &books_inside[0]),
            "{strategy}"
        );
        assert!(s.get::<Book>(71).unwrap().is_none());
        assert!(s.get::<Author>(7).unwrap().is_none());
        // The old handles still hold what they loaded, without SQL.
        assert_eq!(book_ids(&inside[1].books.get().unwrap()), [22, 25]);
        // Loading through an old handle gives its own (stale) relation and
        // no query on the database; new queries never hand it out again.
        s.reset_statements();
        assert_eq!(
            book_ids(&s.load(Author::BOOKS, &inside[1]).unwrap()),
            [22, 25]
        );
        assert_eq!(s.statement_count(), 0);
    }
}

/// `bulk` after a rollback loads for the session's instances only: old
/// handles from before the rollback, with the relation unloaded, are not in
/// the map and not swept into the bulk statement.
#[test]
fn bulk_after_a_rollback_ignores_stale_handles() {
    let mut s = seeded();
    let old = s.query::<Book>().options(bulk(Book::AUTHOR)).all().unwrap();
    s.begin().unwrap();
    s.insert(author(8, "eight")).unwrap();
    s.rollback().unwrap();
    let fresh = s
        .query::<Book>()
        .filter(Book::ID.lt(30))
        .options(bulk(Book::AUTHOR))
        .all()
        .unwrap();
    assert_eq!(fresh.len(), 3);
    s.reset_statements();
    s.load(Book::AUTHOR, &fresh[0]).unwrap();
    let keys: Vec<usize> = s.statements().iter().map(|st| st.params).collect();
    assert_eq!(keys, [2], "authors 1 and 2 of the fresh books only");
    assert!(fresh.iter().all(|b| b.author.is_loaded()));
    assert!(old.iter().all(|b| !b.author.is_loaded()));
}

#[test]
fn a_failed_commit_rolls_back_and_leaves_the_session_usable() {
    let mut s = seeded();
    s.execute("PRAGMA defer_foreign_keys = ON", &[]).unwrap();
    let error = s
        .transaction(|s| {
            s.insert(author(6, "six"))?;
            // A dangling key: with deferred checks, only COMMIT fails.
            s.insert(book(61, 99))?;
            Ok(())
        })
        .unwrap_err();
    assert!(
        matches!(&error, Error::Database(db) if db.message().contains("FOREIGN KEY")),
        "{error:?}"
    );
    assert!(!s.in_transaction());
    assert_eq!(s.identity_map_len(), 0);
    assert!(s.get::<Author>(6).unwrap().is_none());
    assert!(s.get::<Book>(61).unwrap().is_none());
    s.transaction(|s| s.insert(author(6, "six")).map(drop))
        .unwrap();
    assert!(s.get::<Author>(6).unwrap().is_some());
}

/// A panic inside `transaction` must not leave the transaction open: the
/// work is rolled back as the panic unwinds, so a caller that catches it
/// finds the session as it was before.
#[test]
fn a_panic_inside_a_transaction_rolls_back() {
    let mut s = seeded();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.transaction(|s| -> eagerly::Result<()> {
            s.insert(author(4, "four"))?;
            panic!("the work panicked");
        });
    }));
    assert!(caught.is_err());
    assert!(!s.in_transaction(), "the transaction stayed open");
    assert!(s.cached::<Author>(&4).is_none());
    assert!(s.get::<Author>(4).unwrap().is_none());
    s.begin().unwrap();
    s.commit().unwrap();
}

/// A transaction ended behind the session's back (a raw `ROLLBACK`
/// through `execute`): `commit` and `rollback` report the database's error
/// and the session recovers.
#[test]
fn a_transaction_ended_behind_the_sessions_back() {
    let mut s = seeded();
    s.begin().unwrap();
    s.insert(author(4, "four")).unwrap();
    s.execute("ROLLBACK", &[]).unwrap();
    let error = s.commit().unwrap_err();
    assert!(matches!(error, Error::Database(_)), "{error:?}");
    // Still marked open: rollback closes it (reporting the database's
    // complaint), empties the map, and the session goes on.
    assert!(s.in_transaction());
    let _ = s.rollback();
    assert!(!s.in_transaction());
    assert!(s.cached::<Author>(&4).is_none());
    assert!(s.get::<Author>(4).unwrap().is_none());
    s.transaction(|s| s.insert(author(4, "four")).map(drop))
        .unwrap();
    assert!(matches!(
        s.begin().and_then(|_| s.begin()),
        Err(Error::Misuse(_))
    ));
    s.rollback().unwrap();
}

/// Many rolled-back transactions in a row with loads inside: the map never
/// keeps anything, the data stays as committed.
#[test]
fn repeated_rollbacks() {
    let mut s = seeded();
    for round in 0..200 {
        let result = s.transaction(|s| -> eagerly::Result<()> {
            s.insert(author(100 + round, "temp"))?;
            s.insert(book(1000 + round, 100 + round))?;
            let a = s
                .query::<Author>()
                .filter(Author::ID.eq(100 + round))
                .options(selectin(Author::BOOKS))
                .one()?;
            assert_eq!(a.books.get()?.len(), 1);
            Err(Error::Misuse(format!("round {round}")))
        });
        assert!(matches!(result, Err(Error::Misuse(_))));
        assert_eq!(s.identity_map_len(), 0);
    }
    assert_eq!(s.query::<Author>().count().unwrap(), 3);
    assert_eq!(s.query::<Book>().count().unwrap(), 6);
}
