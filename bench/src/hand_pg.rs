//! The reference on PostgreSQL: hand-written code on the same `postgres`
//! crate eagerly's backend uses, building the same plain structs as the
//! rusqlite reference (`hand.rs`): statements prepared once per connection
//! and kept, rows streamed (`query_raw`) and decoded by column index,
//! shared targets behind `Arc` de-duplicated through a `HashMap`. Four
//! shapes: N+1, one JOIN, IN lists of 500 keys, and one `= ANY($1)` array
//! parameter per level (what eagerly's selectin and bulk send here).

use std::collections::HashMap;
use std::sync::Arc;

use eagerly::backend::postgres::postgres::fallible_iterator::FallibleIterator;
use eagerly::backend::postgres::postgres::types::ToSql;
use eagerly::backend::postgres::postgres::{Client, NoTls, Row, Statement};

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

/// A connection, the statements it prepared and the number it sent.
pub struct Conn {
    pub client: Client,
    prepared: HashMap<String, Statement>,
    pub statements: u64,
}

impl Conn {
    /// Connects to `url` (the dataset's schema in its search_path).
    pub fn connect(url: &str) -> R<Conn> {
        Ok(Conn {
            client: Client::connect(url, NoTls)?,
            prepared: HashMap::new(),
            statements: 0,
        })
    }

    /// The prepared statement of `sql`, prepared on first use.
    fn st(&mut self, sql: &str) -> R<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// Sends `sql` with `params` and hands each row to `on_row`, streamed.
    fn each(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        mut on_row: impl FnMut(&Row),
    ) -> R<()> {
        let st = self.st(sql)?;
        self.statements += 1;
        let mut rows = self.client.query_raw(&st, params.iter().copied())?;
        while let Some(row) = rows.next()? {
            on_row(&row);
        }
        Ok(())
    }

    /// One level's statement over `keys` in `shape`: `head` completed by
    /// an IN list of the batch or `= ANY($1)`.
    fn each_batch(
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
                    self.each(&in_list(head, batch.len()), &params, &mut on_row)?;
                }
                _ => self.each(&any(head), &[&batch], &mut on_row)?,
            }
        }
        Ok(())
    }

    // ----- parents -------------------------------------------------------

    fn authors(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
        let mut authors = Vec::new();
        match limit {
            None => self.each(AUTHORS, &[], |row| authors.push(author(row, 0)))?,
            Some(limit) => {
                self.each(AUTHORS_PAGE, &[&limit], |row| authors.push(author(row, 0)))?
            }
        }
        Ok(authors)
    }

    // ----- authors with books (W1, W3, first level of W4) -----------------

    fn books_n_plus_1(&mut self, authors: &mut [Author]) -> R<()> {
        for a in authors.iter_mut() {
            let id = a.id;
            self.each(BOOKS_OF_AUTHOR, &[&id], |row| a.books.push(book(row, 0)))?;
        }
        Ok(())
    }

    fn books_batched(&mut self, shape: Shape, authors: &mut [Author]) -> R<()> {
        let index: HashMap<i64, usize> =
            authors.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let mut keys: Vec<i64> = authors.iter().map(|a| a.id).collect();
        keys.sort_unstable();
        self.each_batch(shape, BOOKS_OF_AUTHORS, &keys, |row| {
            let b = book(row, 0);
            authors[index[&b.author_id]].books.push(b);
        })
    }

    /// Authors with books in one LEFT JOIN (W1), or the LIMIT page of
    /// authors joined to their books (W3).
    fn authors_join_books(&mut self, limit: Option<i64>) -> R<Vec<Author>> {
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
            None => self.each(
                "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                 FROM authors AS a LEFT OUTER JOIN books AS b ON b.author_id = a.id",
                &[],
                &mut on_row,
            )?,
            Some(limit) => self.each(
                "SELECT a.id, a.name, a.bio, b.id, b.author_id, b.title, b.pages \
                 FROM (SELECT * FROM authors ORDER BY name LIMIT $1) AS a \
                 LEFT OUTER JOIN books AS b ON b.author_id = a.id ORDER BY a.name",
                &[&limit],
                &mut on_row,
            )?,
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
            Shape::In | Shape::Any => {
                let mut authors = self.authors(limit)?;
                self.books_batched(shape, &mut authors)?;
                Ok(authors)
            }
        }
    }

    // ----- books with their author (W2) -----------------------------------

    fn books(&mut self) -> R<Vec<BookWithAuthor>> {
        let mut books = Vec::new();
        self.each(BOOKS, &[], |row| {
            books.push(BookWithAuthor {
                id: row.get(0),
                author_id: row.get(1),
                title: row.get(2),
                pages: row.get(3),
                author: None,
            })
        })?;
        Ok(books)
    }

    pub fn books_with_author(&mut self, shape: Shape) -> R<Vec<BookWithAuthor>> {
        match shape {
            Shape::NPlus1 => {
                let mut books = self.books()?;
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
                            })?;
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
                )?;
                Ok(books)
            }
            Shape::In | Shape::Any => {
                let mut books = self.books()?;
                let mut keys: Vec<i64> = books.iter().map(|b| b.author_id).collect();
                keys.sort_unstable();
                keys.dedup();
                let mut found: HashMap<i64, Arc<AuthorRow>> = HashMap::with_capacity(keys.len());
                self.each_batch(shape, AUTHORS_BY_ID, &keys, |row| {
                    let a = author_row(row, 0);
                    found.insert(a.id, Arc::new(a));
                })?;
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
                for b in authors.iter_mut().flat_map(|a| a.books.iter_mut()) {
                    let id = b.id;
                    self.each(TAGS_OF_BOOK, &[&id], |row| {
                        b.tags.push(shared_tag(&mut tags, row, 0))
                    })?;
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
                )?;
                Ok(authors)
            }
            Shape::In | Shape::Any => {
                let mut authors = self.authors(None)?;
                self.books_batched(shape, &mut authors)?;
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
                })?;
                Ok(authors)
            }
        }
    }
}
