//! The quickstart: map two tables, create them in an embedded SQLite
//! database, write and query rows, and print every statement sent.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::Arc;

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

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
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
    println!("same instance as inserted: {}", Arc::ptr_eq(&by_name, &ted));
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
