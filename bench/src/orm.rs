//! The same work through eagerly. The mapping keeps every relation at the
//! default `select`; each run picks its strategy with query options.
//!
//! `bulk` loads on access: the option marks the objects its query returns,
//! and the first `session.load` of the relation loads it for every marked
//! object in the session; nested options (`bulk(A::BOOKS).then(bulk(B::TAGS))`)
//! carry over to the objects that load brings in.

use std::path::Path;

use eagerly::prelude::*;
use eagerly::relation::Loadable;
use eagerly::Relation;

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

/// What the workloads need of a session, sync or async: they are written
/// once, as async code; a sync session's futures never wait (see `ready`).
// Not Send: each session is driven by one thread, as in the measurement.
#[allow(async_fn_in_trait)]
pub trait Driver {
    async fn all<E: Entity>(&mut self, query: Query<E>) -> eagerly::Result<Vec<Handle<E>>>;
    async fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
    ) -> eagerly::Result<F::Loaded>;
    async fn dynamic_books(
        &mut self,
        author: &Handle<Author>,
    ) -> eagerly::Result<Vec<Handle<Book>>>;
}

impl Driver for Session {
    async fn all<E: Entity>(&mut self, query: Query<E>) -> eagerly::Result<Vec<Handle<E>>> {
        query.all(self)
    }

    async fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
    ) -> eagerly::Result<F::Loaded> {
        Session::load(self, relation, parent)
    }

    async fn dynamic_books(
        &mut self,
        author: &Handle<Author>,
    ) -> eagerly::Result<Vec<Handle<Book>>> {
        self.dynamic(Author::BOOK_QUERY, author).all()
    }
}

#[cfg(feature = "postgres")]
impl Driver for eagerly::AsyncSession {
    async fn all<E: Entity>(&mut self, query: Query<E>) -> eagerly::Result<Vec<Handle<E>>> {
        self.query_from(query).all().await
    }

    async fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
    ) -> eagerly::Result<F::Loaded> {
        eagerly::AsyncSession::load(self, relation, parent).await
    }

    async fn dynamic_books(
        &mut self,
        author: &Handle<Author>,
    ) -> eagerly::Result<Vec<Handle<Book>>> {
        self.dynamic(Author::BOOK_QUERY, author).all().await
    }
}

fn loaded<T>(relation: eagerly::Result<eagerly::List<T>>) -> eagerly::List<T> {
    relation.expect("relation loaded")
}

// ----- W1 and W3: authors with their books -------------------------------------

/// The loaded graph of W1/W3: with `dynamic` the books are held beside
/// each author instead of in its relation.
pub struct AuthorsWithBooks {
    pub authors: Vec<Handle<Author>>,
    pub dynamic_books: Vec<Vec<Handle<Book>>>,
}

pub async fn authors_with_books(
    session: &mut impl Driver,
    strategy: Strategy,
    limit: Option<u64>,
) -> eagerly::Result<AuthorsWithBooks> {
    let query = |option: Option<eagerly::LoadOption<Author, Book>>| {
        let mut query = Query::<Author>::new();
        if let Some(option) = option {
            query = query.options(option);
        }
        if let Some(limit) = limit {
            query = query.order_by(Author::NAME).limit(limit);
        }
        query
    };
    let mut dynamic_books = Vec::new();
    let authors = match strategy {
        Strategy::Select => {
            let authors = session.all(query(None)).await?;
            for a in &authors {
                session.load(Author::BOOKS, a).await?;
            }
            authors
        }
        Strategy::Joined => session.all(query(Some(joined(Author::BOOKS)))).await?,
        Strategy::Selectin => session.all(query(Some(selectin(Author::BOOKS)))).await?,
        Strategy::Bulk => {
            let authors = session.all(query(Some(bulk(Author::BOOKS)))).await?;
            // The first access loads every author's books; the rest are loaded.
            for a in &authors {
                session.load(Author::BOOKS, a).await?;
            }
            authors
        }
        Strategy::Dynamic => {
            let authors = session.all(query(None)).await?;
            dynamic_books.reserve(authors.len());
            for a in &authors {
                dynamic_books.push(session.dynamic_books(a).await?);
            }
            authors
        }
    };
    Ok(AuthorsWithBooks {
        authors,
        dynamic_books,
    })
}

fn books_sum(books: &[Handle<Book>]) -> u64 {
    books
        .iter()
        .map(|b| book_hash(b.id, b.author_id, &b.title, b.pages))
        .fold(0, u64::wrapping_add)
}

fn author_sums(graph: &AuthorsWithBooks) -> impl Iterator<Item = u64> + '_ {
    graph.authors.iter().enumerate().map(|(i, a)| {
        let held;
        let books: &[Handle<Book>] = match graph.dynamic_books.get(i) {
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

pub async fn books_with_author(
    session: &mut impl Driver,
    strategy: Strategy,
) -> eagerly::Result<Vec<Handle<Book>>> {
    let books = Query::<Book>::new();
    Ok(match strategy {
        Strategy::Select => {
            let books = session.all(books).await?;
            for b in &books {
                session.load(Book::AUTHOR, b).await?;
            }
            books
        }
        Strategy::Joined => session.all(books.options(joined(Book::AUTHOR))).await?,
        Strategy::Selectin => session.all(books.options(selectin(Book::AUTHOR))).await?,
        Strategy::Bulk => {
            let books = session.all(books.options(bulk(Book::AUTHOR))).await?;
            for b in &books {
                session.load(Book::AUTHOR, b).await?;
            }
            books
        }
        Strategy::Dynamic => unreachable!("no dynamic run for a many-to-one"),
    })
}

pub fn checksum_books(books: &[Handle<Book>]) -> u64 {
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

pub async fn authors_books_tags(
    session: &mut impl Driver,
    strategy: Strategy,
) -> eagerly::Result<Vec<Handle<Author>>> {
    let authors = Query::<Author>::new();
    Ok(match strategy {
        Strategy::Select => {
            let authors = session.all(authors).await?;
            for a in &authors {
                for b in session.load(Author::BOOKS, a).await?.iter() {
                    session.load(Book::TAGS, b).await?;
                }
            }
            authors
        }
        Strategy::Joined => {
            let options = joined(Author::BOOKS).then(joined(Book::TAGS));
            session.all(authors.options(options)).await?
        }
        Strategy::Selectin => {
            let options = selectin(Author::BOOKS).then(selectin(Book::TAGS));
            session.all(authors.options(options)).await?
        }
        Strategy::Bulk => {
            let options = bulk(Author::BOOKS).then(bulk(Book::TAGS));
            let authors = session.all(authors.options(options)).await?;
            // The first access to a relation loads it for every object of
            // the type in the session: 2 levels, ceil(N/500) + ceil(10N/500).
            for a in &authors {
                for b in session.load(Author::BOOKS, a).await?.iter() {
                    session.load(Book::TAGS, b).await?;
                }
            }
            authors
        }
        Strategy::Dynamic => unreachable!("no dynamic run for W4"),
    })
}

pub fn checksum_nested(authors: &[Handle<Author>]) -> u64 {
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
