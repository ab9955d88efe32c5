//! Storage without leaks: loading both directions of a link builds
//! reference cycles, and the session's collector breaks them. Measured with
//! a counting allocator over request-like iterations: after warm-up the
//! live heap stays flat, in one session with `expunge_all()` and in a new
//! session each time, whichever is dropped first, the session or the
//! handles.
//!
//! One test function runs every scenario in turn: the allocator counts the
//! whole process, so nothing else may run beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use eagerly::prelude::*;
use eagerly::Value;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Both directions lazy: loaded explicitly.
mod explicit {
    use eagerly::prelude::*;

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "author_id")]
        pub books: Many<Book>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        #[relationship(foreign_key = "author_id")]
        pub author: One<Author>,
    }
}

/// Both directions eager: the reverse side is filled from the identity map.
mod reverse_fill {
    use eagerly::prelude::*;

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "author_id", lazy = "selectin")]
        pub books: Many<Book>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        #[relationship(foreign_key = "author_id", lazy = "selectin")]
        pub author: One<Author>,
    }
}

/// `bulk` on both sides.
mod bulk {
    use eagerly::prelude::*;

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "author_id", lazy = "bulk")]
        pub books: Many<Book>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        #[relationship(foreign_key = "author_id", lazy = "bulk")]
        pub author: One<Author>,
    }
}

const AUTHORS: i64 = 10;
const BOOKS_EACH: i64 = 4;

fn seed(s: &mut Session) {
    s.execute(
        "CREATE TABLE IF NOT EXISTS authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    s.execute(
        "CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         author_id INTEGER NOT NULL REFERENCES authors (id))",
        &[],
    )
    .unwrap();
    s.execute("DELETE FROM books", &[]).unwrap();
    s.execute("DELETE FROM authors", &[]).unwrap();
    s.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO authors SELECT i, 'author ' || i FROM n",
        &[Value::Integer(AUTHORS)],
    )
    .unwrap();
    s.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO books SELECT i, 'book ' || i, (i - 1) % ? + 1 FROM n",
        &[
            Value::Integer(AUTHORS * BOOKS_EACH),
            Value::Integer(AUTHORS),
        ],
    )
    .unwrap();
}

fn quiet(mut s: Session) -> Session {
    s.set_statement_log_capacity(0);
    s.set_n_plus_one_guard(NPlusOneGuard::Off);
    s
}

/// A request: load both directions and touch the graph; returns what it
/// loaded so the caller decides when the handles go.
fn request_explicit(s: &mut Session) -> Vec<Handle<explicit::Author>> {
    use explicit::{Author, Book};
    let authors = s
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    for author in &authors {
        for book in author.books.get().unwrap().iter() {
            let back = s.load(Book::AUTHOR, book).unwrap().unwrap();
            assert!(Handle::ptr_eq(&back, author));
        }
    }
    authors
}

fn request_reverse_fill(s: &mut Session) -> Vec<Handle<reverse_fill::Author>> {
    let authors = s.query::<reverse_fill::Author>().all().unwrap();
    let books = authors[0].books.get().unwrap();
    assert!(Handle::ptr_eq(
        &books[0].author.get().unwrap().unwrap(),
        &authors[0]
    ));
    authors
}

fn request_bulk(s: &mut Session) -> Vec<Handle<bulk::Book>> {
    use bulk::{Author, Book};
    let books = s.query::<Book>().all().unwrap();
    for book in &books {
        let author = s.load(Book::AUTHOR, book).unwrap().unwrap();
        s.load(Author::BOOKS, &author).unwrap();
    }
    books
}

/// Bytes the live heap grew by per iteration between iteration `warm_up`
/// and the last, over `iterations` runs of `step`.
fn growth_per_iteration(iterations: usize, mut step: impl FnMut()) -> f64 {
    let warm_up = iterations / 10;
    let mut baseline = 0;
    for i in 0..iterations {
        if i == warm_up {
            baseline = live();
        }
        step();
    }
    (live() - baseline) as f64 / (iterations - warm_up) as f64
}

fn iterations() -> usize {
    std::env::var("EAGERLY_LEAK_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

#[test]
fn loading_both_directions_leaves_the_heap_flat() {
    let n = iterations();
    let file =
        TempFile(std::env::temp_dir().join(format!("eagerly-leaks-{}.sqlite", std::process::id())));
    seed(&mut Session::open(&file.0).unwrap());
    let mut report = Vec::new();

    // One session, expunge_all() between requests.
    let mut s = quiet(Session::open(&file.0).unwrap());
    let explicit = growth_per_iteration(n, || {
        drop(request_explicit(&mut s));
        s.expunge_all();
    });
    let reverse = growth_per_iteration(n, || {
        drop(request_reverse_fill(&mut s));
        s.expunge_all();
    });
    let bulk = growth_per_iteration(n, || {
        drop(request_bulk(&mut s));
        s.expunge_all();
    });
    drop(s);
    report.push(("one session, expunge_all, explicit", explicit));
    report.push(("one session, expunge_all, reverse fill", reverse));
    report.push(("one session, expunge_all, bulk both sides", bulk));

    // A new session per request; handles dropped first, then the session.
    let path = file.0.clone();
    let handles_first = growth_per_iteration(n, || {
        let mut s = quiet(Session::open(&path).unwrap());
        let authors = request_explicit(&mut s);
        let books = request_bulk(&mut s);
        drop((authors, books));
        drop(s);
    });
    report.push(("new session each, handles dropped first", handles_first));

    // The session goes first: its graph is freed when the handles go.
    let session_first = growth_per_iteration(n, || {
        let mut s = quiet(Session::open(&path).unwrap());
        let authors = request_reverse_fill(&mut s);
        let books = request_bulk(&mut s);
        drop(s);
        // Still readable without the session.
        assert_eq!(authors[0].books.get().unwrap().len(), BOOKS_EACH as usize);
        drop((authors, books));
    });
    report.push(("new session each, session dropped first", session_first));

    // Dropping a session and every handle frees everything it loaded.
    let cycle = || {
        let mut s = quiet(Session::open(&path).unwrap());
        let authors = request_explicit(&mut s);
        let books = request_bulk(&mut s);
        drop(s);
        drop((authors, books));
    };
    cycle();
    let before = live();
    cycle();
    assert_eq!(
        live() - before,
        0,
        "bytes left after a session and its handles"
    );

    for (scenario, bytes) in &report {
        println!("{scenario}: {bytes:.3} bytes per iteration over {n} iterations");
    }
    for (scenario, bytes) in report {
        assert!(
            bytes < 1.0,
            "{scenario}: the live heap grew by {bytes:.1} bytes per iteration"
        );
    }
}
