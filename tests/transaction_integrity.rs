//! No write lands behind an error: SQLite ending a transaction on its own is
//! noticed, a failed transaction refuses every later statement, nested
//! transactions are savepoints, and writes of several statements are atomic.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug)]
#[orm(table = "notes")]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub body: String,
    #[relationship(secondary = "note_tags", lazy = "dynamic")]
    pub tag_query: Dynamic<Tag>,
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

/// An `i32` key the database assigns.
#[derive(Entity, Debug)]
#[orm(table = "small")]
pub struct Small {
    #[orm(primary_key)]
    pub id: i32,
    pub label: String,
}

fn session_over(connection: rusqlite::Connection) -> Session {
    let mut s = Session::from_connection(connection).unwrap();
    s.create_all(&[Note::META, Tag::META, Small::META]).unwrap();
    // A trigger that makes SQLite end the whole transaction by itself.
    s.execute(
        "CREATE TRIGGER notes_veto BEFORE INSERT ON notes WHEN NEW.body = 'veto' \
         BEGIN SELECT RAISE(ROLLBACK, 'vetoed by trigger'); END",
        &[],
    )
    .unwrap();
    s
}

fn session() -> Session {
    session_over(rusqlite::Connection::open_in_memory().unwrap())
}

fn note(id: i64, body: &str) -> Note {
    Note {
        id,
        body: body.into(),
        tag_query: Dynamic::new(),
    }
}

fn note_ids(s: &mut Session) -> Vec<i64> {
    s.query::<Note>()
        .order_by(Note::ID)
        .all()
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect()
}

fn is_aborted(result: &Result<impl std::fmt::Debug>) -> bool {
    matches!(result, Err(Error::TransactionAborted { .. }))
}

// ----- SQLite ending the transaction itself --------------------------------

#[test]
fn a_trigger_rollback_fails_the_transaction_and_keeps_nothing() {
    let mut s = session();
    let result = s.transaction(|s| {
        s.insert(note(1, "kept?"))?;
        let vetoed = s.insert(note(2, "veto"));
        assert!(
            matches!(&vetoed, Err(Error::Database(e)) if e.message().contains("vetoed by trigger")),
            "{vetoed:?}"
        );
        // The closure swallows the error and goes on: refused, not run in
        // autocommit.
        assert!(s.transaction_failed());
        let after = s.insert(note(3, "after"));
        assert!(is_aborted(&after), "{after:?}");
        let message = after.unwrap_err().to_string();
        assert!(message.contains("vetoed by trigger"), "{message}");
        assert!(is_aborted(&s.query::<Note>().all()));
        assert!(is_aborted(&s.execute("DELETE FROM tags", &[])));
        Ok(())
    });
    // The first error, though the closure returned Ok.
    match &result {
        Err(Error::Database(e)) => assert!(e.message().contains("vetoed"), "{e}"),
        other => panic!("expected the trigger's error, got {other:?}"),
    }
    assert!(!s.in_transaction());
    assert!(!s.transaction_failed());
    assert_eq!(note_ids(&mut s), Vec::<i64>::new());
    // The session goes on.
    s.transaction(|s| s.insert(note(4, "fine")).map(drop))
        .unwrap();
    assert_eq!(note_ids(&mut s), [4]);
}

#[test]
fn after_a_trigger_rollback_begin_commit_is_refused_and_rollback_sends_nothing() {
    let mut s = session();
    s.begin().unwrap();
    s.insert(note(1, "one")).unwrap();
    assert!(s.insert(note(2, "veto")).is_err());
    assert!(s.in_transaction(), "a failed transaction stays open");
    assert!(s.transaction_failed());
    s.reset_statements();
    assert!(is_aborted(&s.insert(note(3, "three"))));
    let commit = s.commit();
    assert!(
        matches!(&commit, Err(Error::Database(e)) if e.message().contains("vetoed")),
        "{commit:?}"
    );
    assert!(
        s.in_transaction(),
        "a refused commit leaves it for rollback"
    );
    // Nothing was sent: neither the refused insert nor the refused commit.
    assert_eq!(s.statement_count(), 0);
    s.rollback().unwrap();
    // SQLite had already rolled back: no ROLLBACK to send.
    assert_eq!(s.statement_count(), 0);
    assert!(!s.in_transaction());
    assert_eq!(note_ids(&mut s), Vec::<i64>::new());
}

