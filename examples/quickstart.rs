//! The quickstart: map two tables, create them, write and query rows, and
//! print every statement sent.
//!
//! ```sh
//! cargo run --example quickstart                      # embedded SQLite, in memory
//! DATABASE_URL=postgres://root@127.0.0.1:5432/test \
//!     cargo run --example quickstart --features postgres
//! ```
//!
//! On PostgreSQL the tables are temporary (the session's `pg_temp`
//! schema), so the program leaves nothing behind and runs again.

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub born: Option<i32>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    pub pages: u32,
}

/// PostgreSQL when `DATABASE_URL` is set (and the feature `postgres` is
/// on), else a private in-memory SQLite database.
fn open() -> eagerly::Result<Session> {
    #[cfg(feature = "postgres")]
    if std::env::var_os("DATABASE_URL").is_some() {
        let mut session = Session::from_env()?;
        // Tables created from here on are temporary: gone when the
        // connection closes.
        session.execute("SET search_path TO pg_temp", &[])?;
        session.reset_statements();
        return Ok(session);
    }
    if std::env::var_os("DATABASE_URL").is_some() && !cfg!(feature = "postgres") {
        eprintln!("DATABASE_URL is set but the feature `postgres` is off: using SQLite (add --features postgres)");
    }
    Session::in_memory()
}

fn main() -> eagerly::Result<()> {
    let mut session = open()?;
    println!("running on {}", session.dialect().name());
    session.create_all(&[Author::META, Book::META])?;

    let ann = session.insert(Author {
        id: 0,
        name: "Ann Leckie".into(),
        born: Some(1966),
    })?;
    let ted = session.insert(Author {
        id: 0,
        name: "Ted Chiang".into(),
        born: None,
    })?;
    for (title, author, pages) in [
        ("Ancillary Justice", &ann, 386),
        ("Ancillary Sword", &ann, 356),
        ("Stories of Your Life", &ted, 281),
        ("Exhalation", &ted, 350),
    ] {
        session.insert(Book {
            id: 0,
            title: title.into(),
            author_id: author.id,
            pages,
        })?;
    }

    let long_books = session
        .query::<Book>()
        .filter(Book::PAGES.gt(300u32).and(Book::TITLE.like("%a%")))
        .order_by(Book::TITLE.desc())
        .all()?;
    println!(
        "books over 300 pages with an 'a': {:?}",
        long_books.iter().map(|b| &b.title).collect::<Vec<_>>()
    );

    let by_name = session
        .query::<Author>()
        .filter(Author::NAME.eq("Ted Chiang"))
        .one()?;
    println!(
        "same instance as inserted: {}",
        Handle::ptr_eq(&by_name, &ted)
    );
    println!(
        "unknown birth years: {}",
        session
            .query::<Author>()
            .filter(Author::BORN.is_null())
            .count()?
    );

    let before = session.statement_count();
    let again = session.get::<Author>(ann.id)?;
    println!(
        "get() of a loaded author sent {} statements: {:?}",
        session.statement_count() - before,
        again.map(|a| a.name.clone())
    );

    println!(
        "\nstatement log ({} statements):",
        session.statement_count()
    );
    for statement in session.statements() {
        println!("  [{} params] {}", statement.params, statement.sql);
    }
    Ok(())
}
