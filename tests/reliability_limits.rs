//! Limits: `selectin` and `bulk` over 100 000 parents (chunked at the
//! default 500 keys, never "too many SQL variables"), composite keys too; a
//! self-referential chain 10 000 deep loaded level by level by a `selectin`
//! mapping default (10 000 statements, no recursion) and dropped without
//! overflowing the stack; a 1 000 000-row result (`#[ignore]`d, run it with
//! `cargo test --release --test reliability_limits -- --ignored --nocapture`),
//! which prints its time and the peak heap measured by the counting
//! allocator below and the process's VmHWM.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use eagerly::prelude::*;

// ----- a counting allocator: current and peak heap of this test binary --------

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let grow = new_size - layout.size();
                let now = CURRENT.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The process's peak resident set (VmHWM), in kB.
fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

// ----- the model: default chunk size (500) ----------------------------------------

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "id")]
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

#[derive(Entity, Debug)]
#[orm(table = "regions")]
pub struct Region {
    #[orm(primary_key)]
    pub code: String,
    #[orm(primary_key)]
    pub number: i64,
    #[relationship(foreign_key = "region_code, region_number", order_by = "id")]
    pub sites: Many<Site>,
}

#[derive(Entity, Debug)]
#[orm(table = "sites")]
pub struct Site {
    #[orm(primary_key)]
    pub id: i64,
    pub region_code: String,
    pub region_number: i64,
    #[relationship(foreign_key = "region_code, region_number")]
    pub region: One<Region>,
}

/// A chain whose `children` load eagerly by default.
#[derive(Entity, Debug)]
#[orm(table = "chain")]
pub struct Link {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    #[relationship(foreign_key = "parent_id", lazy = "selectin")]
    pub children: Many<Link>,
}

/// `n` authors with one book each (book i by author i), written by SQLite
/// itself in one statement per table.
fn authors_and_books(n: i64) -> Session {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Author::META, Book::META, Region::META, Site::META])
        .unwrap();
    s.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) \
         INSERT INTO authors (id, name) SELECT x, 'author ' || x FROM c",
        &[eagerly::Value::Integer(n)],
    )
    .unwrap();
    s.execute(
        "INSERT INTO books (id, title, author_id) SELECT id, 'book ' || id, id FROM authors",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

/// The IN statements sent, and the most parameters one statement bound.
fn in_statements(s: &Session) -> (usize, usize) {
    let ins: Vec<_> = s
        .statements()
        .iter()
        .filter(|st| st.sql.contains(" IN ("))
        .collect();
    (ins.len(), ins.iter().map(|st| st.params).max().unwrap_or(0))
}

const PARENTS: i64 = 100_000;

#[test]
fn selectin_over_100_000_parents() {
    let mut s = authors_and_books(PARENTS);
    let started = Instant::now();
    let authors = s
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(authors.len(), PARENTS as usize);
    // 1 + ceil(100 000 / 500)
    assert_eq!(s.statement_count(), 1 + 200);
    assert_eq!(in_statements(&s), (200, 500));
    for a in authors.iter().step_by(997) {
        let books = a.books.get().unwrap();
        assert_eq!(books.len(), 1);
        assert_eq!(books[0].author_id, a.id);
    }
    eprintln!("selectin over {PARENTS} parents: {elapsed:?}");
}

#[test]
fn bulk_over_100_000_parents() {
    let mut s = authors_and_books(PARENTS);
    let books = s.query::<Book>().options(bulk(Book::AUTHOR)).all().unwrap();
    assert_eq!(books.len(), PARENTS as usize);
    s.reset_statements();
    let started = Instant::now();
    let first = s.load(Book::AUTHOR, &books[0]).unwrap().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(first.id, books[0].author_id);
    // ceil(100 000 unloaded / 500), keys de-duplicated and sorted.
    assert_eq!(s.statement_count(), 200);
    assert_eq!(in_statements(&s), (200, 500));
    s.reset_statements();
    for b in &books {
        assert_eq!(s.load(Book::AUTHOR, b).unwrap().unwrap().id, b.author_id);
    }
    assert_eq!(
        s.statement_count(),
        0,
        "every book's author was loaded at once"
    );
    eprintln!("bulk over {PARENTS} parents: {elapsed:?}");

    // And bulk on the collection side: Author.books for 100 000 authors.
    drop(books);
    s.expunge_all();
    let authors = s
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .all()
        .unwrap();
    s.reset_statements();
    assert_eq!(s.load(Author::BOOKS, &authors[7]).unwrap().len(), 1);
    assert_eq!(s.statement_count(), 200);
}

#[test]
fn composite_keys_over_60_000_parents() {
    // Two values per key: 1 000 parameters per statement.
    let mut s = authors_and_books(1);
    s.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000) \
         INSERT INTO regions (code, number) SELECT 'r' || (x % 7), x FROM c",
        &[],
    )
    .unwrap();
    s.execute(
        "INSERT INTO sites (id, region_code, region_number) SELECT number, code, number FROM regions",
        &[],
    )
    .unwrap();
    s.reset_statements();
    let regions = s
        .query::<Region>()
        .options(selectin(Region::SITES))
        .all()
        .unwrap();
    assert_eq!(regions.len(), 60_000);
    assert_eq!(s.statement_count(), 1 + 120);
    assert_eq!(in_statements(&s), (120, 1000));
    assert!(regions.iter().all(|r| r.sites.get().unwrap().len() == 1));
    drop(regions);
    s.expunge_all();
    let sites = s.query::<Site>().options(bulk(Site::REGION)).all().unwrap();
    s.reset_statements();
    s.load(Site::REGION, &sites[0]).unwrap().unwrap();
    assert_eq!(s.statement_count(), 120);
}

