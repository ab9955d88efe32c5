//! Authors and books: a collection loaded lazily (`select`) beside the same
//! relation as a `dynamic` query that filters, counts and pages in SQL.
//!
//! Run with `cargo run --example library`.

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "title")]
    pub books: Many<Book>,
    #[relationship(foreign_key = "author_id")]
    pub book_query: Dynamic<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub pages: u32,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Book::META])?;
    let le_guin = session.insert(Author {
        id: 0,
        name: "Ursula K. Le Guin".into(),
        books: Many::new(),
        book_query: Dynamic::new(),
    })?;
    for (title, pages) in [
        ("A Wizard of Earthsea", 183),
        ("The Left Hand of Darkness", 304),
        ("The Dispossessed", 387),
        ("The Lathe of Heaven", 184),
    ] {
        // Appending through the dynamic relation sets the foreign key.
        session.append(
            Author::BOOK_QUERY,
            &le_guin,
            Book {
                id: 0,
                title: title.into(),
                pages,
                author_id: 0,
                author: One::new(),
            },
        )?;
    }
    session.expunge_all();
    session.reset_statements();

    let author = session.query::<Author>().one()?;
    let before = session.statement_count();
    let books = session.load(Author::BOOKS, &author)?;
    println!(
        "select: {} books on first access, {} statement",
        books.len(),
        session.statement_count() - before
    );
    let before = session.statement_count();
    let again = session.load(Author::BOOKS, &author)?.len();
    println!(
        "select: {again} books on the second access, {} statements",
        session.statement_count() - before
    );

    let before = session.statement_count();
    let long = session
        .dynamic(Author::BOOK_QUERY, &author)
        .filter(Book::PAGES.gt(300u32))
        .count()?;
    let first_page = session
        .dynamic(Author::BOOK_QUERY, &author)
        .order_by(Book::PAGES.desc())
        .limit(2)
        .all()?;
    println!(
        "dynamic: {long} books over 300 pages, longest two {:?}, {} statements",
        first_page
            .iter()
            .map(|b| b.title.as_str())
            .collect::<Vec<_>>(),
        session.statement_count() - before
    );
    // The book came from the identity map's author: its many-to-one costs no SQL.
    let before = session.statement_count();
    let owner = session
        .load(Book::AUTHOR, &first_page[0])?
        .map(|a| a.name.clone());
    println!(
        "many-to-one from the identity map: {owner:?}, {} statements",
        session.statement_count() - before
    );

    println!("\nstatement log:");
    for statement in session.statements() {
        println!("  [{} params] {}", statement.params, statement.sql);
    }
    Ok(())
}
