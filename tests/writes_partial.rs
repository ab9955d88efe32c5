//! Partial and set-based writes: `update_columns` (some columns of one
//! row), `query.update` / `query.delete` (every row a filter matches) and
//! `upsert` (insert or update on conflict), each checked for the SQL it
//! sends, what the database then holds (read in a fresh session on the
//! same file) and the identity map's coherence.

use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug, Clone)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug, Clone)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub pages: i32,
    pub author_id: i64,
    pub note: Option<String>,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

/// Every column is part of the key.
#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "pairs")]
pub struct Pair {
    #[orm(primary_key)]
    pub left: i64,
    #[orm(primary_key)]
    pub right: i64,
}

/// A database file of its own for each test, so that a second session can
/// read what the first wrote.
struct Db(std::path::PathBuf);

impl Db {
    fn new(test: &str) -> Db {
        let path = std::env::temp_dir().join(format!(
            "eagerly-writes-partial-{}-{test}.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let db = Db(path);
        let mut s = db.open();
        s.create_all(&[Author::META, Book::META, Pair::META])
            .unwrap();
        s.execute(
            "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')",
            &[],
        )
        .unwrap();
        s.execute(
            "INSERT INTO books (id, title, pages, author_id, note) VALUES \
             (10, 'a', 100, 1, NULL), (11, 'b', 200, 1, 'x'), (20, 'c', 300, 2, NULL)",
            &[],
        )
        .unwrap();
        db
    }

    fn open(&self) -> Session {
        Session::open(&self.0).unwrap()
    }

    /// Every book as the database holds it: (id, title, pages, author, note).
    fn books(&self) -> Vec<(i64, String, i32, i64, Option<String>)> {
        let mut s = self.open();
        s.query::<Book>()
            .order_by(Book::ID)
            .all()
            .unwrap()
            .iter()
            .map(|b| (b.id, b.title.clone(), b.pages, b.author_id, b.note.clone()))
            .collect()
    }

    fn authors(&self) -> Vec<(i64, String)> {
        let mut s = self.open();
        s.query::<Author>()
            .order_by(Author::ID)
            .all()
            .unwrap()
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn row(
    id: i64,
    title: &str,
    pages: i32,
    author: i64,
    note: Option<&str>,
) -> (i64, String, i32, i64, Option<String>) {
    (id, title.into(), pages, author, note.map(Into::into))
}

fn seeded() -> Vec<(i64, String, i32, i64, Option<String>)> {
    vec![
        row(10, "a", 100, 1, None),
        row(11, "b", 200, 1, Some("x")),
        row(20, "c", 300, 2, None),
    ]
}

fn ids<T: Entity<Key = i64>>(targets: &[Handle<T>]) -> Vec<i64> {
    let mut ids: Vec<i64> = targets.iter().map(|t| t.key()).collect();
    ids.sort();
    ids
}

fn misuse<T: std::fmt::Debug>(result: Result<T>, needle: &str) {
    match result {
        Err(Error::Misuse(message)) => {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}")
        }
        other => panic!("expected Misuse containing {needle:?}, got {other:?}"),
    }
}

// ----- update_columns ---------------------------------------------------

#[test]
fn update_columns_sends_only_the_columns_set() {
    let db = Db::new("only_columns");
    let mut s = db.open();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.reset_statements();
    let updated = s
        .update_columns(
            &book,
            Changes::new().set(Book::TITLE, "x").set(Book::PAGES, 3),
        )
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    let logged = &s.statements()[0];
    assert_eq!(
        logged.sql,
        "UPDATE \"books\" SET \"title\" = ?, \"pages\" = ? WHERE \"id\" = ?"
    );
    assert_eq!(logged.params, 3);
    assert_eq!((updated.title.as_str(), updated.pages), ("x", 3));
    assert_eq!((updated.author_id, updated.note.as_deref()), (1, None));
    // The identity map serves the new values, without SQL.
    let again = s.get::<Book>(10).unwrap().unwrap();
    assert!(Handle::ptr_eq(&again, &updated));
    assert_eq!(s.statement_count(), 1);
    // The handle held before keeps its snapshot; a reload reads the row.
    assert_eq!(book.title, "a");
    let reloaded = s.refresh(&*book).unwrap();
    assert_eq!((reloaded.title.as_str(), reloaded.pages), ("x", 3));
    let mut expected = seeded();
    expected[0] = row(10, "x", 3, 1, None);
    assert_eq!(db.books(), expected);
}

#[test]
fn update_columns_sets_null_and_keeps_the_other_columns_of_the_held_instance() {
    let db = Db::new("null");
    let mut s = db.open();
    let book = s.get::<Book>(11).unwrap().unwrap();
    // A later write through the session: the held instance is the new one.
    let newer = s
        .update_columns(&book, Changes::new().set(Book::PAGES, 7))
        .unwrap();
    // Given the older handle, the columns not set come from the held one.
    let cleared = s
        .update_columns(&book, Changes::new().set(Book::NOTE, None))
        .unwrap();
    assert_eq!(newer.pages, 7);
    assert_eq!((cleared.pages, cleared.note.as_deref()), (7, None));
    assert_eq!(
        s.statements().last().unwrap().sql,
        "UPDATE \"books\" SET \"note\" = ? WHERE \"id\" = ?"
    );
    let mut expected = seeded();
    expected[1] = row(11, "b", 7, 1, None);
    assert_eq!(db.books(), expected);
}

#[test]
fn update_columns_of_a_foreign_key_fixes_relations_as_update_does() {
    let db = Db::new("foreign_key");
    let mut s = db.open();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let bob = s.get::<Author>(2).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.load(Author::BOOKS, &bob).unwrap();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.load(Book::AUTHOR, &book).unwrap();
    s.reset_statements();
    let moved = s
        .update_columns(&book, Changes::new().set(Book::AUTHOR_ID, 2))
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        s.statements()[0].sql,
        "UPDATE \"books\" SET \"author_id\" = ? WHERE \"id\" = ?"
    );
    // Fixed in place, without SQL: out of Ann's books, into Bob's.
    assert_eq!(ids(&ann.books.get().unwrap()), [11]);
    let bobs = bob.books.get().unwrap();
    assert_eq!(ids(&bobs), [10, 20]);
    assert!(bobs.iter().any(|b| Handle::ptr_eq(b, &moved)));
    // The new handle's own relations start unloaded and load Bob.
    assert!(!moved.author.is_loaded());
    assert_eq!(s.load(Book::AUTHOR, &moved).unwrap().unwrap().id, 2);
    let mut expected = seeded();
    expected[0] = row(10, "a", 100, 2, None);
    assert_eq!(db.books(), expected);
}

#[test]
fn update_columns_of_a_missing_row_is_not_found_and_changes_nothing() {
    let db = Db::new("missing");
    let mut s = db.open();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.execute("DELETE FROM books WHERE id = 10", &[]).unwrap();
    s.reset_statements();
    let result = s.update_columns(&book, Changes::new().set(Book::TITLE, "x"));
    assert!(matches!(result, Err(Error::NotFound { table: "books" })));
    assert_eq!(s.statement_count(), 1);
    // The session still holds what it held.
    assert!(Handle::ptr_eq(&s.cached::<Book>(&10).unwrap(), &book));
    assert_eq!(db.books(), seeded()[1..].to_vec());
}

#[test]
fn update_columns_refuses_bad_input_before_sending() {
    let db = Db::new("refuses");
    let mut s = db.open();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.reset_statements();
    misuse(
        s.update_columns(&book, Changes::<Book>::new()),
        "empty changeset",
    );
    misuse(
        s.update_columns(&book, Changes::new().set(Book::ID, 99)),
        "primary-key column id",
    );
    // Another session's object.
    let mut other = db.open();
    let foreign = other.get::<Book>(11).unwrap().unwrap();
    assert!(matches!(
        s.update_columns(&foreign, Changes::new().set(Book::TITLE, "x")),
        Err(Error::ForeignObject { entity: "Book" })
    ));
    assert_eq!(s.statement_count(), 0);
    assert_eq!(db.books(), seeded());
}

#[test]
fn setting_a_column_twice_writes_it_once_with_the_last_value() {
    let db = Db::new("twice");
    let mut s = db.open();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.reset_statements();
    let changes = Changes::new()
        .set(Book::TITLE, "x")
        .set(Book::PAGES, 1)
        .set(Book::TITLE, "y");
    assert_eq!(changes.len(), 2);
    let updated = s.update_columns(&book, changes).unwrap();
    assert_eq!(updated.title, "y");
    assert_eq!(
        s.statements()[0].sql,
        "UPDATE \"books\" SET \"title\" = ?, \"pages\" = ? WHERE \"id\" = ?"
    );
    let mut expected = seeded();
    expected[0] = row(10, "y", 1, 1, None);
    assert_eq!(db.books(), expected);
}

// ----- failed transactions -----------------------------------------------

#[test]
fn writes_in_a_failed_transaction_are_refused_and_nothing_lands() {
    let db = Db::new("failed_transaction");
    let mut s = db.open();
    let book = s.get::<Book>(10).unwrap().unwrap();
    s.begin().unwrap();
    assert!(s
        .execute("INSERT INTO authors (id, name) VALUES (1, 'dup')", &[])
        .is_err());
    assert!(s.transaction_failed());
    s.reset_statements();
    let aborted = |r: &dyn std::fmt::Debug| format!("{r:?}").contains("TransactionAborted");
    assert!(aborted(
        &s.update_columns(&book, Changes::new().set(Book::TITLE, "x"))
    ));
    assert!(aborted(
        &s.query::<Book>()
            .update(Changes::new().set(Book::TITLE, "x"))
    ));
    assert!(aborted(&s.query::<Book>().delete()));
    assert!(aborted(&s.upsert(Author {
        id: 3,
        name: "Cy".into(),
        books: Many::new(),
    })));
    assert_eq!(s.statement_count(), 0);
    // The identity map was left as it was: the object is still the one held.
    assert!(Handle::ptr_eq(&s.cached::<Book>(&10).unwrap(), &book));
    s.rollback().unwrap();
    assert_eq!(db.books(), seeded());
    assert_eq!(db.authors(), [(1, "Ann".into()), (2, "Bob".into())]);
}

// ----- query.update / query.delete ---------------------------------------

#[test]
fn query_update_by_filter_counts_rows_and_expires_the_entity() {
    let db = Db::new("query_update");
    let mut s = db.open();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    let book = s.get::<Book>(10).unwrap().unwrap();
    let untouched = s.get::<Book>(20).unwrap().unwrap();
    s.reset_statements();
    let changed = s
        .query::<Book>()
        .filter(Book::PAGES.lt(250))
        .update(Changes::new().set(Book::NOTE, "short").set(Book::PAGES, 1))
        .unwrap();
    assert_eq!(changed, 2);
    assert_eq!(s.statement_count(), 1);
    let logged = &s.statements()[0];
    assert_eq!(
        logged.sql,
        "UPDATE \"books\" SET \"note\" = ?, \"pages\" = ? WHERE \"pages\" < ?"
    );
    assert_eq!(logged.params, 3);
    // Every book is expired, and so is every loaded relation to books.
    assert!(s.cached::<Book>(&10).is_none());
    assert!(s.cached::<Book>(&20).is_none());
    assert!(!ann.books.is_loaded());
    // An object loaded before reads the new value once read again.
    let fresh = s.get::<Book>(10).unwrap().unwrap();
    assert!(!Handle::ptr_eq(&fresh, &book));
    assert_eq!((fresh.pages, fresh.note.as_deref()), (1, Some("short")));
    assert_eq!(book.pages, 100, "a kept handle keeps its snapshot");
    assert_eq!(s.get::<Book>(20).unwrap().unwrap().pages, untouched.pages);
    let books = s.load(Author::BOOKS, &ann).unwrap();
    assert!(books.iter().all(|b| b.pages == 1));
    // Authors were not touched.
    assert!(Handle::ptr_eq(&s.cached::<Author>(&1).unwrap(), &ann));
    assert_eq!(
        db.books(),
        [
            row(10, "a", 1, 1, Some("short")),
            row(11, "b", 1, 1, Some("short")),
            row(20, "c", 300, 2, None),
        ]
    );
}

#[test]
fn query_update_across_a_relation_uses_exists() {
    let db = Db::new("update_exists");
    let mut s = db.open();
    let changed = Query::<Book>::new()
        .filter(Book::AUTHOR.has(Author::NAME.eq("Bob")))
        .update(&mut s, Changes::new().set(Book::TITLE, "Bob's"))
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        s.statements().last().unwrap().sql,
        "UPDATE \"books\" SET \"title\" = ? WHERE EXISTS (SELECT 1 FROM \"authors\" AS x1 \
         WHERE x1.\"id\" = \"books\".\"author_id\" AND (\"name\" = ?))"
    );
    // And the other way: authors with a book of more than 250 pages.
    let changed = s
        .query::<Author>()
        .filter(Author::BOOKS.any(Book::PAGES.gt(250)))
        .update(Changes::new().set(Author::NAME, "Long"))
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        s.statements().last().unwrap().sql,
        "UPDATE \"authors\" SET \"name\" = ? WHERE EXISTS (SELECT 1 FROM \"books\" AS x1 \
         WHERE x1.\"author_id\" = \"authors\".\"id\" AND (\"pages\" > ?))"
    );
    let mut expected = seeded();
    expected[2] = row(20, "Bob's", 300, 2, None);
    assert_eq!(db.books(), expected);
    assert_eq!(db.authors(), [(1, "Ann".into()), (2, "Long".into())]);
}

