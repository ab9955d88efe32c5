//! The deterministic dataset: authors, books, tags and book_tags.
//!
//! `authors` authors with 10 books each; the books are inserted in a shuffled
//! order of their authors (so one author's books are scattered over the
//! table, as in a real database), and each book has 3 distinct tags out of 50.
//! Everything comes from a fixed-seed SplitMix64, so every run, on every
//! machine, builds the same bytes.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

/// Books per author.
pub const BOOKS_PER_AUTHOR: i64 = 10;
/// Distinct tags.
pub const TAGS: i64 = 50;
/// Distinct tags per book.
pub const TAGS_PER_BOOK: usize = 3;

const SEED: u64 = 0x5EED_B00C_0000_0001;

/// SplitMix64: tiny, fast, and good enough to shuffle a benchmark dataset.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const WORDS: [&str; 32] = [
    "amber", "birch", "cobalt", "dune", "ember", "fjord", "granite", "harbor", "indigo", "juniper",
    "kestrel", "lantern", "meadow", "nectar", "obsidian", "pepper", "quartz", "raven", "saffron",
    "thistle", "umber", "velvet", "willow", "xenon", "yarrow", "zephyr", "alder", "bramble",
    "cedar", "delta", "ermine", "falcon",
];

fn word(rng: &mut SplitMix64) -> &'static str {
    WORDS[rng.below(WORDS.len() as u64) as usize]
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A database file of the dataset that deletes itself when dropped.
pub struct Dataset {
    pub path: PathBuf,
    pub authors: i64,
}

impl Dataset {
    /// Builds the dataset with `authors` authors in a fresh file under the
    /// system's temporary directory.
    pub fn build(authors: i64) -> Dataset {
        let path = std::env::temp_dir().join(format!(
            "eagerly-bench-{authors}-{}.sqlite",
            std::process::id()
        ));
        create(&path, authors).expect("build the benchmark database");
        Dataset { path, authors }
    }

    pub fn books(&self) -> i64 {
        self.authors * BOOKS_PER_AUTHOR
    }
}

