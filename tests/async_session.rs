//! The async session (feature `async`): the sync session on a connection
//! thread, awaited. Every strategy returns the graph and sends the
//! statements the sync session does; `bulk` keeps its promise in a plain
//! sequential await loop; futures are `Send`; a dropped call leaves the
//! session consistent; transactions commit and roll back as in sync code.
//! Runs on SQLite, and on PostgreSQL with `EAGERLY_ENGINE=postgres`.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use eagerly::prelude::*;
use eagerly::{AsyncSession, LoadState, Value};
use support::engine::in_lists;
use support::graph::{graph_of, Graph};
use support::library::{library, library_in, Author, Book, Tag};
use support::wrap::{wrapped, Hooks};

/// A seeded library (support::library) of `authors` authors behind an
/// async session, opened on its connection thread.
async fn async_library(authors: i64) -> AsyncSession {
    AsyncSession::start(move || Ok(library(authors)))
        .await
        .expect("async session")
}

/// Runs a test body on a multi-threaded tokio runtime, as a service would.
fn block_on<F: Future>(body: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("runtime")
        .block_on(body)
}

/// The SQL the session logged since its last reset, oldest first.
async fn logged(session: &mut AsyncSession) -> Vec<String> {
    let statements = session.statements().await.expect("statements");
    statements.into_iter().map(|s| s.sql).collect()
}

/// How each strategy is asked for: by query option, or (`select`,
/// `dynamic`) by loading each author's books after the query.
#[derive(Debug, Clone, Copy)]
enum Way {
    Select,
    Joined,
    Selectin,
    Bulk,
    Dynamic,
}

const WAYS: [Way; 5] = [
    Way::Select,
    Way::Joined,
    Way::Selectin,
    Way::Bulk,
    Way::Dynamic,
];

fn query_for(way: Way) -> Query<Author> {
    let query = Query::<Author>::new().order_by(Author::ID);
    match way {
        Way::Joined => query.options(joined(Author::BOOKS)),
        Way::Selectin => query.options(selectin(Author::BOOKS)),
        Way::Bulk => query.options(bulk(Author::BOOKS)),
        Way::Select | Way::Dynamic => query,
    }
}

/// Each author's books by `way` through the sync session: the graph (book
/// keys per author) and the SQL sent.
fn sync_books(way: Way, authors: i64) -> (Graph<Author, Book>, Vec<String>) {
    let mut session = library(authors);
    let parents = query_for(way).all(&mut session).expect("authors");
    let graph = match way {
        Way::Dynamic => parents
            .iter()
            .map(|a| {
                let books = session
                    .dynamic(Author::BOOK_QUERY, a)
                    .order_by(Book::ID)
                    .all();
                (a.id, books.expect("books").iter().map(|b| b.id).collect())
            })
            .collect(),
        _ => {
            for author in &parents {
                session.load(Author::BOOKS, author).expect("books");
            }
            graph_of(Author::BOOKS, &parents)
        }
    };
    let sql = session.statements().iter().map(|s| s.sql.clone()).collect();
    (graph, sql)
}

/// The same through the async session, every call awaited.
async fn async_books(way: Way, authors: i64) -> (Graph<Author, Book>, Vec<String>) {
    let mut session = async_library(authors).await;
    let parents = session
        .query_from(query_for(way))
        .all()
        .await
        .expect("authors");
    let graph = match way {
        Way::Dynamic => {
            let mut graph = Vec::new();
            for a in &parents {
                let books = session
                    .dynamic(Author::BOOK_QUERY, a)
                    .order_by(Book::ID)
                    .all()
                    .await;
                graph.push((a.id, books.expect("books").iter().map(|b| b.id).collect()));
            }
            graph
        }
        _ => {
            for author in &parents {
                session.load(Author::BOOKS, author).await.expect("books");
            }
            graph_of(Author::BOOKS, &parents)
        }
    };
    (graph, logged(&mut session).await)
}

