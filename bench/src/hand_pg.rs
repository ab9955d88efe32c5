//! The reference on PostgreSQL: hand-written code building the same plain
//! structs as the rusqlite reference (`hand.rs`): statements prepared once
//! per connection and kept, rows streamed (`query_raw`) and decoded by
//! column index, shared targets behind `Arc` de-duplicated through a
//! `HashMap`. Four shapes: N+1, one JOIN, IN lists of 500 keys, and one
//! `= ANY($1)` array parameter per level (what eagerly's selectin and bulk
//! send here).
//!
//! The shapes are written once, as async code over [`Exec`], on two
//! drivers: the `postgres` crate eagerly's sync backend uses
//! ([`SyncClient`], whose futures never wait: [`ready`] polls them once),
//! and tokio-postgres awaited on a tokio runtime ([`AsyncClient`], the
//! reference of the async session).

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use eagerly::backend::postgres::postgres::fallible_iterator::FallibleIterator;
use eagerly::backend::postgres::postgres::types::ToSql;
use eagerly::backend::postgres::postgres::{Client, NoTls, Row, Statement};
use futures_util::TryStreamExt;

use super::hand::{Author, AuthorRow, Book, BookWithAuthor, Shape, Tag, CHUNK};

type R<T> = Result<T, eagerly::backend::postgres::postgres::Error>;

const AUTHORS: &str = "SELECT id, name, bio FROM authors";
const AUTHORS_PAGE: &str = "SELECT id, name, bio FROM authors ORDER BY name LIMIT $1";
const BOOKS: &str = "SELECT id, author_id, title, pages FROM books";
const BOOKS_OF_AUTHOR: &str = "SELECT id, author_id, title, pages FROM books WHERE author_id = $1";
const BOOKS_OF_AUTHORS: &str = "SELECT id, author_id, title, pages FROM books WHERE author_id";
const AUTHOR_BY_ID: &str = "SELECT id, name, bio FROM authors WHERE id = $1";
const AUTHORS_BY_ID: &str = "SELECT id, name, bio FROM authors WHERE id";
const TAGS_OF_BOOK: &str = "SELECT t.id, t.name FROM tags AS t JOIN book_tags AS s ON t.id = s.tag_id WHERE s.book_id = $1";
const TAGS_OF_BOOKS: &str =
    "SELECT t.id, t.name, s.book_id FROM tags AS t JOIN book_tags AS s ON t.id = s.tag_id WHERE s.book_id";

fn author(row: &Row, at: usize) -> Author {
    Author {
        id: row.get(at),
        name: row.get(at + 1),
        bio: row.get(at + 2),
        books: Vec::new(),
    }
}

fn book(row: &Row, at: usize) -> Book {
    Book {
        id: row.get(at),
        author_id: row.get(at + 1),
        title: row.get(at + 2),
        pages: row.get(at + 3),
        tags: Vec::new(),
    }
}

fn author_row(row: &Row, at: usize) -> AuthorRow {
    AuthorRow {
        id: row.get(at),
        name: row.get(at + 1),
        bio: row.get(at + 2),
    }
}

/// A tag from the shared map, decoded only the first time its id is seen.
fn shared_tag(tags: &mut HashMap<i64, Arc<Tag>>, row: &Row, at: usize) -> Arc<Tag> {
    let id: i64 = row.get(at);
    Arc::clone(tags.entry(id).or_insert_with(|| {
        Arc::new(Tag {
            id,
            name: row.get(at + 1),
        })
    }))
}

/// `head` + ` IN ($1, $2, ...)` (`n` of them).
fn in_list(head: &str, n: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 6 * n + 6);
    sql.push_str(head);
    sql.push_str(" IN (");
    for i in 1..=n {
        if i > 1 {
            sql.push_str(", ");
        }
        sql.push('$');
        sql.push_str(&i.to_string());
    }
    sql.push(')');
    sql
}

/// `head` + ` = ANY($1)`.
fn any(head: &str) -> String {
    format!("{head} = ANY($1)")
}

/// The key batches of one level: chunks of 500 for IN lists, every key in
/// one array for ANY.
fn batches(shape: Shape, keys: &[i64]) -> std::slice::Chunks<'_, i64> {
    match shape {
        Shape::In => keys.chunks(CHUNK),
        _ => keys.chunks(keys.len().max(1)),
    }
}