#[test]
fn a_full_disk_fails_the_transaction_and_keeps_nothing() {
    let dir = std::env::temp_dir().join(format!(
        "eagerly-full-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&dir);
    let connection = rusqlite::Connection::open(&dir).unwrap();
    // At most 30 pages of 4 KiB: the schema and a small row fit, 64 KiB
    // rows soon do not.
    connection
        .execute_batch("PRAGMA max_page_count = 30")
        .unwrap();
    let mut s = session_over(connection);
    s.insert(note(1, "before")).unwrap();
    let big = "x".repeat(64 * 1024);
    let result = s.transaction(|s| {
        s.insert(note(2, "small"))?;
        for id in 3..20 {
            s.insert(note(id, &big))?;
        }
        Ok(())
    });
    match &result {
        Err(Error::Database(e)) => assert!(e.message().contains("full"), "{e}"),
        other => panic!("expected SQLITE_FULL, got {other:?}"),
    }
    assert!(!s.in_transaction());
    assert_eq!(note_ids(&mut s), [1], "nothing of the transaction remains");
    drop(s);
    for suffix in ["", "-journal", "-wal"] {
        let mut name = dir.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

#[test]
fn an_interrupted_statement_fails_the_transaction_and_keeps_nothing() {
    let mut connection = rusqlite::Connection::open_in_memory().unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&armed);
    // A progress handler that interrupts once armed: deterministic, where
    // sqlite3_interrupt from another thread would race.
    connection
        .progress_handler(100, Some(move || flag.load(Ordering::SeqCst)))
        .unwrap();
    let mut s = session_over(connection);
    let result = s.transaction(|s| {
        s.insert(note(1, "one"))?;
        armed.store(true, Ordering::SeqCst);
        let long = s.execute(
            "INSERT INTO notes (id, body) \
             WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
             SELECT i, 'bulk' FROM n",
            &[],
        );
        armed.store(false, Ordering::SeqCst);
        assert!(
            matches!(&long, Err(Error::Database(e)) if e.message().contains("interrupt")),
            "{long:?}"
        );
        assert!(is_aborted(&s.insert(note(2, "two"))));
        Ok(())
    });
    assert!(
        matches!(&result, Err(Error::Database(e)) if e.message().contains("interrupt")),
        "{result:?}"
    );
    assert!(!s.in_transaction());
    assert_eq!(note_ids(&mut s), Vec::<i64>::new());
}

/// A statement the database refuses fails the transaction even where SQLite
/// would let it go on, so code behaves the same on every engine.
#[test]
fn any_refused_statement_fails_the_transaction() {
    let mut s = session();
    s.insert(note(1, "one")).unwrap();
    let result = s.transaction(|s| {
        s.insert(note(2, "two"))?;
        // A duplicate key: SQLite undoes only this statement.
        assert!(matches!(s.insert(note(1, "dup")), Err(Error::Database(_))));
        assert!(s.transaction_failed());
        assert!(is_aborted(&s.insert(note(3, "three"))));
        Ok(())
    });
    assert!(matches!(result, Err(Error::Database(_))), "{result:?}");
    assert_eq!(note_ids(&mut s), [1]);
}

#[test]
fn errors_that_are_not_the_databases_leave_the_transaction_intact() {
    let mut s = session();
    s.transaction(|s| {
        s.insert(note(1, "one"))?;
        // A decode error is the mapping's, not the database's refusal.
        s.execute("INSERT INTO notes (id, body) VALUES (2, x'00ff')", &[])?;
        assert!(matches!(s.query::<Note>().all(), Err(Error::Decode { .. })));
        assert!(!s.transaction_failed());
        s.execute("DELETE FROM notes WHERE id = 2", &[])?;
        s.insert(note(3, "three")).map(drop)
    })
    .unwrap();
    assert_eq!(note_ids(&mut s), [1, 3]);
}

// ----- savepoints ----------------------------------------------------------

#[test]
fn a_nested_transaction_is_a_savepoint_rolled_back_alone() {
    let mut s = session();
    s.reset_statements();
    s.transaction(|s| {
        s.insert(note(1, "outer"))?;
        let inner: Result<()> = s.transaction(|s| {
            s.insert(note(2, "inner"))?;
            Err(Error::Misuse("changed my mind".into()))
        });
        assert!(matches!(inner, Err(Error::Misuse(_))));
        assert!(s.in_transaction());
        assert!(!s.transaction_failed());
        // A failed statement inside the savepoint fails only the savepoint.
        let duplicate = s.transaction(|s| s.insert(note(1, "dup")).map(drop));
        assert!(matches!(duplicate, Err(Error::Database(_))));
        assert!(!s.transaction_failed());
        s.transaction(|s| s.insert(note(3, "kept")).map(drop))?;
        s.insert(note(4, "outer again")).map(drop)
    })
    .unwrap();
    assert_eq!(note_ids(&mut s), [1, 3, 4]);
    let sql: Vec<&str> = s.statements().iter().map(|st| st.sql.as_str()).collect();
    assert_eq!(sql[0], "BEGIN");
    assert_eq!(sql[2], "SAVEPOINT eagerly_sp1");
    assert_eq!(sql[4], "ROLLBACK TO SAVEPOINT eagerly_sp1");
    assert_eq!(sql[5], "RELEASE SAVEPOINT eagerly_sp1");
    // Two more savepoints (the duplicate, rolled back; the kept one,
    // released), then the outer COMMIT.
    let savepoints = sql.iter().filter(|q| q.starts_with("SAVEPOINT")).count();
    let rolled_back = sql.iter().filter(|q| q.starts_with("ROLLBACK TO")).count();
    let released = sql.iter().filter(|q| q.starts_with("RELEASE")).count();
    assert_eq!((savepoints, rolled_back, released), (3, 2, 3));
    assert_eq!(sql.iter().filter(|q| **q == "COMMIT").count(), 1);
}

#[test]
fn savepoints_nest_and_an_outer_rollback_undoes_released_ones() {
    let mut s = session();
    let result: Result<()> = s.transaction(|s| {
        s.insert(note(1, "outer"))?;
        s.transaction(|s| {
            s.insert(note(2, "level 1"))?;
            s.transaction(|s| s.insert(note(3, "level 2")).map(drop))
        })?;
        Err(Error::Misuse("undo everything".into()))
    });
    assert!(matches!(result, Err(Error::Misuse(_))));
    assert_eq!(note_ids(&mut s), Vec::<i64>::new());
}

#[test]
fn an_engine_rollback_inside_a_savepoint_fails_the_outer_transaction() {
    let mut s = session();
    let result = s.transaction(|s| {
        s.insert(note(1, "outer"))?;
        let inner = s.transaction(|s| s.insert(note(2, "veto")).map(drop));
        assert!(matches!(inner, Err(Error::Database(_))));
        // SQLite ended the whole transaction: the savepoint could not
        // confine the failure.
        assert!(s.transaction_failed());
        assert!(is_aborted(&s.insert(note(3, "three"))));
        Ok(())
    });
    assert!(
        matches!(&result, Err(Error::Database(e)) if e.message().contains("vetoed")),
        "{result:?}"
    );
    assert!(!s.in_transaction());
    assert_eq!(note_ids(&mut s), Vec::<i64>::new());
}

#[test]
fn a_savepoint_inside_begin_commit() {
    let mut s = session();
    s.begin().unwrap();
    s.insert(note(1, "one")).unwrap();
    let inner: Result<()> = s.transaction(|s| {
        s.insert(note(2, "two"))?;
        Err(Error::Misuse("no".into()))
    });
    assert!(inner.is_err());
    s.commit().unwrap();
    assert_eq!(note_ids(&mut s), [1]);
}

#[test]
fn commit_rollback_and_begin_inside_a_transaction_closure_are_refused_first() {
    let mut s = session();
    let result = s.transaction(|s| {
        s.insert(note(1, "one"))?;
        let before = s.statement_count();
        assert!(matches!(s.commit(), Err(Error::Misuse(_))));
        assert!(matches!(s.rollback(), Err(Error::Misuse(_))));
        assert!(matches!(s.begin(), Err(Error::Misuse(_))));
        // Refused before anything was sent, and the transaction is intact.
        assert_eq!(s.statement_count(), before);
        assert!(s.in_transaction());
        assert!(!s.transaction_failed());
        s.insert(note(2, "two")).map(drop)
    });
    result.unwrap();
    assert_eq!(note_ids(&mut s), [1, 2]);
}

// ----- multi-statement writes ----------------------------------------------

fn refuse_links(s: &mut Session) {
    s.execute(
        "CREATE TRIGGER no_links BEFORE INSERT ON note_tags \
         BEGIN SELECT RAISE(ABORT, 'links are closed'); END",
        &[],
    )
    .unwrap();
}

fn tag(name: &str) -> Tag {
    Tag {
        id: 0,
        name: name.into(),
    }
}

#[test]
fn a_many_to_many_append_is_atomic_outside_a_transaction() {
    let mut s = session();
    let parent = s.insert(note(1, "parent")).unwrap();
    refuse_links(&mut s);
    let result = s.append(Note::TAG_QUERY, &parent, tag("orphan?"));
    assert!(
        matches!(&result, Err(Error::Database(e)) if e.message().contains("links are closed")),
        "{result:?}"
    );
    assert!(!s.in_transaction());
    // The tag row went with the failed link.
    assert_eq!(s.query::<Tag>().count().unwrap(), 0);
}

#[test]
fn a_many_to_many_append_that_fails_inside_a_transaction_fails_it() {
    let mut s = session();
    let parent = s.insert(note(1, "parent")).unwrap();
    refuse_links(&mut s);
    let result = s.transaction(|s| {
        let appended = s.append(Note::TAG_QUERY, &parent, tag("orphan?"));
        assert!(appended.is_err());
        assert!(s.transaction_failed());
        assert!(is_aborted(&s.insert(tag("later"))));
        Ok(())
    });
    assert!(matches!(result, Err(Error::Database(_))), "{result:?}");
    assert_eq!(s.query::<Tag>().count().unwrap(), 0);
}

#[test]
fn a_many_to_many_append_in_a_savepoint_can_be_recovered_from() {
    let mut s = session();
    let parent = s.insert(note(1, "parent")).unwrap();
    refuse_links(&mut s);
    s.transaction(|s| {
        let appended = s.transaction(|s| s.append(Note::TAG_QUERY, &parent, tag("orphan?")));
        assert!(appended.is_err());
        assert!(!s.transaction_failed());
        s.insert(tag("kept")).map(drop)
    })
    .unwrap();
    let names: Vec<String> = s
        .query::<Tag>()
        .all()
        .unwrap()
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(names, ["kept"]);
}

#[test]
fn an_assigned_key_too_large_for_an_i32_writes_nothing() {
    let mut s = session();
    s.execute(
        "INSERT INTO small (id, label) VALUES (?, 'last')",
        &[Value::Integer(i64::from(i32::MAX))],
    )
    .unwrap();
    let result = s.insert(Small {
        id: 0,
        label: "one too many".into(),
    });
    match result {
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => {
            assert_eq!((table, column, expected), ("small", "id", "i32"));
            assert!(found.contains("2147483648"), "{found}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(!s.in_transaction());
    // Nothing was written, and the table reads.
    let all = s.query::<Small>().all().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, i32::MAX);
    // Inside a transaction the refusal fails it, like any failed write.
    let inside = s.transaction(|s| {
        s.insert(Small {
            id: 0,
            label: "again".into(),
        })
        .map(drop)
    });
    assert!(matches!(inside, Err(Error::Decode { .. })), "{inside:?}");
    assert_eq!(s.query::<Small>().count().unwrap(), 1);
}

#[test]
fn a_narrow_key_insert_that_fits_is_one_insert_in_a_savepoint() {
    let mut s = session();
    s.reset_statements();
    let small = s
        .insert(Small {
            id: 0,
            label: "first".into(),
        })
        .unwrap();
    assert_eq!(small.id, 1);
    let sql: Vec<&str> = s.statements().iter().map(|st| st.sql.as_str()).collect();
    assert_eq!(sql.len(), 3, "{sql:?}");
    assert!(sql[1].starts_with("INSERT INTO \"small\""));
    // An i64 key needs no savepoint.
    s.reset_statements();
    s.insert(note(0, "n")).unwrap();
    assert_eq!(s.statement_count(), 1);
}