#[test]
fn a_user_in_list_beyond_the_parameter_limit_is_one_parameter() {
    // The loaders chunk their IN lists; a filter's long list binds as one
    // array parameter (`IN rarray(?)`), so a list longer than SQLite's
    // limit of 32 766 parameters is one statement with one parameter (it
    // used to be refused by SQLite as "too many SQL variables").
    let mut s = authors_and_books(10);
    let found = s
        .query::<Author>()
        .filter(Author::ID.in_(0..40_000i64))
        .all()
        .unwrap();
    assert_eq!(found.len(), 10);
    assert_eq!(s.statement_count(), 1);
    assert_eq!(s.statements()[0].params, 1);
    let n = s
        .query::<Author>()
        .filter(Author::ID.in_(0..30_000i64))
        .count()
        .unwrap();
    assert_eq!(n, 10);
}

// ----- a 10 000-deep chain --------------------------------------------------------

const DEPTH: i64 = 10_000;

fn chain() -> Session {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Link::META]).unwrap();
    s.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) \
         INSERT INTO chain (id, parent_id) SELECT x, NULLIF(x - 1, 0) FROM c",
        &[eagerly::Value::Integer(DEPTH)],
    )
    .unwrap();
    s.reset_statements();
    s
}

/// `Link` maps only the one-to-many side (`children`), so its foreign key
/// had no index and each level's `parent_id IN (?)` scanned the table: the
/// 10 000-deep chain took 7 s in a debug build (quadratic). `create_all`
/// now indexes the foreign key of a one-to-many on its target's table when
/// it creates both (orm-core/src/session/mod.rs, `EntityMeta::target_index_sql`):
/// 0.4 s.
#[test]
fn a_one_to_many_only_mapping_gets_its_foreign_key_indexed() {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Link::META]).unwrap();
    let ddl: Vec<&str> = s.statements().iter().map(|st| st.sql.as_str()).collect();
    assert!(
        ddl.contains(
            &r#"CREATE INDEX IF NOT EXISTS "ix_chain_parent_id" ON "chain" ("parent_id")"#
        ),
        "{ddl:#?}"
    );
    // Idempotent, and a one-to-many whose target is not created in the
    // same call adds nothing that could fail.
    s.create_all(&[Link::META]).unwrap();
    let mut t = Session::in_memory().unwrap();
    t.create_all(&[Author::META]).unwrap();
    assert!(t.statements().iter().all(|st| !st.sql.contains("books")));
}

/// Walks the chain without recursion; returns its length.
fn chain_length(root: &Handle<Link>) -> i64 {
    let mut length = 1;
    let mut at = Handle::clone(root);
    loop {
        let next = match &*at.children.get().unwrap() {
            [] => return length,
            [only] => Handle::clone(only),
            more => panic!("{} children at {}", more.len(), at.id),
        };
        assert_eq!(next.parent_id, Some(at.id));
        at = next;
        length += 1;
    }
}

#[test]
fn chain_10_000_deep_loads_level_by_level() {
    let mut s = chain();
    let root = s
        .query::<Link>()
        .filter(Link::PARENT_ID.is_null())
        .one()
        .unwrap();
    // The root statement, then one IN statement per level (the last one
    // finds that the deepest link has no children).
    assert_eq!(s.statement_count(), 1 + DEPTH as u64);
    assert_eq!(chain_length(&root), DEPTH);
    assert_eq!(s.identity_map_len(), DEPTH as usize);
    // Dropping it is done apart, in a child process: see below.
    std::mem::forget(root);
}