#[test]
fn query_update_without_a_filter_changes_every_row() {
    let db = Db::new("update_all");
    let mut s = db.open();
    let changed = s
        .query::<Book>()
        .update(Changes::new().set(Book::PAGES, 5))
        .unwrap();
    assert_eq!(changed, 3);
    assert_eq!(
        s.statements().last().unwrap().sql,
        "UPDATE \"books\" SET \"pages\" = ?"
    );
    assert!(db.books().iter().all(|b| b.2 == 5));
    // No row matched: nothing is expired.
    let book = s.get::<Book>(10).unwrap().unwrap();
    let changed = s
        .query::<Book>()
        .filter(Book::ID.eq(999))
        .update(Changes::new().set(Book::PAGES, 6))
        .unwrap();
    assert_eq!(changed, 0);
    assert!(Handle::ptr_eq(&s.cached::<Book>(&10).unwrap(), &book));
}

#[test]
fn query_delete_by_filter_counts_rows_and_expires_relations_to_the_rows() {
    let db = Db::new("query_delete");
    let mut s = db.open();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let bob = s.get::<Author>(2).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.load(Author::BOOKS, &bob).unwrap();
    s.reset_statements();
    let deleted = Query::<Book>::new()
        .filter(Book::TITLE.in_(["a", "c"]))
        .delete(&mut s)
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        s.statements()[0].sql,
        "DELETE FROM \"books\" WHERE \"title\" IN (?, ?)"
    );
    assert!(!ann.books.is_loaded());
    assert!(!bob.books.is_loaded());
    assert!(s.cached::<Book>(&10).is_none());
    assert_eq!(ids(&s.load(Author::BOOKS, &ann).unwrap()), [11]);
    assert!(s.load(Author::BOOKS, &bob).unwrap().is_empty());
    assert!(s.get::<Book>(10).unwrap().is_none());
    assert_eq!(db.books(), [row(11, "b", 200, 1, Some("x"))]);
}