#[test]
fn every_strategy_returns_the_sync_graph_with_the_sync_statements() {
    let authors = 30;
    for way in WAYS {
        // The sync session outside the runtime, as sync code runs.
        let (sync_graph, sync_sql) = sync_books(way, authors);
        block_on(async {
            let (async_graph, async_sql) = async_books(way, authors).await;
            assert_eq!(async_graph, sync_graph, "{way:?}: graph");
            assert_eq!(async_sql, sync_sql, "{way:?}: statements");
            // The contract's counts: the authors' query, then per strategy.
            let expected = 1 + match way {
                Way::Select | Way::Dynamic => authors as u64,
                Way::Joined => 0,
                Way::Selectin | Way::Bulk => in_lists(authors as usize),
            };
            assert_eq!(async_sql.len() as u64, expected, "{way:?}: {async_sql:#?}");
            assert_eq!(async_graph.len(), authors as usize);
            assert!(
                async_graph.iter().any(|(_, books)| books.len() > 1),
                "{way:?}"
            );
        })
    }
}

#[test]
fn bulk_loads_every_peer_on_the_first_await_of_a_sequential_loop() {
    block_on(async {
        let mut session = async_library(40).await;
        let books = session
            .query::<Book>()
            .order_by(Book::ID)
            .options(bulk(Book::AUTHOR))
            .all()
            .await
            .expect("books");
        assert!(books.len() > 40, "{} books", books.len());
        let mut sent = Vec::new();
        for book in &books {
            session.reset_statements().await.expect("reset");
            let author = session.load(Book::AUTHOR, book).await.expect("author");
            assert_eq!(author.expect("every book has an author").id, book.author_id);
            sent.push(session.statement_count().await.expect("count"));
        }
        // The first await loads the authors of every book: one statement for
        // the 30 distinct keys (one `IN` list, or one array on PostgreSQL).
        assert_eq!(sent[0], 1, "{sent:?}");
        assert!(sent[1..].iter().all(|&n| n == 0), "{sent:?}");
        for book in &books {
            assert_eq!(Book::AUTHOR.field(book).state(), LoadState::Loaded);
        }
    })
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[test]
fn futures_are_send_and_sessions_serve_spawned_tasks() {
    let expected = sync_books(Way::Selectin, 12).0;
    block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                tokio::spawn(assert_send(async {
                    let mut session = async_library(12).await;
                    let authors = session
                        .query::<Author>()
                        .order_by(Author::ID)
                        .options(selectin(Author::BOOKS))
                        .all()
                        .await
                        .expect("authors");
                    // Book 1 and its author are in the identity map: no SQL.
                    let book = assert_send(session.get::<Book>(1)).await.expect("get");
                    let book = book.expect("book 1");
                    let author = assert_send(session.load(Book::AUTHOR, &book));
                    let author = author.await.expect("author").expect("present");
                    assert!(Handle::ptr_eq(&author, &authors[0]), "one identity map");
                    (
                        graph_of(Author::BOOKS, &authors),
                        session.statement_count().await.unwrap(),
                    )
                }))
            })
            .collect();
        for task in tasks {
            let (graph, statements) = task.await.expect("task");
            assert_eq!(graph, expected);
            // The authors, then their books by key list.
            assert_eq!(statements, 1 + in_lists(12));
        }
    })
}

/// A backend that, once armed, stops in the `nth` query it receives until
/// released, saying when it got there: a call caught in mid-load.
#[derive(Default)]
struct Gate {
    /// Queries to let through before stopping; 0 when disarmed.
    countdown: AtomicUsize,
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Gate {
    /// Stops the `nth` query from now; answers (entered, release).
    fn arm(&self, nth: usize) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        *self.entered.lock().unwrap() = Some(entered_tx);
        *self.release.lock().unwrap() = Some(release_rx);
        self.countdown.store(nth, Ordering::SeqCst);
        (entered, release)
    }

    fn pass(&self) {
        let left = self.countdown.load(Ordering::SeqCst);
        if left == 0 {
            return;
        }
        self.countdown.store(left - 1, Ordering::SeqCst);
        if left == 1 {
            if let Some(entered) = self.entered.lock().unwrap().take() {
                let _ = entered.send(());
            }
            if let Some(release) = self.release.lock().unwrap().take() {
                let _ = release.recv();
            }
        }
    }
}