impl Drop for Dataset {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The rows of the dataset, in insertion order: every engine loads these.
pub struct Rows {
    /// (id, name)
    pub tags: Vec<(i64, String)>,
    /// (id, name, bio)
    pub authors: Vec<(i64, String, String)>,
    /// (id, author_id, title, pages), in id order
    pub books: Vec<(i64, i64, String, i64)>,
    /// (book_id, tag_id): `TAGS_PER_BOOK` per book, in the books' order
    pub book_tags: Vec<(i64, i64)>,
}

/// Generates the dataset with `authors` authors (the same rows on every
/// call, on every machine).
pub fn rows(authors: i64) -> Rows {
    let mut rng = SplitMix64::new(SEED);
    let tags = (1..=TAGS)
        .map(|id| (id, format!("{}-{id}", word(&mut rng))))
        .collect();
    let authors_rows = (1..=authors)
        .map(|id| {
            // Names sort differently from ids, so "first 100 by name" is a
            // real ORDER BY; the id suffix keeps them unique.
            let name = format!(
                "{} {} {id}",
                capitalized(word(&mut rng)),
                capitalized(word(&mut rng))
            );
            let words = 8 + rng.below(9) as usize;
            let bio = (0..words)
                .map(|_| word(&mut rng))
                .collect::<Vec<_>>()
                .join(" ");
            (id, name, bio)
        })
        .collect();
    // Every author 10 times, shuffled (Fisher-Yates): book ids follow the
    // shuffled order.
    let mut slots: Vec<i64> = (1..=authors)
        .flat_map(|a| std::iter::repeat_n(a, BOOKS_PER_AUTHOR as usize))
        .collect();
    for i in (1..slots.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        slots.swap(i, j);
    }
    let mut books = Vec::with_capacity(slots.len());
    let mut book_tags = Vec::with_capacity(slots.len() * TAGS_PER_BOOK);
    for (i, &author) in slots.iter().enumerate() {
        let id = i as i64 + 1;
        let title = format!(
            "The {} {} #{id}",
            capitalized(word(&mut rng)),
            capitalized(word(&mut rng))
        );
        let pages = 40 + rng.below(960) as i64;
        books.push((id, author, title, pages));
        let mut tags = [0i64; TAGS_PER_BOOK];
        let mut chosen = 0;
        while chosen < TAGS_PER_BOOK {
            let tag = 1 + rng.below(TAGS as u64) as i64;
            if !tags[..chosen].contains(&tag) {
                tags[chosen] = tag;
                chosen += 1;
            }
        }
        book_tags.extend(tags.map(|tag| (id, tag)));
    }
    Rows {
        tags,
        authors: authors_rows,
        books,
        book_tags,
    }
}

/// Writes the dataset to a new database file at `path` (replacing it).
pub fn create(path: &Path, authors: i64) -> rusqlite::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         CREATE TABLE authors (
             id INTEGER PRIMARY KEY, name TEXT NOT NULL, bio TEXT NOT NULL);
         CREATE TABLE books (
             id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, title TEXT NOT NULL,
             pages INTEGER NOT NULL, FOREIGN KEY (author_id) REFERENCES authors (id));
         CREATE INDEX ix_books_author_id ON books (author_id);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE book_tags (
             book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL,
             PRIMARY KEY (book_id, tag_id),
             FOREIGN KEY (book_id) REFERENCES books (id),
             FOREIGN KEY (tag_id) REFERENCES tags (id));
         CREATE INDEX ix_book_tags_tag_id ON book_tags (tag_id);",
    )?;
    let rows = rows(authors);
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO tags (id, name) VALUES (?, ?)")?;
        for (id, name) in &rows.tags {
            insert.execute(params![id, name])?;
        }
        let mut insert = tx.prepare("INSERT INTO authors (id, name, bio) VALUES (?, ?, ?)")?;
        for (id, name, bio) in &rows.authors {
            insert.execute(params![id, name, bio])?;
        }
        // Each book, then its tags (the file's page layout of earlier
        // harnesses).
        let mut insert_book =
            tx.prepare("INSERT INTO books (id, author_id, title, pages) VALUES (?, ?, ?, ?)")?;
        let mut insert_tag = tx.prepare("INSERT INTO book_tags (book_id, tag_id) VALUES (?, ?)")?;
        for (book, tags) in rows.books.iter().zip(rows.book_tags.chunks(TAGS_PER_BOOK)) {
            let (id, author, title, pages) = book;
            insert_book.execute(params![id, author, title, pages])?;
            for (book_id, tag) in tags {
                insert_tag.execute(params![book_id, tag])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE;")?;
    Ok(())
}

// ----- checksums -------------------------------------------------------------
//
// Every implementation folds its loaded graph into one u64 with these
// functions; the harness asserts that all of them agree. Collections are
// summed (order-independent: IN and JOIN return children in different
// orders); W3 folds its authors in order, so the ORDER BY is checked too.

/// FNV-1a over the bytes of `s`.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Mixes `v` into `h`.
pub fn mix(h: u64, v: u64) -> u64 {
    (h ^ v.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .rotate_left(27)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

pub fn author_hash(id: i64, name: &str, bio: &str) -> u64 {
    mix(mix(mix(1, id as u64), hash_str(name)), hash_str(bio))
}

pub fn book_hash(id: i64, author_id: i64, title: &str, pages: i64) -> u64 {
    mix(
        mix(mix(mix(2, id as u64), author_id as u64), hash_str(title)),
        pages as u64,
    )
}

pub fn tag_hash(id: i64, name: &str) -> u64 {
    mix(mix(3, id as u64), hash_str(name))
}

/// A parent's hash with the (order-independent) sum of its children's.
pub fn with_children(parent: u64, children_sum: u64, children: usize) -> u64 {
    mix(mix(parent, children_sum), children as u64)
}

// ----- PostgreSQL ------------------------------------------------------------

/// The schema the PostgreSQL dataset lives in, dropped and recreated by
/// every build (and dropped again when the [`PgDataset`] is).
#[cfg(feature = "postgres")]
pub const PG_SCHEMA: &str = "eagerly_bench";

/// The server the PostgreSQL harness uses unless told otherwise.
#[cfg(feature = "postgres")]
pub const PG_DEFAULT_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// `url` with `search_path` set to `schema` at connection start-up (the
/// `options` connection parameter), so neither side sends a `SET` and both
/// read unqualified table names from the schema.
#[cfg(feature = "postgres")]
pub fn pg_url_in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// The dataset in a PostgreSQL schema of its own: tables and indexes made
/// by eagerly's `create_all` (the same DDL an application of this mapping
/// gets), rows bulk-loaded with `COPY`, then `VACUUM (ANALYZE)`. The schema
/// is dropped with the value.
#[cfg(feature = "postgres")]
pub struct PgDataset {
    /// The URL every run connects with (search_path in the schema).
    pub url: String,
    admin_url: String,
    pub authors: i64,
}

#[cfg(feature = "postgres")]
impl PgDataset {
    pub fn build(server_url: &str, authors: i64) -> PgDataset {
        use eagerly::backend::postgres::postgres::{Client, NoTls};
        use std::io::Write;

        use super::orm::{Author, Book, Tag};

        let mut admin =
            Client::connect(server_url, NoTls).expect("connect to the PostgreSQL server");
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA}"
            ))
            .expect("recreate the benchmark schema");
        let url = pg_url_in_schema(server_url, PG_SCHEMA);
        let mut session = eagerly::Session::connect(&url).expect("connect a session");
        session
            .create_all(&[Author::META, Book::META, Tag::META])
            .expect("create the benchmark tables");
        drop(session);

        /// COPY's text format: backslash, tab, newline and carriage
        /// return escaped.
        fn field(out: &mut Vec<u8>, text: &str) {
            for b in text.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        fn copy(
            tx: &mut eagerly::backend::postgres::postgres::Transaction<'_>,
            statement: &str,
            data: &[u8],
        ) {
            let mut writer = tx.copy_in(statement).expect("start COPY");
            writer.write_all(data).expect("send COPY data");
            writer.finish().expect("finish COPY");
        }

        let rows = rows(authors);
        let mut client = Client::connect(&url, NoTls).expect("connect to the benchmark schema");
        let mut tx = client.transaction().expect("begin");
        let mut data = Vec::new();
        for (id, name) in &rows.tags {
            data.extend_from_slice(format!("{id}\t").as_bytes());
            field(&mut data, name);
            data.push(b'\n');
        }
        copy(&mut tx, "COPY tags (id, name) FROM STDIN", &data);
        data.clear();
        for (id, name, bio) in &rows.authors {
            data.extend_from_slice(format!("{id}\t").as_bytes());
            field(&mut data, name);
            data.push(b'\t');
            field(&mut data, bio);
            data.push(b'\n');
        }
        copy(&mut tx, "COPY authors (id, name, bio) FROM STDIN", &data);
        data.clear();
        for (id, author, title, pages) in &rows.books {
            data.extend_from_slice(format!("{id}\t{author}\t").as_bytes());
            field(&mut data, title);
            data.extend_from_slice(format!("\t{pages}\n").as_bytes());
        }
        copy(
            &mut tx,
            "COPY books (id, author_id, title, pages) FROM STDIN",
            &data,
        );
        data.clear();
        for (book, tag) in &rows.book_tags {
            data.extend_from_slice(format!("{book}\t{tag}\n").as_bytes());
        }
        copy(
            &mut tx,
            "COPY book_tags (book_id, tag_id) FROM STDIN",
            &data,
        );
        tx.commit().expect("commit the dataset");
        // Statistics for the planner, and the visibility map and hint bits
        // set now rather than by the first measured reads.
        client
            .batch_execute("VACUUM (ANALYZE) tags, authors, books, book_tags")
            .expect("VACUUM (ANALYZE)");
        PgDataset {
            url,
            admin_url: server_url.to_owned(),
            authors,
        }
    }

    pub fn books(&self) -> i64 {
        self.authors * BOOKS_PER_AUTHOR
    }
}

#[cfg(feature = "postgres")]
impl Drop for PgDataset {
    fn drop(&mut self) {
        use eagerly::backend::postgres::postgres::{Client, NoTls};
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"));
        }
    }
}
