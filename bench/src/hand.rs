//! The reference: hand-written rusqlite code doing the same work as eagerly,
//! with prepared (cached) statements, building the same kind of object graph
//! (structs with `Vec` children; shared targets behind `Arc`, de-duplicated
//! through a `HashMap` as any careful hand-written code would) and counting
//! the statements it sends. Three shapes: N+1 (one statement per parent),
//! one JOIN, and IN lists of 500 keys. The PostgreSQL reference
//! (`hand_pg.rs`) builds these same structs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{params_from_iter, Connection, Row};

use super::data::{author_hash, book_hash, tag_hash, with_children};

/// IN-list size, the same as eagerly's default `chunk_size`.
pub const CHUNK: usize = 500;

pub struct Author {
    pub id: i64,
    pub name: String,
    pub bio: String,
    pub books: Vec<Book>,
}

pub struct Book {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub pages: i64,
    pub tags: Vec<Arc<Tag>>,
}

pub struct Tag {
    pub id: i64,
    pub name: String,
}

/// An author as the target of many-to-one (W2): no collection.
pub struct AuthorRow {
    pub id: i64,
    pub name: String,
    pub bio: String,
}

/// A book with its author (W2).
pub struct BookWithAuthor {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub pages: i64,
    pub author: Option<Arc<AuthorRow>>,
}

/// A connection and the number of statements sent on it.
pub struct Conn {
    pub conn: Connection,
    pub statements: u64,
}

type R<T> = rusqlite::Result<T>;

const AUTHORS: &str = "SELECT id, name, bio FROM authors";
const AUTHORS_PAGE: &str = "SELECT id, name, bio FROM authors ORDER BY name LIMIT ?";
const BOOKS: &str = "SELECT id, author_id, title, pages FROM books";
const BOOKS_OF_AUTHOR: &str = "SELECT id, author_id, title, pages FROM books WHERE author_id = ?";
const BOOKS_OF_AUTHORS: &str = "SELECT id, author_id, title, pages FROM books WHERE author_id IN (";
const AUTHOR_BY_ID: &str = "SELECT id, name, bio FROM authors WHERE id = ?";
const AUTHORS_BY_ID: &str = "SELECT id, name, bio FROM authors WHERE id IN (";
const TAGS_OF_BOOK: &str =
    "SELECT t.id, t.name FROM tags AS t JOIN book_tags AS s ON t.id = s.tag_id WHERE s.book_id = ?";
const TAGS_OF_BOOKS: &str = "SELECT t.id, t.name, s.book_id FROM tags AS t JOIN book_tags AS s ON t.id = s.tag_id WHERE s.book_id IN (";

fn author(row: &Row<'_>, at: usize) -> R<Author> {
    Ok(Author {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        bio: row.get(at + 2)?,
        books: Vec::new(),
    })
}

fn book(row: &Row<'_>, at: usize) -> R<Book> {
    Ok(Book {
        id: row.get(at)?,
        author_id: row.get(at + 1)?,
        title: row.get(at + 2)?,
        pages: row.get(at + 3)?,
        tags: Vec::new(),
    })
}

fn author_row(row: &Row<'_>, at: usize) -> R<AuthorRow> {
    Ok(AuthorRow {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        bio: row.get(at + 2)?,
    })
}

/// A tag from the shared map, decoded only the first time its id is seen.
fn shared_tag(tags: &mut HashMap<i64, Arc<Tag>>, row: &Row<'_>, at: usize) -> R<Arc<Tag>> {
    let id: i64 = row.get(at)?;
    if let Some(tag) = tags.get(&id) {
        return Ok(Arc::clone(tag));
    }
    let tag = Arc::new(Tag {
        id,
        name: row.get(at + 1)?,
    });
    tags.insert(id, Arc::clone(&tag));
    Ok(tag)
}

/// `head` + `?, ?, ...` (`n` of them) + `)`.
fn in_list(head: &str, n: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 3 * n + 1);
    sql.push_str(head);
    for i in 0..n {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
    }
    sql.push(')');
    sql
}

impl Conn {
    /// Opens the database with the settings eagerly's SQLite backend uses
    /// (statement cache, QPSG, foreign keys, schema read once), so only the
    /// loading code differs.
    pub fn open(path: &Path) -> R<Conn> {
        let conn = Connection::open(path)?;
        conn.set_prepared_statement_cache_capacity(256);
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(Conn {
            conn,
            statements: 0,
        })
    }