/// The gate's hook: each query passes the gate first.
struct Gated(Arc<Gate>);

impl Hooks for Gated {
    fn before_query(&mut self, _: &str, _: &[Value]) {
        self.0.pass();
    }
}

async fn gated_library(authors: i64) -> (AsyncSession, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let held = Arc::clone(&gate);
    // Connected on the session's thread: a blocking driver may not start
    // inside the runtime.
    let session = AsyncSession::start(move || {
        let backend = wrapped(support::engine::backend(), Gated(held));
        Ok(library_in(Session::with_backend(backend), authors))
    })
    .await
    .expect("async session");
    (session, gate)
}

/// Awaits `future` until `gate` reports that its statement is in flight,
/// then drops it: the task that awaited it is cancelled in mid-load.
async fn cancel_in_flight<F: Future>(future: F, entered: &mpsc::Receiver<()>) {
    let mut future = std::pin::pin!(future);
    while entered.try_recv().is_err() {
        let polled = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await;
        assert!(polled.is_pending(), "the gated call finished");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_load_cancelled_mid_way_completes_on_the_thread_and_leaves_the_session_usable() {
    let expected = sync_books(Way::Selectin, 12).0;
    block_on(async {
        let (mut session, gate) = gated_library(12).await;
        // Handles held by the caller: the identity map holds objects only
        // as long as someone does.
        let authors = session
            .query::<Author>()
            .order_by(Author::ID)
            .all()
            .await
            .expect("authors");
        session.reset_statements().await.expect("reset");
        // The authors' query passes; the books' key-list query stops.
        let (entered, release) = gate.arm(2);
        let load = session
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS))
            .all();
        cancel_in_flight(load, &entered).await;
        assert!(Author::BOOKS.field(&authors[0]).state() != LoadState::Loaded);
        release.send(()).expect("release");

        // The next call waits for the cancelled job, which ran to its end:
        // the held authors have their books, and the session goes on.
        assert_eq!(session.query::<Author>().count().await.expect("count"), 12);
        assert_eq!(graph_of(Author::BOOKS, &authors), expected);
        let sql = logged(&mut session).await;
        assert_eq!(sql.len() as u64, 1 + in_lists(12) + 1, "{sql:#?}");
        assert!(sql[1].contains("books"), "{sql:#?}");
        assert!(sql.last().unwrap().contains("COUNT"), "{sql:#?}");
    })
}

#[test]
fn a_call_cancelled_before_its_turn_sends_nothing() {
    block_on(async {
        let (mut session, gate) = gated_library(5).await;
        // A query the thread takes up and holds: the calls after it queue.
        let (entered, release) = gate.arm(1);
        cancel_in_flight(session.query::<Author>().all(), &entered).await;
        // Queued behind it, then dropped before the thread reaches it.
        let queued = session.query::<Book>().filter(Book::ID.eq(1)).count();
        let queued = tokio::time::timeout(Duration::from_millis(20), queued);
        assert!(
            queued.await.is_err(),
            "the queued call waited behind the held one"
        );
        release.send(()).expect("release");

        let books: i64 = (1..=5).map(|a| a % 4).sum();
        assert_eq!(
            session.query::<Book>().count().await.expect("count"),
            books as u64
        );
        // The held query and the count; the cancelled count never ran.
        let sql = logged(&mut session).await;
        assert_eq!(sql.len(), 2, "{sql:#?}");
        assert!(sql.iter().all(|s| !s.contains("WHERE")), "{sql:#?}");
    })
}