/// What the shapes need of a driver: prepare a statement, stream its rows.
// Not Send: each connection is driven by one thread, as in the measurement.
#[allow(async_fn_in_trait)]
pub trait Exec {
    async fn prepare(&mut self, sql: &str) -> R<Statement>;
    async fn stream(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
        on_row: &mut dyn FnMut(&Row),
    ) -> R<()>;
}

/// The `postgres` crate's blocking client: its futures are ready when
/// first polled.
pub struct SyncClient(pub Client);

impl Exec for SyncClient {
    async fn prepare(&mut self, sql: &str) -> R<Statement> {
        self.0.prepare(sql)
    }

    async fn stream(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
        on_row: &mut dyn FnMut(&Row),
    ) -> R<()> {
        let mut rows = self.0.query_raw(statement, params.iter().copied())?;
        while let Some(row) = rows.next()? {
            on_row(&row);
        }
        Ok(())
    }
}

/// tokio-postgres, awaited: the connection's task runs on the caller's
/// runtime.
pub struct AsyncClient(pub tokio_postgres::Client);

impl Exec for AsyncClient {
    async fn prepare(&mut self, sql: &str) -> R<Statement> {
        self.0.prepare(sql).await
    }

    async fn stream(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
        on_row: &mut dyn FnMut(&Row),
    ) -> R<()> {
        let rows = self.0.query_raw(statement, params.iter().copied()).await?;
        let mut rows = pin!(rows);
        while let Some(row) = rows.try_next().await? {
            on_row(&row);
        }
        Ok(())
    }
}

/// The output of a future that never waits (the sync client's), polled once.
pub fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the sync client's futures never wait"),
    }
}

/// A connection, the statements it prepared and the number it sent.
pub struct Conn<E = SyncClient> {
    exec: E,
    prepared: HashMap<String, Statement>,
    pub statements: u64,
}

impl Conn<SyncClient> {
    /// Connects to `url` (the dataset's schema in its search_path).
    pub fn connect(url: &str) -> R<Conn> {
        Ok(Conn::over(SyncClient(Client::connect(url, NoTls)?)))
    }
}

impl Conn<AsyncClient> {
    /// Connects to `url` with tokio-postgres; the connection's task is
    /// spawned on the current runtime.
    pub async fn connect_async(url: &str) -> R<Conn<AsyncClient>> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        Ok(Conn::over(AsyncClient(client)))
    }
}

impl<E: Exec> Conn<E> {
    fn over(exec: E) -> Conn<E> {
        Conn {
            exec,
            prepared: HashMap::new(),
            statements: 0,
        }
    }

    /// The prepared statement of `sql`, prepared on first use.
    async fn st(&mut self, sql: &str) -> R<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.exec.prepare(sql).await?;
        self.prepared.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// Sends `sql` with `params` and hands each row to `on_row`, streamed.
    async fn each(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        mut on_row: impl FnMut(&Row),
    ) -> R<()> {
        let st = self.st(sql).await?;
        self.statements += 1;
        self.exec.stream(&st, params, &mut on_row).await
    }

    /// One level's statement over `keys` in `shape`: `head` completed by
    /// an IN list of the batch or `= ANY($1)`.
    async fn each_batch(
        &mut self,
        shape: Shape,
        head: &str,
        keys: &[i64],
        mut on_row: impl FnMut(&Row),
    ) -> R<()> {
        for batch in batches(shape, keys) {
            match shape {
                Shape::In => {
                    let params: Vec<&(dyn ToSql + Sync)> =
                        batch.iter().map(|k| k as &(dyn ToSql + Sync)).collect();
                    self.each(&in_list(head, batch.len()), &params, &mut on_row)
                        .await?;
                }
                _ => self.each(&any(head), &[&batch], &mut on_row).await?,
            }
        }
        Ok(())
    }

    // ----- parents -------------------------------------------------------

    async fn authors(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
        let mut authors = Vec::new();
        match limit {
            None => {
                self.each(AUTHORS, &[], |row| authors.push(author(row, 0)))
                    .await?
            }
            Some(limit) => {
                self.each(AUTHORS_PAGE, &[&limit], |row| authors.push(author(row, 0)))
                    .await?
            }
        }
        Ok(authors)
    }

    // ----- authors with books (W1, W3, first level of W4) -----------------