#[test]
fn query_delete_across_a_relation_uses_exists() {
    let db = Db::new("delete_exists");
    let mut s = db.open();
    let deleted = s
        .query::<Book>()
        .filter(Book::AUTHOR.has(Author::NAME.eq("Ann")))
        .delete()
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        s.statements().last().unwrap().sql,
        "DELETE FROM \"books\" WHERE EXISTS (SELECT 1 FROM \"authors\" AS x1 \
         WHERE x1.\"id\" = \"books\".\"author_id\" AND (\"name\" = ?))"
    );
    // Authors without books, then: one statement, the EXISTS negated.
    let deleted = s
        .query::<Author>()
        .filter(Author::BOOKS.exists().not())
        .delete()
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(db.books(), [row(20, "c", 300, 2, None)]);
    assert_eq!(db.authors(), [(2, "Bob".into())]);
}

#[test]
fn set_writes_refuse_order_limit_offset_options_and_empty_changesets() {
    let db = Db::new("set_refuses");
    let mut s = db.open();
    s.reset_statements();
    let set = || Changes::new().set(Book::PAGES, 1);
    misuse(
        s.query::<Book>().order_by(Book::ID).update(set()),
        "order_by",
    );
    misuse(s.query::<Book>().limit(1).update(set()), "limit");
    misuse(s.query::<Book>().offset(1).delete(), "offset");
    misuse(s.query::<Book>().order_by(Book::ID).delete(), "order_by");
    misuse(
        s.query::<Book>()
            .options(selectin(Book::AUTHOR))
            .update(set()),
        "loader options",
    );
    misuse(
        s.query::<Book>()
            .filter(Book::PAGES.gt(0))
            .update(Changes::new()),
        "empty changeset",
    );
    misuse(
        s.query::<Book>().update(Changes::new().set(Book::ID, 1)),
        "primary-key column",
    );
    assert_eq!(s.statement_count(), 0);
    assert_eq!(db.books(), seeded());
}

