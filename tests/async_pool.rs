//! Pools of async sessions (feature `deadpool`): sessions checked out by
//! many tasks at once, each a fresh unit of work on a pooled connection
//! thread. On SQLite (a file the pooled connections share) and, with
//! `EAGERLY_ENGINE=postgres`, on the server (a schema of the test's own).

mod support;

use std::sync::Arc;
use std::time::Duration;

use eagerly::prelude::*;
use eagerly::{AsyncPool, AsyncSessionManager};
use support::library::{library_in, Author, Book};

/// A database every pooled connection sees, seeded with `authors`
/// authors, and the opener of its sessions; removed on drop.
struct Shared {
    name: String,
    #[cfg(feature = "postgres")]
    postgres: bool,
}

impl Shared {
    fn new(test: &str, authors: i64) -> Shared {
        let name = format!("eagerly_pool_{test}_{}", std::process::id());
        let shared = Shared {
            name,
            #[cfg(feature = "postgres")]
            postgres: support::engine::is_postgres(),
        };
        #[cfg(feature = "postgres")]
        if shared.postgres {
            let mut admin = Session::connect(&url()).expect("connect");
            admin
                .execute(
                    &format!("DROP SCHEMA IF EXISTS {} CASCADE", shared.name),
                    &[],
                )
                .expect("drop");
            admin
                .execute(&format!("CREATE SCHEMA {}", shared.name), &[])
                .expect("schema");
        }
        if !support::engine::is_postgres() {
            let _ = std::fs::remove_file(shared.path());
        }
        library_in(shared.opener()().expect("open"), authors);
        shared
    }

    fn path(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("{}.db", self.name))
    }

    /// Opens a session on the shared database (for the pool's manager).
    fn opener(&self) -> impl Fn() -> eagerly::Result<Session> + Send + Sync + 'static {
        let path = self.path();
        #[cfg(feature = "postgres")]
        let schema = self.postgres.then(|| self.name.clone());
        move || {
            #[cfg(feature = "postgres")]
            if let Some(schema) = &schema {
                let mut session = Session::connect(&url())?;
                session.execute(&format!("SET search_path TO {schema}"), &[])?;
                session.reset_statements();
                return Ok(session);
            }
            // Writers take the lock when they begin, and wait for it
            // (the README's advice for SQLite writers).
            let mut session = Session::open(&path)?;
            session.set_begin_immediate(true);
            Ok(session)
        }
    }

    fn pool(&self, size: usize) -> AsyncPool {
        AsyncPool::builder(AsyncSessionManager::new(self.opener()))
            .max_size(size)
            .build()
            .expect("pool")
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        #[cfg(feature = "postgres")]
        if self.postgres {
            if let Ok(mut admin) = Session::connect(&url()) {
                let _ = admin.execute(&format!("DROP SCHEMA {} CASCADE", self.name), &[]);
            }
            return;
        }
        let _ = std::fs::remove_file(self.path());
    }
}

#[cfg(feature = "postgres")]
fn url() -> String {
    std::env::var("EAGERLY_PG_URL").unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

fn block_on<F: std::future::Future>(body: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
        .block_on(body)
}

#[test]
fn many_tasks_share_two_pooled_sessions_each_checkout_a_fresh_unit_of_work() {
    let shared = Shared::new("tasks", 20);
    let pool = Arc::new(shared.pool(2));
    let reports = block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move {
                    let mut session = pool.get().await.expect("checkout");
                    let books = session
                        .query::<Book>()
                        .filter(Book::AUTHOR_ID.gt(n))
                        .options(bulk(Book::AUTHOR))
                        .all()
                        .await
                        .expect("books");
                    for book in &books {
                        let author = session.load(Book::AUTHOR, book).await.expect("author");
                        assert_eq!(author.expect("author").id, book.author_id);
                    }
                    let map = session.run(|s| s.identity_map_len()).await.expect("map");
                    (
                        books.len(),
                        session.statement_count().await.expect("count"),
                        map,
                    )
                })
            })
            .collect();
        let mut reports = Vec::new();
        for task in tasks {
            reports.push(task.await.expect("task"));
        }
        reports
    });
    let status = pool.status();
    assert!(status.size <= 2, "{status:?}");
    for (n, (books, statements, map)) in reports.into_iter().enumerate() {
        assert!(books > 0, "request {n}");
        // Its own statements only: the books, then every author at once.
        assert_eq!(statements, 2, "request {n}");
        // Its own objects only: its books and their distinct authors.
        let authors = (n as i64 + 1..=20).filter(|a| a % 4 != 0).count();
        assert_eq!(map, books + authors, "request {n}");
    }
}