    // ----- parents -------------------------------------------------------

    fn authors(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
        self.statements += 1;
        let mut authors = Vec::new();
        match limit {
            None => {
                let mut st = self.conn.prepare_cached(AUTHORS)?;
                let mut rows = st.query([])?;
                while let Some(row) = rows.next()? {
                    authors.push(author(row, 0)?);
                }
            }
            Some(limit) => {
                let mut st = self.conn.prepare_cached(AUTHORS_PAGE)?;
                let mut rows = st.query([limit])?;
                while let Some(row) = rows.next()? {
                    authors.push(author(row, 0)?);
                }
            }
        }
        Ok(authors)
    }

    // ----- authors with books (W1, W3, first level of W4) -----------------

    fn books_n_plus_1(&mut self, authors: &mut [Author]) -> R<()> {
        let mut st = self.conn.prepare_cached(BOOKS_OF_AUTHOR)?;
        for a in authors.iter_mut() {
            self.statements += 1;
            let mut rows = st.query([a.id])?;
            while let Some(row) = rows.next()? {
                a.books.push(book(row, 0)?);
            }
        }
        Ok(())
    }

    fn books_in(&mut self, authors: &mut [Author]) -> R<()> {
        let index: HashMap<i64, usize> =
            authors.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let mut keys: Vec<i64> = authors.iter().map(|a| a.id).collect();
        keys.sort_unstable();
        for chunk in keys.chunks(CHUNK) {
            self.statements += 1;
            let mut st = self
                .conn
                .prepare_cached(&in_list(BOOKS_OF_AUTHORS, chunk.len()))?;
            let mut rows = st.query(params_from_iter(chunk))?;
            while let Some(row) = rows.next()? {
                let b = book(row, 0)?;
                authors[index[&b.author_id]].books.push(b);
            }
        }
        Ok(())
    }