/// Dropping the root of a 10 000-deep chain of `Arc`s (and of a hand-built
/// one 1 000 000 deep) would drop each link from inside its parent's drop;
/// the relation fields bound that recursion (orm-core/src/relation/field.rs,
/// `drop_flat`; it overflowed a 2 MiB stack before). Run in a child process so
/// that a stack overflow (which aborts the process) is a test failure, not
/// a crash of the suite. The child runs on a thread with the default 2 MiB
/// test stack.
#[test]
fn dropping_a_10_000_deep_chain_does_not_overflow_the_stack() {
    if std::env::var_os("EAGERLY_DEEP_DROP_CHILD").is_some() {
        let root = {
            let mut s = chain();
            s.query::<Link>()
                .filter(Link::PARENT_ID.is_null())
                .one()
                .unwrap()
        };
        let dropper = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || drop(root))
            .unwrap();
        dropper.join().unwrap();
        // A chain built by hand, 1 000 000 links deep, the same way.
        let mut tail = Handle::new(Link {
            id: 1_000_000,
            parent_id: Some(999_999),
            children: Many::loaded(Vec::new()),
        });
        for id in (1..1_000_000).rev() {
            tail = Handle::new(Link {
                id,
                parent_id: (id > 1).then(|| id - 1),
                children: Many::loaded(vec![tail]),
            });
        }
        let dropper = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || drop(tail))
            .unwrap();
        dropper.join().unwrap();
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "dropping_a_10_000_deep_chain_does_not_overflow_the_stack",
            "--test-threads=1",
        ])
        .env("EAGERLY_DEEP_DROP_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "dropping the chain failed ({}): {}",
        output.status,
        stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
    );
}

// ----- cycles ------------------------------------------------------------------------

/// Loading both directions of a relation (`Book.author` then
/// `Author.books`, or eager defaults on both sides, whose reverse side is
/// filled from the identity map) makes a cycle of `Arc`s: book -> author ->
/// books -> book. When the caller drops every handle the objects are not
/// freed, and since the identity map holds weak references that stay alive,
/// they stay "live" in it: a long session that loads graphs both ways grows
/// without bound (DESIGN: "objects the caller dropped leave it"), and
/// `expunge_all` forgets them but does not free them. The relation fields
/// hold strong `Arc`s both ways (orm-core/src/relation/field.rs); a fix needs
/// weak back-references or a cycle breaker on drop/expunge.
#[test]
#[ignore = "bug: relations loaded both ways form Arc cycles that are never freed (relation/field.rs holds strong Arcs both ways)"]
fn graphs_loaded_both_ways_are_freed_when_dropped() {
    let mut s = authors_and_books(1_000);
    let base = CURRENT.load(Ordering::Relaxed);
    {
        let books = s
            .query::<Book>()
            .options(selectin(Book::AUTHOR).then(selectin(Author::BOOKS)))
            .all()
            .unwrap();
        assert_eq!(books.len(), 1_000);
        assert_eq!(s.identity_map_len(), 2_000);
    }
    let leaked = CURRENT.load(Ordering::Relaxed).saturating_sub(base);
    assert_eq!(
        s.identity_map_len(),
        0,
        "objects dropped by the caller are still alive ({:.1} MB held)",
        mb(leaked)
    );
}

// ----- 1 000 000 rows (ignored: run in release) --------------------------------------

/// Run: `cargo test --release --test reliability_limits -- --ignored
/// --nocapture one_million`. Measured (release, 2 cores): the query of
/// 1 000 000 books took 0.61 s and holds 136 MB of heap (peak 152 MB,
/// process VmHWM 245 MB with the in-memory database); bulk-loading their
/// 1 000 000 authors took 2 000 statements and 1.7 s, +141 MB held, peak
/// +265 MB, VmHWM 531 MB.
#[test]
#[ignore = "slow and large: a 1 000 000-row result; run in release, see the file's doc"]
fn one_million_rows() {
    let mut s = authors_and_books(1_000_000);
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let started = Instant::now();
    let books = s.query::<Book>().options(bulk(Book::AUTHOR)).all().unwrap();
    let query = started.elapsed();
    assert_eq!(books.len(), 1_000_000);
    let held = CURRENT.load(Ordering::Relaxed) - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    eprintln!(
        "1 000 000 books: {query:?}, heap held {:.1} MB, peak {:.1} MB, VmHWM {:?} kB",
        mb(held),
        mb(peak),
        vm_hwm_kb()
    );
    PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
    let before = CURRENT.load(Ordering::Relaxed);
    s.reset_statements();
    let started = Instant::now();
    let mut n = 0;
    for b in &books {
        n += usize::from(s.load(Book::AUTHOR, b).unwrap().is_some());
    }
    assert_eq!(n, 1_000_000);
    eprintln!(
        "bulk Book.author for 1 000 000 books ({} statements): {:?}, heap +{:.1} MB, peak +{:.1} MB, VmHWM {:?} kB",
        s.statement_count(),
        started.elapsed(),
        mb(CURRENT.load(Ordering::Relaxed) - before),
        mb(PEAK.load(Ordering::Relaxed) - before),
        vm_hwm_kb()
    );
}