#[test]
fn a_returned_session_is_rolled_back_and_forgets_its_objects() {
    let shared = Shared::new("recycle", 4);
    let pool = shared.pool(1);
    block_on(async {
        let mut first = pool.get().await.expect("checkout");
        let author = first
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        let before = first.query::<Book>().count().await.expect("count");
        // A transaction left open: begun, written, never committed.
        first
            .run(|s| {
                s.begin()?;
                s.execute("DELETE FROM book_tags", &[])?;
                s.execute("DELETE FROM books", &[])
            })
            .await
            .expect("uncommitted")
            .expect("uncommitted");
        // A setting, which stays with the pooled session.
        first
            .run(|s| s.set_statement_log_capacity(0))
            .await
            .expect("setting");
        drop(first);

        // The one pooled session again, a new unit of work.
        let mut second = pool.get().await.expect("checkout");
        assert_eq!(second.statement_count().await.expect("count"), 0);
        assert!(!second.run(|s| s.in_transaction()).await.expect("state"));
        assert_eq!(second.run(|s| s.identity_map_len()).await.expect("map"), 0);
        assert_eq!(second.query::<Book>().count().await.expect("count"), before);
        // Counted, not kept: the first checkout's log capacity of 0.
        assert_eq!(second.statement_count().await.expect("count"), 1);
        assert!(second.statements().await.expect("log").is_empty());
        // The first checkout's objects are another session's now.
        let refused = second.load(Author::BOOKS, &author).await;
        assert!(
            matches!(refused, Err(eagerly::Error::ForeignObject { .. })),
            "{refused:?}"
        );
    });
    assert_eq!(pool.status().size, 1);
}

#[derive(Entity, Debug)]
#[orm(table = "async_counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub value: i64,
}

#[test]
fn pooled_tasks_retry_conflicting_increments_and_lose_none() {
    let shared = Shared::new("retry", 1);
    let mut setup = shared.opener()().expect("open");
    setup.create_all(&[Counter::META]).expect("table");
    setup.insert(Counter { id: 1, value: 0 }).expect("counter");
    drop(setup);
    let pool = Arc::new(shared.pool(4));
    let retries = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (tasks, increments) = (8, 10);
    block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (pool, retries) = (Arc::clone(&pool), Arc::clone(&retries));
                tokio::spawn(async move {
                    let mut session = pool.get().await.expect("checkout");
                    for _ in 0..increments {
                        let counted = Arc::clone(&retries);
                        let policy = eagerly::RetryPolicy::new()
                            .max_attempts(50)
                            .backoff(Duration::from_millis(1), Duration::from_millis(20))
                            .on_retry(move |_| {
                                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            });
                        session
                            .transaction_with_retry(eagerly::Isolation::Serializable, policy, |s| {
                                // A read-modify-write: the conflict a
                                // serializable transaction refuses.
                                let counter = s.get::<Counter>(1)?.expect("counter");
                                let value = counter.value + 1;
                                s.update_columns(
                                    &counter,
                                    Changes::new().set(Counter::VALUE, value),
                                )?;
                                Ok(())
                            })
                            .await
                            .expect("an increment within 50 attempts");
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
        let mut session = pool.get().await.expect("checkout");
        let counter = session
            .get::<Counter>(1)
            .await
            .expect("get")
            .expect("counter");
        assert_eq!(counter.value, tasks * increments, "no increment lost");
    });
    println!(
        "{} increments from {tasks} tasks on 4 pooled sessions: {} retried conflicts",
        tasks * increments,
        retries.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[test]
fn expiry_refresh_and_expire_on_commit_work_as_in_the_sync_session() {
    let shared = Shared::new("expiry", 2);
    let pool = shared.pool(2);
    block_on(async {
        let mut session = pool.get().await.expect("checkout");
        let mut other = pool.get().await.expect("checkout");
        let author = session
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        assert_eq!(author.name, "author1");
        other
            .execute("UPDATE authors SET name = 'renamed' WHERE id = 1", &[])
            .await
            .expect("rename");
        // Held as it was read until asked: the identity map answers.
        let cached = session
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        assert_eq!(cached.name, "author1");
        let refreshed = session.refresh(&author).await.expect("refresh");
        assert_eq!(refreshed.name, "renamed");

        other
            .execute("UPDATE authors SET name = 'again' WHERE id = 1", &[])
            .await
            .expect("rename");
        session.expire(&refreshed).await.expect("expire");
        let reread = session
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        assert_eq!(reread.name, "again");

        // A commit expires what the session holds (expire_on_commit).
        other
            .execute("UPDATE authors SET name = 'after commit' WHERE id = 1", &[])
            .await
            .expect("rename");
        session.transaction(|_| Ok(())).await.expect("commit");
        let after = session
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        assert_eq!(after.name, "after commit");
    });
}