    async fn books_n_plus_1(&mut self, authors: &mut [Author]) -> R<()> {
        for a in authors.iter_mut() {
            let id = a.id;
            self.each(BOOKS_OF_AUTHOR, &[&id], |row| a.books.push(book(row, 0)))
                .await?;
        }
        Ok(())
    }

    async fn books_batched(&mut self, shape: Shape, authors: &mut [Author]) -> R<()> {
        let index: HashMap<i64, usize> =
            authors.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let mut keys: Vec<i64> = authors.iter().map(|a| a.id).collect();
        keys.sort_unstable();
        self.each_batch(shape, BOOKS_OF_AUTHORS, &keys, |row| {
            let b = book(row, 0);
            authors[index[&b.author_id]].books.push(b);
        })
        .await
    }

    /// Authors with books in one LEFT JOIN (W1), or the LIMIT page of
    /// authors joined to their books (W3).
    async fn authors_join_books(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
        let mut authors: Vec<Author> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut on_row = |row: &Row| {
            let id: i64 = row.get(0);
            // Rows of one author come together; the map covers any order.
            let at = match authors.last() {
                Some(last) if last.id == id => authors.len() - 1,
                _ => *index.entry(id).or_insert_with(|| {
                    authors.push(author(row, 0));
                    authors.len() - 1
                }),
            };
            if row.get::<_, Option<i64>>(3).is_some() {
                authors[at].books.push(book(row, 3));
            }
        };
        match limit {
            None => {
                self.each(
                    "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                 FROM authors AS a LEFT OUTER JOIN books AS b ON b.author_id = a.id",
                    &[],
                    &mut on_row,
                )
                .await?
            }
            Some(limit) => {
                self.each(
                    "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                 FROM (SELECT * FROM authors ORDER BY name LIMIT $1) AS a \
                 LEFT OUTER JOIN books AS b ON b.author_id = a.id ORDER BY a.name",
                    &[&limit],
                    &mut on_row,
                )
                .await?
            }
        }
        Ok(authors)
    }

    /// W1 (`limit` None) and W3 (`Some(100)`).
    pub async fn authors_with_books(&mut self, shape: Shape, limit: Option<i64>) -> R<Vec<Author>> {
        match shape {
            Shape::NPlus1 => {
                let mut authors = self.authors(limit).await?;
                self.books_n_plus_1(&mut authors).await?;
                Ok(authors)
            }
            Shape::Join => self.authors_join_books(limit).await,
            Shape::In | Shape::Any => {
                let mut authors = self.authors(limit).await?;
                self.books_batched(shape, &mut authors).await?;
                Ok(authors)
            }
        }
    }

    // ----- books with their author (W2) -----------------------------------

    async fn books(&mut self) -> R<Vec<BookWithAuthor>> {
        let mut books = Vec::new();
        self.each(BOOKS, &[], |row| {
            books.push(BookWithAuthor {
                id: row.get(0),
                author_id: row.get(1),
                title: row.get(2),
                pages: row.get(3),
                author: None,
            })
        })
        .await?;
        Ok(books)
    }

    pub async fn books_with_author(&mut self, shape: Shape) -> R<Vec<BookWithAuthor>> {
        match shape {
            Shape::NPlus1 => {
                let mut books = self.books().await?;
                // One statement per author not seen yet: an author already
                // loaded is reused, as eagerly reuses its identity map.
                let mut seen: HashMap<i64, Arc<AuthorRow>> = HashMap::new();
                for b in &mut books {
                    let author = match seen.get(&b.author_id) {
                        Some(a) => Arc::clone(a),
                        None => {
                            let mut found = None;
                            self.each(AUTHOR_BY_ID, &[&b.author_id], |row| {
                                found = Some(Arc::new(author_row(row, 0)))
                            })
                            .await?;
                            let a = found.expect("the book's author");
                            seen.insert(b.author_id, Arc::clone(&a));
                            a
                        }
                    };
                    b.author = Some(author);
                }
                Ok(books)
            }
            Shape::Join => {
                let mut seen: HashMap<i64, Arc<AuthorRow>> = HashMap::new();
                let mut books = Vec::new();
                self.each(
                    "SELECT b.id, b.author_id, b.title, b.pages, a.id, a.name, a.bio \
                     FROM books AS b LEFT OUTER JOIN authors AS a ON a.id = b.author_id",
                    &[],
                    |row| {
                        let author = row.get::<_, Option<i64>>(4).map(|id| {
                            Arc::clone(
                                seen.entry(id)
                                    .or_insert_with(|| Arc::new(author_row(row, 4))),
                            )
                        });
                        books.push(BookWithAuthor {
                            id: row.get(0),
                            author_id: row.get(1),
                            title: row.get(2),
                            pages: row.get(3),
                            author,
                        });
                    },
                )
                .await?;
                Ok(books)
            }
            Shape::In | Shape::Any => {
                let mut books = self.books().await?;
                let mut keys: Vec<i64> = books.iter().map(|b| b.author_id).collect();
                keys.sort_unstable();
                keys.dedup();
                let mut found: HashMap<i64, Arc<AuthorRow>> = HashMap::with_capacity(keys.len());
                self.each_batch(shape, AUTHORS_BY_ID, &keys, |row| {
                    let a = author_row(row, 0);
                    found.insert(a.id, Arc::new(a));
                })
                .await?;
                for b in &mut books {
                    b.author = found.get(&b.author_id).cloned();
                }
                Ok(books)
            }
        }
    }