    /// Authors with books in one LEFT JOIN; `from` is the authors' source
    /// (the table, or a LIMIT subquery).
    fn authors_join_books(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
        self.statements += 1;
        let sql = match limit {
            None => {
                "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                     FROM authors AS a LEFT OUTER JOIN books AS b ON b.author_id = a.id"
            }
            Some(_) => {
                "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                        FROM (SELECT * FROM authors ORDER BY name LIMIT ?) AS a \
                        LEFT OUTER JOIN books AS b ON b.author_id = a.id ORDER BY a.name"
            }
        };
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = match limit {
            None => st.query([])?,
            Some(limit) => st.query([limit])?,
        };
        let mut authors: Vec<Author> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            // Rows of one author come together; the map covers any order.
            let at = match authors.last() {
                Some(last) if last.id == id => authors.len() - 1,
                _ => match index.get(&id) {
                    Some(&at) => at,
                    None => {
                        index.insert(id, authors.len());
                        authors.push(author(row, 0)?);
                        authors.len() - 1
                    }
                },
            };
            if row.get_ref(3)?.data_type() != rusqlite::types::Type::Null {
                authors[at].books.push(book(row, 3)?);
            }
        }
        Ok(authors)
    }

    /// W1 (`limit` None) and W3 (`Some(100)`).
    pub fn authors_with_books(&mut self, shape: Shape, limit: Option<i64>) -> R<Vec<Author>> {
        match shape {
            Shape::NPlus1 => {
                let mut authors = self.authors(limit)?;
                self.books_n_plus_1(&mut authors)?;
                Ok(authors)
            }
            Shape::Join => self.authors_join_books(limit),
            Shape::Any => unreachable!("= ANY($1) is the PostgreSQL reference's"),
            Shape::In => {
                let mut authors = self.authors(limit)?;
                self.books_in(&mut authors)?;
                Ok(authors)
            }
        }
    }

    // ----- books with their author (W2) -----------------------------------

    fn books(&mut self) -> R<Vec<BookWithAuthor>> {
        self.statements += 1;
        let mut st = self.conn.prepare_cached(BOOKS)?;
        let mut rows = st.query([])?;
        let mut books = Vec::new();
        while let Some(row) = rows.next()? {
            books.push(BookWithAuthor {
                id: row.get(0)?,
                author_id: row.get(1)?,
                title: row.get(2)?,
                pages: row.get(3)?,
                author: None,
            });
        }
        Ok(books)
    }

    pub fn books_with_author(&mut self, shape: Shape) -> R<Vec<BookWithAuthor>> {
        match shape {
            Shape::NPlus1 => {
                let mut books = self.books()?;
                // One statement per author not seen yet: an author already
                // loaded is reused, as eagerly reuses its identity map.
                let mut seen: HashMap<i64, Arc<AuthorRow>> = HashMap::new();
                let mut st = self.conn.prepare_cached(AUTHOR_BY_ID)?;
                for b in &mut books {
                    let author = match seen.get(&b.author_id) {
                        Some(a) => Arc::clone(a),
                        None => {
                            self.statements += 1;
                            let a = Arc::new(st.query_row([b.author_id], |r| author_row(r, 0))?);
                            seen.insert(b.author_id, Arc::clone(&a));
                            a
                        }
                    };
                    b.author = Some(author);
                }
                Ok(books)
            }
            Shape::Join => {
                self.statements += 1;
                let mut st = self.conn.prepare_cached(
                    "SELECT b.id, b.author_id, b.title, b.pages, a.id, a.name, a.bio \
                     FROM books AS b LEFT OUTER JOIN authors AS a ON a.id = b.author_id",
                )?;
                let mut rows = st.query([])?;
                let mut seen: HashMap<i64, Arc<AuthorRow>> = HashMap::new();
                let mut books = Vec::new();
                while let Some(row) = rows.next()? {
                    let author = match row.get::<_, Option<i64>>(4)? {
                        None => None,
                        Some(id) => Some(match seen.get(&id) {
                            Some(a) => Arc::clone(a),
                            None => {
                                let a = Arc::new(author_row(row, 4)?);
                                seen.insert(id, Arc::clone(&a));
                                a
                            }
                        }),
                    };
                    books.push(BookWithAuthor {
                        id: row.get(0)?,
                        author_id: row.get(1)?,
                        title: row.get(2)?,
                        pages: row.get(3)?,
                        author,
                    });
                }
                Ok(books)
            }
            Shape::Any => unreachable!("= ANY($1) is the PostgreSQL reference's"),
            Shape::In => {
                let mut books = self.books()?;
                let mut keys: Vec<i64> = books.iter().map(|b| b.author_id).collect();
                keys.sort_unstable();
                keys.dedup();
                let mut found: HashMap<i64, Arc<AuthorRow>> = HashMap::with_capacity(keys.len());
                for chunk in keys.chunks(CHUNK) {
                    self.statements += 1;
                    let mut st = self
                        .conn
                        .prepare_cached(&in_list(AUTHORS_BY_ID, chunk.len()))?;
                    let mut rows = st.query(params_from_iter(chunk))?;
                    while let Some(row) = rows.next()? {
                        let a = author_row(row, 0)?;
                        found.insert(a.id, Arc::new(a));
                    }
                }
                for b in &mut books {
                    b.author = found.get(&b.author_id).cloned();
                }
                Ok(books)
            }
        }
    }

    // ----- authors, books, tags (W4) ---------------------------------------

    pub fn authors_books_tags(&mut self, shape: Shape) -> R<Vec<Author>> {
        let mut tags: HashMap<i64, Arc<Tag>> = HashMap::new();
        match shape {
            Shape::NPlus1 => {
                let mut authors = self.authors(None)?;
                self.books_n_plus_1(&mut authors)?;
                let mut st = self.conn.prepare_cached(TAGS_OF_BOOK)?;
                for b in authors.iter_mut().flat_map(|a| a.books.iter_mut()) {
                    self.statements += 1;
                    let mut rows = st.query([b.id])?;
                    while let Some(row) = rows.next()? {
                        b.tags.push(shared_tag(&mut tags, row, 0)?);
                    }
                }
                Ok(authors)
            }
            Shape::Join => {
                self.statements += 1;
                // Chained outer joins: SQLite searches book_tags by its
                // primary key and tags by theirs. The nested form
                // `LEFT JOIN (book_tags JOIN tags) ON ...` materializes the
                // inner join and builds an automatic index on every run.
                let mut st = self.conn.prepare_cached(
                    "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages, t.id, t.name \
                     FROM authors AS a LEFT OUTER JOIN books AS b ON b.author_id = a.id \
                     LEFT OUTER JOIN book_tags AS bt ON bt.book_id = b.id \
                     LEFT OUTER JOIN tags AS t ON t.id = bt.tag_id",
                )?;
                let mut rows = st.query([])?;
                let mut authors: Vec<Author> = Vec::new();
                let mut author_at: HashMap<i64, usize> = HashMap::new();
                let mut book_at: HashMap<i64, (usize, usize)> = HashMap::new();
                let mut last_book: Option<(i64, usize, usize)> = None;
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    let a = match authors.last() {
                        Some(last) if last.id == id => authors.len() - 1,
                        _ => match author_at.get(&id) {
                            Some(&at) => at,
                            None => {
                                author_at.insert(id, authors.len());
                                authors.push(author(row, 0)?);
                                authors.len() - 1
                            }
                        },
                    };
                    let Some(book_id) = row.get::<_, Option<i64>>(3)? else {
                        continue;
                    };
                    let (a, b) = match last_book {
                        Some((last, a, b)) if last == book_id => (a, b),
                        _ => match book_at.get(&book_id) {
                            Some(&at) => at,
                            None => {
                                let books = &mut authors[a].books;
                                books.push(book(row, 3)?);
                                book_at.insert(book_id, (a, books.len() - 1));
                                (a, books.len() - 1)
                            }
                        },
                    };
                    last_book = Some((book_id, a, b));
                    if row.get_ref(7)?.data_type() != rusqlite::types::Type::Null {
                        let tag = shared_tag(&mut tags, row, 7)?;
                        authors[a].books[b].tags.push(tag);
                    }
                }
                Ok(authors)
            }
            Shape::Any => unreachable!("= ANY($1) is the PostgreSQL reference's"),
            Shape::In => {
                let mut authors = self.authors(None)?;
                self.books_in(&mut authors)?;
                let mut book_at: HashMap<i64, (usize, usize)> = HashMap::new();
                for (a, author) in authors.iter().enumerate() {
                    for (b, book) in author.books.iter().enumerate() {
                        book_at.insert(book.id, (a, b));
                    }
                }
                let mut keys: Vec<i64> = book_at.keys().copied().collect();
                keys.sort_unstable();
                for chunk in keys.chunks(CHUNK) {
                    self.statements += 1;
                    let mut st = self
                        .conn
                        .prepare_cached(&in_list(TAGS_OF_BOOKS, chunk.len()))?;
                    let mut rows = st.query(params_from_iter(chunk))?;
                    while let Some(row) = rows.next()? {
                        let tag = shared_tag(&mut tags, row, 0)?;
                        let (a, b) = book_at[&row.get::<_, i64>(2)?];
                        authors[a].books[b].tags.push(tag);
                    }
                }
                Ok(authors)
            }
        }
    }
}