// ----- upsert --------------------------------------------------------------

#[test]
fn upsert_inserts_a_new_row_and_updates_an_existing_one() {
    let db = Db::new("upsert");
    let mut s = db.open();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    let old = s.get::<Book>(10).unwrap().unwrap();
    s.reset_statements();
    // A new row: joins Ann's unordered books.
    let new = s
        .upsert(Book {
            id: 12,
            title: "n".into(),
            pages: 9,
            author_id: 1,
            note: None,
            author: One::new(),
        })
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        s.statements()[0].sql,
        "INSERT INTO \"books\" (\"id\", \"title\", \"pages\", \"author_id\", \"note\") \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (\"id\") DO UPDATE SET \"title\" = excluded.\"title\", \
         \"pages\" = excluded.\"pages\", \"author_id\" = excluded.\"author_id\", \
         \"note\" = excluded.\"note\""
    );
    assert_eq!(s.statements()[0].params, 5);
    assert!(Handle::ptr_eq(&s.cached::<Book>(&12).unwrap(), &new));
    assert_eq!(ids(&ann.books.get().unwrap()), [10, 11, 12]);
    // An existing row: every column written, the held instance replaced.
    let replaced = s
        .upsert(Book {
            title: "u".into(),
            note: Some("n".into()),
            ..(*old).clone()
        })
        .unwrap();
    assert_eq!(s.statement_count(), 2);
    assert!(Handle::ptr_eq(
        &s.get::<Book>(10).unwrap().unwrap(),
        &replaced
    ));
    let held = ann.books.get().unwrap();
    assert!(held.iter().any(|b| Handle::ptr_eq(b, &replaced)));
    assert_eq!(s.statement_count(), 2);
    let reloaded = s.refresh(&*old).unwrap();
    assert_eq!(
        (reloaded.title.as_str(), reloaded.note.as_deref()),
        ("u", Some("n"))
    );
    let mut expected = seeded();
    expected[0] = row(10, "u", 100, 1, Some("n"));
    expected.insert(2, row(12, "n", 9, 1, None));
    assert_eq!(db.books(), expected);
}