    // ----- authors, books, tags (W4) ---------------------------------------

    pub async fn authors_books_tags(&mut self, shape: Shape) -> R<Vec<Author>> {
        let mut tags: HashMap<i64, Arc<Tag>> = HashMap::new();
        match shape {
            Shape::NPlus1 => {
                let mut authors = self.authors(None).await?;
                self.books_n_plus_1(&mut authors).await?;
                for b in authors.iter_mut().flat_map(|a| a.books.iter_mut()) {
                    let id = b.id;
                    self.each(TAGS_OF_BOOK, &[&id], |row| {
                        b.tags.push(shared_tag(&mut tags, row, 0))
                    })
                    .await?;
                }
                Ok(authors)
            }
            Shape::Join => {
                // Chained outer joins, as eagerly's joined sends them.
                let mut authors: Vec<Author> = Vec::new();
                let mut author_at: HashMap<i64, usize> = HashMap::new();
                let mut book_at: HashMap<i64, (usize, usize)> = HashMap::new();
                let mut last_book: Option<(i64, usize, usize)> = None;
                self.each(
                    "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages, t.id, t.name \
                     FROM authors AS a LEFT OUTER JOIN books AS b ON b.author_id = a.id \
                     LEFT OUTER JOIN book_tags AS bt ON bt.book_id = b.id \
                     LEFT OUTER JOIN tags AS t ON t.id = bt.tag_id",
                    &[],
                    |row| {
                        let id: i64 = row.get(0);
                        let a = match authors.last() {
                            Some(last) if last.id == id => authors.len() - 1,
                            _ => *author_at.entry(id).or_insert_with(|| {
                                authors.push(author(row, 0));
                                authors.len() - 1
                            }),
                        };
                        let Some(book_id) = row.get::<_, Option<i64>>(3) else {
                            return;
                        };
                        let (a, b) = match last_book {
                            Some((last, a, b)) if last == book_id => (a, b),
                            _ => *book_at.entry(book_id).or_insert_with(|| {
                                let books = &mut authors[a].books;
                                books.push(book(row, 3));
                                (a, books.len() - 1)
                            }),
                        };
                        last_book = Some((book_id, a, b));
                        if row.get::<_, Option<i64>>(7).is_some() {
                            let tag = shared_tag(&mut tags, row, 7);
                            authors[a].books[b].tags.push(tag);
                        }
                    },
                ).await?;
                Ok(authors)
            }
            Shape::In | Shape::Any => {
                let mut authors = self.authors(None).await?;
                self.books_batched(shape, &mut authors).await?;
                let mut book_at: HashMap<i64, (usize, usize)> = HashMap::new();
                for (a, author) in authors.iter().enumerate() {
                    for (b, book) in author.books.iter().enumerate() {
                        book_at.insert(book.id, (a, b));
                    }
                }
                let mut keys: Vec<i64> = book_at.keys().copied().collect();
                keys.sort_unstable();
                self.each_batch(shape, TAGS_OF_BOOKS, &keys, |row| {
                    let tag = shared_tag(&mut tags, row, 0);
                    let (a, b) = book_at[&row.get::<_, i64>(2)];
                    authors[a].books[b].tags.push(tag);
                })
                .await?;
                Ok(authors)
            }
        }
    }
}