/// The statement shapes of the hand-written code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    NPlus1,
    Join,
    In,
    /// One `= ANY($1)` array parameter per level: PostgreSQL only
    /// (`hand_pg.rs`).
    Any,
}

// ----- checksums ---------------------------------------------------------------

fn books_sum(books: &[Book], with_tags: bool) -> u64 {
    books
        .iter()
        .map(|b| {
            let h = book_hash(b.id, b.author_id, &b.title, b.pages);
            if with_tags {
                let tags = b
                    .tags
                    .iter()
                    .fold(0u64, |s, t| s.wrapping_add(tag_hash(t.id, &t.name)));
                with_children(h, tags, b.tags.len())
            } else {
                h
            }
        })
        .fold(0, u64::wrapping_add)
}

fn author_sum(a: &Author, with_tags: bool) -> u64 {
    with_children(
        author_hash(a.id, &a.name, &a.bio),
        books_sum(&a.books, with_tags),
        a.books.len(),
    )
}

/// W1 and W4: authors summed (order-independent).
pub fn checksum_authors(authors: &[Author], with_tags: bool) -> u64 {
    authors
        .iter()
        .map(|a| author_sum(a, with_tags))
        .fold(0, u64::wrapping_add)
}

/// W3: authors folded in order.
pub fn checksum_ordered(authors: &[Author]) -> u64 {
    authors
        .iter()
        .fold(0, |h, a| super::data::mix(h, author_sum(a, false)))
}

/// W2.
pub fn checksum_books(books: &[BookWithAuthor]) -> u64 {
    books
        .iter()
        .map(|b| {
            let author = b
                .author
                .as_ref()
                .map_or(0, |a| author_hash(a.id, &a.name, &a.bio));
            super::data::mix(book_hash(b.id, b.author_id, &b.title, b.pages), author)
        })
        .fold(0, u64::wrapping_add)
}
