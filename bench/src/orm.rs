//! The same work through eagerly. The mapping keeps every relation at the
//! default `select`; each run picks its strategy with query options.
//!
//! `bulk` loads on access: the option marks the objects its query returns,
//! and the first `session.load` of the relation loads it for every marked
//! object in the session; nested options (`bulk(A::BOOKS).then(bulk(B::TAGS))`)
//! carry over to the objects that load brings in.

use std::path::Path;
use std::sync::Arc;

use eagerly::prelude::*;

use super::data::{author_hash, book_hash, mix, tag_hash, with_children};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub bio: String,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
    #[relationship(foreign_key = "author_id")]
    pub book_query: Dynamic<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub pages: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "book_id",
        target_foreign_key = "tag_id"
    )]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

/// eagerly's strategies as measured here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Select,
    Joined,
    Selectin,
    Bulk,
    Dynamic,
}

/// A fresh session on the database: empty identity map, statement log kept
/// out of the measurement (capacity 0: counted, not stored), N+1 guard off
/// (the N+1 runs are deliberate).
pub fn open(path: &Path) -> eagerly::Result<Session> {
    Ok(configure(Session::open(path)?))
}

/// The same on a PostgreSQL server (`url` names the dataset's schema in
/// its search_path).
#[cfg(feature = "postgres")]
pub fn connect(url: &str) -> eagerly::Result<Session> {
    Ok(configure(Session::connect(url)?))
}

fn configure(mut session: Session) -> Session {
    session.set_statement_log_capacity(0);
    session.set_n_plus_one_guard(NPlusOneGuard::Off);
    session.reset_statements();
    session
}

fn loaded<T>(relation: eagerly::Result<Arc<[Arc<T>]>>) -> Arc<[Arc<T>]> {
    relation.expect("relation loaded")
}

// ----- W1 and W3: authors with their books -------------------------------------

/// The loaded graph of W1/W3: with `dynamic` the books are held beside
/// each author instead of in its relation.
pub struct AuthorsWithBooks {
    pub authors: Vec<Arc<Author>>,
    pub dynamic_books: Vec<Vec<Arc<Book>>>,
}

pub fn authors_with_books(
    session: &mut Session,
    strategy: Strategy,
    limit: Option<u64>,
) -> eagerly::Result<AuthorsWithBooks> {
    let query = |session: &mut Session, option: Option<eagerly::LoadOption<Author, Book>>| {
        let mut query = session.query::<Author>();
        if let Some(option) = option {
            query = query.options(option);
        }
        if let Some(limit) = limit {
            query = query.order_by(Author::NAME).limit(limit);
        }
        query.all()
    };
    let mut dynamic_books = Vec::new();
    let authors = match strategy {
        Strategy::Select => {
            let authors = query(session, None)?;
            for a in &authors {
                session.load(Author::BOOKS, a)?;
            }
            authors
        }
        Strategy::Joined => query(session, Some(joined(Author::BOOKS)))?,
        Strategy::Selectin => query(session, Some(selectin(Author::BOOKS)))?,
        Strategy::Bulk => {
            let authors = query(session, Some(bulk(Author::BOOKS)))?;
            // The first access loads every author's books; the rest are loaded.
            for a in &authors {
                session.load(Author::BOOKS, a)?;
            }
            authors
        }
        Strategy::Dynamic => {
            let authors = query(session, None)?;
            dynamic_books.reserve(authors.len());
            for a in &authors {
                dynamic_books.push(session.dynamic(Author::BOOK_QUERY, a).all()?);
            }
            authors
        }
    };
    Ok(AuthorsWithBooks {
        authors,
        dynamic_books,
    })
}

fn books_sum(books: &[Arc<Book>]) -> u64 {
    books
        .iter()
        .map(|b| book_hash(b.id, b.author_id, &b.title, b.pages))
        .fold(0, u64::wrapping_add)
}