#[test]
fn transactions_commit_and_roll_back_as_in_the_sync_session() {
    block_on(async {
        let mut session = async_library(3).await;
        let before = session.query::<Book>().count().await.expect("count");
        let inserted = session
            .transaction(|s| {
                let author = s.insert(Author {
                    id: 100,
                    name: "Ann".into(),
                    books: Many::new(),
                    bio: One::new(),
                    book_query: Dynamic::new(),
                })?;
                s.append(Author::BOOKS, &author, new_book(1000, "First"))?;
                Ok(author)
            })
            .await
            .expect("committed");
        assert_eq!(inserted.id, 100);
        assert_eq!(
            session.query::<Book>().count().await.expect("count"),
            before + 1
        );

        let failed: eagerly::Result<()> = session
            .transaction(|s| {
                s.insert(new_book(1001, "Lost"))?;
                Err(eagerly::Error::Misuse("changed my mind".into()))
            })
            .await;
        assert!(
            matches!(failed, Err(eagerly::Error::Misuse(_))),
            "{failed:?}"
        );
        assert_eq!(
            session.query::<Book>().count().await.expect("count"),
            before + 1
        );
        assert!(session.get::<Book>(1001).await.expect("get").is_none());

        // Writes outside a transaction, through the async methods.
        let book = session.get::<Book>(1000).await.expect("get").expect("book");
        let renamed = session
            .update_columns(&book, Changes::new().set(Book::TITLE, "Second"))
            .await
            .expect("update");
        assert_eq!(renamed.title, "Second");
        session.delete(&renamed).await.expect("delete");
        assert_eq!(
            session.query::<Book>().count().await.expect("count"),
            before
        );
    })
}

fn new_book(id: i64, title: &str) -> Book {
    Book {
        id,
        title: title.into(),
        author_id: 100,
        editor_id: None,
        author: One::new(),
        editor: One::new(),
        tags: Many::new(),
    }
}

#[test]
fn errors_come_back_and_the_session_goes_on() {
    block_on(async {
        let mut session = async_library(3).await;
        let none = session
            .query::<Author>()
            .filter(Author::ID.eq(99))
            .one()
            .await;
        assert!(
            matches!(none, Err(eagerly::Error::NotFound { .. })),
            "{none:?}"
        );
        let duplicate = session
            .execute("INSERT INTO authors (id, name) VALUES (1, 'again')", &[])
            .await;
        match duplicate {
            Err(eagerly::Error::Database(error)) => {
                assert_eq!(
                    error.kind(),
                    eagerly::DatabaseErrorKind::UniqueViolation,
                    "{error:?}"
                )
            }
            other => panic!("expected a unique violation, got {other:?}"),
        }

        // Another session's object is refused before anything is sent.
        let mut other = async_library(3).await;
        let foreign = other.get::<Author>(1).await.expect("get").expect("author");
        session.reset_statements().await.expect("reset");
        let refused = session.load(Author::BOOKS, &foreign).await;
        assert!(
            matches!(refused, Err(eagerly::Error::ForeignObject { .. })),
            "{refused:?}"
        );
        assert_eq!(session.statement_count().await.expect("count"), 0);

        let counted = session.query::<Author>().count().await.expect("count");
        assert_eq!(counted, 3);
    })
}

#[test]
fn a_panic_in_work_unwinds_in_the_calling_task() {
    block_on(async {
        let mut session = async_library(1).await;
        let task = tokio::spawn(async move {
            session
                .run(|_| -> u64 { panic!("boom in the connection thread") })
                .await
        });
        let joined = task.await.expect_err("the task panicked");
        assert!(joined.is_panic());
        let message = joined.into_panic();
        let text = message.downcast_ref::<&str>().copied().unwrap_or_default();
        assert_eq!(text, "boom in the connection thread");
    })
}

#[test]
fn opening_fails_with_the_sync_sessions_error() {
    block_on(async {
        let error = AsyncSession::start(|| Err(eagerly::Error::Misuse("no database".into())))
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, eagerly::Error::Misuse(m) if m == "no database"),
            "{error:?}"
        );
    })
}

#[test]
fn into_session_hands_back_the_identity_map_and_the_log() {
    let (session, author) = block_on(async {
        let mut session = async_library(3).await;
        let author = session
            .get::<Author>(2)
            .await
            .expect("get")
            .expect("author");
        (session.into_session().await.expect("back"), author)
    });
    let mut session = session;
    // The same handle, without SQL: the identity map came back with it.
    let cached = session.cached::<Author>(&2).expect("cached");
    assert!(Handle::ptr_eq(&cached, &author));
    assert_eq!(session.statement_count(), 1);
    // The objects are still this session's own.
    session.load(Author::BOOKS, &author).expect("books");
    assert_eq!(session.statement_count(), 2);
}

