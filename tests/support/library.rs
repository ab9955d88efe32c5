//! The library fixture shared by the relationship tests: authors, books,
//! tags (many-to-many through book_tags), an optional editor, a one-to-one
//! biography, and a self-referential category tree. Every relation uses the
//! default strategy `select`; tests pick strategies through options, and the
//! `eager` module maps the same tables with eager defaults.

#![allow(dead_code)]

use eagerly::prelude::*;
use eagerly::{Dynamic, Many, One};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "id")]
    pub books: Many<Book>,
    #[relationship(foreign_key = "author_id")]
    pub bio: One<Biography>,
    #[relationship(foreign_key = "author_id")]
    pub book_query: Dynamic<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub editor_id: Option<i64>,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
    #[relationship(foreign_key = "editor_id")]
    pub editor: One<Author>,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "book_id",
        target_foreign_key = "tag_id",
        order_by = "name"
    )]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "tag_id",
        target_foreign_key = "book_id",
        order_by = "id"
    )]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "biographies")]
pub struct Biography {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub text: String,
}

#[derive(Entity, Debug)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    #[relationship(foreign_key = "parent_id")]
    pub parent: One<Category>,
    #[relationship(foreign_key = "parent_id", order_by = "id")]
    pub children: Many<Category>,
}

/// A session with the schema and `authors` authors: author `a` (1-based)
/// has `a % 4` books (so some have none), book `b` has tags `b % 3` and
/// `(b + 1) % 5` when different, every third book has editor 1, every
/// even author has a biography.
///
/// On the run's engine (`support::engine`): SQLite in memory, or a fresh
/// PostgreSQL schema with `EAGERLY_ENGINE=postgres`.
pub fn library(authors: i64) -> Session {
    library_in(super::engine::session(), authors)
}

/// [`library`] on a session the caller made (e.g. over a recording backend).
pub fn library_in(mut session: Session, authors: i64) -> Session {
    session
        .create_all(&[
            Author::META,
            Book::META,
            Tag::META,
            Biography::META,
            Category::META,
        ])
        .expect("schema");
    session.transaction(|s| seed(s, authors)).expect("seed");
    follow_explicit_keys(&mut session, &["authors", "books", "tags", "biographies"]);
    session.expunge_all();
    session.reset_statements();
    session
}

fn seed(session: &mut Session, authors: i64) -> eagerly::Result<()> {
    use eagerly::Value;
    let mut tags: Vec<Vec<Value>> = Vec::new();
    let mut author_rows = Vec::new();
    let mut bios = Vec::new();
    let mut books = Vec::new();
    let mut book_tags = Vec::new();
    for id in 0..5 {
        tags.push(vec![Value::Integer(id), Value::Text(format!("tag{id}"))]);
    }
    let mut book = 0;
    for a in 1..=authors {
        author_rows.push(vec![a.into_value(), format!("author{a}").into_value()]);
        if a % 2 == 0 {
            bios.push(vec![
                a.into_value(),
                a.into_value(),
                format!("bio of {a}").into_value(),
            ]);
        }
        for _ in 0..(a % 4) {
            book += 1;
            let editor = if book % 3 == 0 {
                Value::Integer(1)
            } else {
                Value::Null
            };
            books.push(vec![
                book.into_value(),
                format!("book{book}").into_value(),
                a.into_value(),
                editor,
            ]);
            let mut tags = vec![book % 3, (book + 1) % 5];
            tags.dedup();
            for tag in tags {
                book_tags.push(vec![book.into_value(), tag.into_value()]);
            }
        }
    }
    insert_rows(session, "tags (id, name)", &tags)?;
    insert_rows(session, "authors (id, name)", &author_rows)?;
    insert_rows(session, "biographies (id, author_id, text)", &bios)?;
    insert_rows(session, "books (id, title, author_id, editor_id)", &books)?;
    insert_rows(session, "book_tags (book_id, tag_id)", &book_tags)?;
    Ok(())
}

/// Inserts `rows` into `table` (`"name (col, ...)"`) with multi-row
/// `INSERT ... VALUES (?, ...), (?, ...)` statements of up to 200 rows,
/// valid on both engines (one round trip per 200 rows on PostgreSQL).
pub fn insert_rows(
    session: &mut Session,
    table: &str,
    rows: &[Vec<eagerly::Value>],
) -> eagerly::Result<()> {
    for chunk in rows.chunks(200) {
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| format!("({})", vec!["?"; row.len()].join(", ")))
            .collect();
        let params: Vec<eagerly::Value> = chunk.iter().flatten().cloned().collect();
        exec(
            session,
            &format!("INSERT INTO {table} VALUES {}", tuples.join(", ")),
            &params,
        )?;
    }
    Ok(())
}

/// Adds a category tree `depth` levels deep under one root, `fanout`
/// children per node; returns how many categories exist.
pub fn category_tree(session: &mut Session, depth: u32, fanout: i64) -> i64 {
    let mut next = 1;
    let mut rows = vec![vec![
        eagerly::Value::Integer(1),
        eagerly::Value::Null,
        "root".to_owned().into_value(),
    ]];
    let mut level = vec![1i64];
    for _ in 0..depth {
        let mut below = Vec::new();
        for parent in level {
            for _ in 0..fanout {
                next += 1;
                rows.push(vec![
                    next.into_value(),
                    parent.into_value(),
                    format!("c{next}").into_value(),
                ]);
                below.push(next);
            }
        }
        level = below;
    }
    // Level by level: every parent is inserted before its children.
    insert_rows(session, "categories (id, parent_id, name)", &rows).expect("categories");
    follow_explicit_keys(session, &["categories"]);
    session.expunge_all();
    session.reset_statements();
    next
}

/// Sends a fixture statement written with `?` placeholders, numbered
/// `$1, $2...` on PostgreSQL (SQLite's statements are sent as written).
pub fn exec(session: &mut Session, sql: &str, params: &[eagerly::Value]) -> eagerly::Result<u64> {
    if session.dialect().name() != "postgres" {
        return session.execute(sql, params);
    }
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(c);
        }
    }
    session.execute(&numbered, params)
}

/// On PostgreSQL, moves the identity sequence of each table's `id` past
/// the keys the fixture wrote explicitly, so that an insert with the key
/// left at 0 gets a new key, as SQLite's rowid does. Nothing on SQLite.
pub fn follow_explicit_keys(session: &mut Session, tables: &[&str]) {
    if session.dialect().name() != "postgres" {
        return;
    }
    for table in tables {
        session
            .execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ),
                &[],
            )
            .expect("identity sequence");
    }
}

/// Shorthand for bound values in fixtures.
pub trait IntoValue {
    fn into_value(self) -> eagerly::Value;
}

impl IntoValue for i64 {
    fn into_value(self) -> eagerly::Value {
        eagerly::Value::Integer(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> eagerly::Value {
        eagerly::Value::Text(self)
    }
}