fn author_sums(graph: &AuthorsWithBooks) -> impl Iterator<Item = u64> + '_ {
    graph.authors.iter().enumerate().map(|(i, a)| {
        let held;
        let books: &[Arc<Book>] = match graph.dynamic_books.get(i) {
            Some(books) => &books[..],
            None => {
                held = loaded(a.books.get());
                &held
            }
        };
        with_children(
            author_hash(a.id, &a.name, &a.bio),
            books_sum(books),
            books.len(),
        )
    })
}

/// W1: authors summed.
pub fn checksum_authors(graph: &AuthorsWithBooks) -> u64 {
    author_sums(graph).fold(0, u64::wrapping_add)
}

/// W3: authors folded in order.
pub fn checksum_ordered(graph: &AuthorsWithBooks) -> u64 {
    author_sums(graph).fold(0, mix)
}

// ----- W2: books with their author ---------------------------------------------

pub fn books_with_author(
    session: &mut Session,
    strategy: Strategy,
) -> eagerly::Result<Vec<Arc<Book>>> {
    Ok(match strategy {
        Strategy::Select => {
            let books = session.query::<Book>().all()?;
            for b in &books {
                session.load(Book::AUTHOR, b)?;
            }
            books
        }
        Strategy::Joined => session
            .query::<Book>()
            .options(joined(Book::AUTHOR))
            .all()?,
        Strategy::Selectin => session
            .query::<Book>()
            .options(selectin(Book::AUTHOR))
            .all()?,
        Strategy::Bulk => {
            let books = session.query::<Book>().options(bulk(Book::AUTHOR)).all()?;
            for b in &books {
                session.load(Book::AUTHOR, b)?;
            }
            books
        }
        Strategy::Dynamic => unreachable!("no dynamic run for a many-to-one"),
    })
}

pub fn checksum_books(books: &[Arc<Book>]) -> u64 {
    books
        .iter()
        .map(|b| {
            let author = b
                .author
                .get()
                .expect("author loaded")
                .map_or(0, |a| author_hash(a.id, &a.name, &a.bio));
            mix(book_hash(b.id, b.author_id, &b.title, b.pages), author)
        })
        .fold(0, u64::wrapping_add)
}

// ----- W4: authors, books, tags ------------------------------------------------

pub fn authors_books_tags(
    session: &mut Session,
    strategy: Strategy,
) -> eagerly::Result<Vec<Arc<Author>>> {
    Ok(match strategy {
        Strategy::Select => {
            let authors = session.query::<Author>().all()?;
            for a in &authors {
                for b in session.load(Author::BOOKS, a)?.iter() {
                    session.load(Book::TAGS, b)?;
                }
            }
            authors
        }
        Strategy::Joined => session
            .query::<Author>()
            .options(joined(Author::BOOKS).then(joined(Book::TAGS)))
            .all()?,
        Strategy::Selectin => session
            .query::<Author>()
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()?,
        Strategy::Bulk => {
            let authors = session
                .query::<Author>()
                .options(bulk(Author::BOOKS).then(bulk(Book::TAGS)))
                .all()?;
            // The first access to a relation loads it for every object of
            // the type in the session: 2 levels, ceil(N/500) + ceil(10N/500).
            for a in &authors {
                for b in session.load(Author::BOOKS, a)?.iter() {
                    session.load(Book::TAGS, b)?;
                }
            }
            authors
        }
        Strategy::Dynamic => unreachable!("no dynamic run for W4"),
    })
}

pub fn checksum_nested(authors: &[Arc<Author>]) -> u64 {
    authors
        .iter()
        .map(|a| {
            let books = loaded(a.books.get());
            let sum = books
                .iter()
                .map(|b| {
                    let tags = loaded(b.tags.get());
                    let tag_sum = tags
                        .iter()
                        .fold(0u64, |s, t| s.wrapping_add(tag_hash(t.id, &t.name)));
                    with_children(
                        book_hash(b.id, b.author_id, &b.title, b.pages),
                        tag_sum,
                        tags.len(),
                    )
                })
                .fold(0, u64::wrapping_add);
            with_children(author_hash(a.id, &a.name, &a.bio), sum, books.len())
        })
        .fold(0, u64::wrapping_add)
}
