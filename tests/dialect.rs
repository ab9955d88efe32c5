//! The `Dialect` seam: every statement the library writes asks its dialect
//! for placeholders, so an engine that numbers them (PostgreSQL's `$1`)
//! gets each parameter's number right. SQLite also reads numbered
//! placeholders (`?1`, `?2`), so a dialect that writes them runs the same
//! loads on SQLite: a wrong number would bind the wrong value, and the
//! graphs below would differ from the default dialect's.

mod support;

use eagerly::backend::sqlite::SqliteBackend;
use eagerly::prelude::*;
use eagerly::{Dialect, Sql, SqlType};
use support::library::{library_in, Author, Book, Tag};
use support::wrap::{wrapped, Hooks};

/// SQLite with numbered placeholders.
struct Numbered;

impl Dialect for Numbered {
    fn name(&self) -> &'static str {
        "sqlite-numbered"
    }
    fn push_placeholder(&self, sql: &mut String, number: usize) {
        sql.push_str(&format!("?{number}"));
    }
    fn push_in_array(&self, sql: &mut Sql<'_>, column: &str, negated: bool) {
        // SQLite's text; its placeholder comes from `sql`'s dialect, this one.
        eagerly::Sqlite.push_in_array(sql, column, negated)
    }
    fn limit_for_offset_only(&self) -> Option<i64> {
        eagerly::Sqlite.limit_for_offset_only()
    }
    fn column_type(&self, sql_type: SqlType) -> &'static str {
        eagerly::Sqlite.column_type(sql_type)
    }
    fn begin(&self, immediate: bool) -> &'static str {
        eagerly::Sqlite.begin(immediate)
    }
}

/// SQLite under the numbered dialect.
struct NumberedBackend;

impl Hooks for NumberedBackend {
    fn dialect(&self, _: &'static dyn Dialect) -> &'static dyn Dialect {
        &Numbered
    }
}

fn sessions(authors: i64) -> (Session, Session) {
    let plain = library_in(Session::in_memory().unwrap(), authors);
    let backend = SqliteBackend::new(rusqlite::Connection::open_in_memory().unwrap()).unwrap();
    let numbered = library_in(
        Session::with_backend(wrapped(Box::new(backend), NumberedBackend)),
        authors,
    );
    (plain, numbered)
}

/// Each author with its books' titles and each book's tag names.
type Graph = Vec<(String, Vec<(String, Vec<String>)>)>;

fn graph(authors: &[Handle<Author>]) -> Graph {
    authors
        .iter()
        .map(|a| {
            let books = a.books.get().expect("books loaded");
            let books = books
                .iter()
                .map(|b| {
                    let tags = b
                        .tags
                        .get()
                        .map(|t| t.iter().map(|t| t.name.clone()).collect());
                    (b.title.clone(), tags.unwrap_or_default())
                })
                .collect();
            (a.name.clone(), books)
        })
        .collect()
}

/// Every statement the numbered session logged that binds parameters
/// numbers them 1, 2, 3... in order, and none is a bare `?`.
fn assert_numbered(session: &Session) {
    let logged: Vec<_> = session
        .statements()
        .iter()
        .filter(|s| s.params > 0)
        .collect();
    assert!(!logged.is_empty());
    for statement in logged {
        let numbers: Vec<usize> = statement
            .sql
            .match_indices('?')
            .map(|(at, _)| {
                let digits: String = statement.sql[at + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits
                    .parse()
                    .unwrap_or_else(|_| panic!("bare ? in {}", statement.sql))
            })
            .collect();
        let expected: Vec<usize> = (1..=statement.params).collect();
        assert_eq!(numbers, expected, "{}", statement.sql);
    }
}

#[test]
fn queries_with_filters_order_limit_and_offset_bind_by_number() {
    let (mut plain, mut numbered) = sessions(40);
    let run = |s: &mut Session| {
        let page = s
            .query::<Author>()
            .filter(Author::ID.gt(3).and(Author::NAME.ne("author7")))
            .filter(Author::ID.in_(1..=39).or(Author::NAME.like("x%")))
            .order_by(Author::NAME.desc())
            .limit(5)
            .offset(2)
            .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
            .all()
            .unwrap();
        let joined_page = s
            .query::<Author>()
            .filter(Author::ID.ge(10).and(Author::ID.le(30)))
            .order_by(Author::ID)
            .offset(3)
            .options(joined(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap();
        let count = s
            .query::<Book>()
            .filter(Book::AUTHOR_ID.ne(2))
            .limit(7)
            .offset(1)
            .count()
            .unwrap();
        (graph(&page), graph(&joined_page), count)
    };
    let expected = run(&mut plain);
    assert_eq!(expected.0.len(), 5);
    assert_eq!(expected.2, 7);
    assert_eq!(run(&mut numbered), expected);
    assert_numbered(&numbered);
}

#[test]
fn relation_loads_and_writes_bind_by_number() {
    let (mut plain, mut numbered) = sessions(30);
    let run = |s: &mut Session| {
        let ann = s.get::<Author>(6).unwrap().unwrap();
        let books = s.load(Author::BOOKS, &ann).unwrap();
        let first = books.first().cloned().unwrap();
        let tags: Vec<String> = s
            .load(Book::TAGS, &first)
            .unwrap()
            .iter()
            .map(|t| t.name.clone())
            .collect();
        let tag = s.get::<Tag>(1).unwrap().unwrap();
        let tag_books = s.load(Tag::BOOKS, &tag).unwrap().len();
        let dynamic = s
            .dynamic(Author::BOOK_QUERY, &ann)
            .filter(Book::TITLE.ne("none"))
            .order_by(Book::ID.desc())
            .limit(1)
            .all()
            .unwrap()
            .iter()
            .map(|b| b.title.clone())
            .collect::<Vec<_>>();
        let inserted = s
            .insert(Author {
                id: 0,
                name: "new".into(),
                books: Many::new(),
                bio: One::new(),
                book_query: Dynamic::new(),
            })
            .unwrap();
        s.update(Author {
            id: inserted.id,
            name: "renamed".into(),
            books: Many::new(),
            bio: One::new(),
            book_query: Dynamic::new(),
        })
        .unwrap();
        let renamed = s
            .query::<Author>()
            .filter(Author::NAME.eq("renamed"))
            .one()
            .unwrap()
            .id;
        s.delete_by_key::<Author>(renamed).unwrap();
        let gone = s.get::<Author>(renamed).unwrap().is_none();
        (books.len(), tags, tag_books, dynamic, renamed, gone)
    };
    let expected = run(&mut plain);
    assert_eq!(expected.0, 2);
    assert!(expected.5);
    assert_eq!(run(&mut numbered), expected);
    assert_numbered(&numbered);
}

#[test]
fn long_key_lists_chunk_and_bind_by_number() {
    // 700 authors: selectin chunks its keys (500 per statement) and a
    // filter over 32 values binds one array.
    let (mut plain, mut numbered) = sessions(700);
    let run = |s: &mut Session| {
        let authors = s
            .query::<Author>()
            .filter(Author::ID.in_(1..=650))
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap();
        (graph(&authors), s.statement_count())
    };
    let expected = run(&mut plain);
    assert_eq!(expected.0.len(), 650);
    assert_eq!(run(&mut numbered), expected);
    assert_numbered(&numbered);
}