#[test]
fn upsert_of_an_assigned_key_inserts_and_all_key_rows_do_nothing() {
    let db = Db::new("upsert_keys");
    let mut s = db.open();
    s.reset_statements();
    let cy = s
        .upsert(Author {
            id: 0,
            name: "Cy".into(),
            books: Many::new(),
        })
        .unwrap();
    assert_eq!(cy.id, 3);
    assert_eq!(
        s.statements()[0].sql,
        "INSERT INTO \"authors\" (\"name\") VALUES (?)"
    );
    for _ in 0..2 {
        s.upsert(Pair { left: 1, right: 2 }).unwrap();
    }
    assert_eq!(
        s.statements().last().unwrap().sql,
        "INSERT INTO \"pairs\" (\"left\", \"right\") VALUES (?, ?) \
         ON CONFLICT (\"left\", \"right\") DO NOTHING"
    );
    let mut fresh = db.open();
    assert_eq!(fresh.query::<Pair>().count().unwrap(), 1);
    assert_eq!(
        db.authors(),
        [(1, "Ann".into()), (2, "Bob".into()), (3, "Cy".into())]
    );
}

#[test]
fn upsert_refuses_loaded_relations_and_foreign_objects() {
    let db = Db::new("upsert_refuses");
    let mut s = db.open();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.reset_statements();
    misuse(s.upsert((*ann).clone()), "holds loaded objects");
    let mut other = db.open();
    let foreign = other.get::<Author>(2).unwrap().unwrap();
    assert!(matches!(
        s.upsert((*foreign).clone()),
        Err(Error::ForeignObject { entity: "Author" })
    ));
    assert_eq!(s.statement_count(), 0);
    assert_eq!(db.authors(), [(1, "Ann".into()), (2, "Bob".into())]);
    let _ = Value::Null;
}