#[test]
fn a_loaded_relation_is_answered_without_waiting_for_the_thread() {
    block_on(async {
        let (mut session, gate) = gated_library(6).await;
        let authors = session
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS))
            .all()
            .await
            .expect("authors");
        // The thread is held in a query: anything queued now waits.
        let (entered, release) = gate.arm(1);
        cancel_in_flight(session.query::<Book>().all(), &entered).await;
        let loaded = session.load(Author::BOOKS, &authors[2]);
        let books = tokio::time::timeout(Duration::from_secs(5), loaded)
            .await
            .expect("answered while the thread is busy")
            .expect("books");
        assert_eq!(books.len(), 3);
        release.send(()).expect("release");
        // Authors and their books, then the held query: nothing for the load.
        assert_eq!(logged(&mut session).await.len() as u64, 1 + in_lists(6) + 1);
    })
}

#[test]
fn sibling_loads_are_pipelined_through_the_async_session_on_postgresql() {
    block_on(async {
        let mut session = async_library(30).await;
        let authors = session
            .query::<Author>()
            .options(selectin(Author::BOOKS))
            .options(selectin(Author::BIO))
            .all()
            .await
            .expect("authors");
        assert_eq!(authors.len(), 30);
        // The authors, then their books and biographies: one round trip for
        // both on PostgreSQL.
        let statements = session.statement_count().await.expect("count");
        assert_eq!(statements, 1 + 2 * in_lists(30));
        let round_trips = session.round_trip_count().await.expect("round trips");
        assert_eq!(round_trips, support::engine::either(statements, 2));
    })
}

#[test]
fn writes_through_relations_are_awaited_as_the_sync_ones_run() {
    block_on(async {
        let mut session = async_library(3).await;
        let tag = session.get::<Tag>(0).await.expect("get").expect("tag 0");
        let book = session.get::<Book>(1).await.expect("get").expect("book 1");
        let members = |books: &[Handle<Book>]| books.iter().map(|b| b.id).collect::<Vec<_>>();
        let before = members(&session.load(Tag::BOOKS, &tag).await.expect("books"));
        assert!(!before.contains(&1), "{before:?}");

        session.link(Tag::BOOKS, &tag, &book).await.expect("link");
        let linked = members(&session.load(Tag::BOOKS, &tag).await.expect("books"));
        assert!(linked.contains(&1), "{linked:?}");
        session
            .unlink(Tag::BOOKS, &tag, &book)
            .await
            .expect("unlink");
        assert_eq!(
            members(&session.load(Tag::BOOKS, &tag).await.expect("books")),
            before
        );
        session
            .replace(Tag::BOOKS, &tag, vec![Handle::clone(&book)])
            .await
            .expect("replace");
        assert_eq!(
            members(&session.load(Tag::BOOKS, &tag).await.expect("books")),
            [1]
        );

        let author = session
            .get::<Author>(1)
            .await
            .expect("get")
            .expect("author 1");
        let mut added = new_book(500, "Appended");
        added.author_id = 0;
        let added = session
            .append(Author::BOOKS, &author, added)
            .await
            .expect("append");
        assert_eq!(added.author_id, 1);
        let upserted = session
            .upsert(Author {
                id: 1,
                name: "Upserted".into(),
                books: Many::new(),
                bio: One::new(),
                book_query: Dynamic::new(),
            })
            .await
            .expect("upsert");
        assert_eq!(upserted.name, "Upserted");
        let total = session
            .transaction_with(eagerly::TransactionOptions::new(), |s| {
                s.query::<Book>().filter(Book::AUTHOR_ID.eq(1)).count()
            })
            .await
            .expect("transaction");
        assert_eq!(total, 2, "author 1's book and the appended one");
    })
}
