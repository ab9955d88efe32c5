//! The async session (feature `async`): a [`Session`] on a connection thread
//! of its own, driven from async code.
//!
//! Each call queues a job for the thread and awaits its answer, so the
//! session runs exactly the code of the sync one: the same plans, the same
//! driver, the same identity map and statement log, whatever the engine.
//! No strategy, write or transaction rule exists twice. The price is one OS
//! thread per session, idle while no call is queued: a pool of sessions is a
//! pool of threads, the trade sqlx makes for SQLite and deadpool-sqlite's
//! `interact` for rusqlite. The tokio worker that awaits never blocks.
//!
//! Lazy loading is an explicit `.await` ([`AsyncSession::load`]). A field is
//! never loaded on access, so there is no hidden I/O for async code to trip
//! over (SQLAlchemy's `MissingGreenlet` has no counterpart): a loaded
//! relation is read with `get()` without the session, and one not loaded is
//! an error that names it.
//!
//! Cancellation: a call whose future is dropped before the thread takes its
//! job up is skipped and sends nothing; once taken up, the job runs to its
//! end on the thread and its answer is dropped. Either way the session stays
//! as consistent as after any sync call, and usable.

#[cfg(feature = "deadpool")]
mod pool;

#[cfg(feature = "deadpool")]
pub use pool::{AsyncPool, AsyncPoolError, AsyncSessionManager};

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use crate::Handle;
use std::thread;

use tokio::sync::oneshot;

use crate::loader::answer_without_session;
use crate::query::Query;
use crate::relation::{Collection, Dynamic, Loadable, Relation};
use crate::session::{dynamic_query, LoggedStatement, RetryPolicy, TransactionOptions};
use crate::{Changes, Entity, EntityMeta, Error, NPlusOneGuard, Result, Session, Value};

/// Work queued for the connection thread, on the session it holds (taken
/// out, and the thread ended, by [`AsyncSession::into_session`]).
type Job = Box<dyn FnOnce(&mut Option<Session>) + Send>;

/// What a job answers: its value, or the panic it raised, carried back to
/// the caller's task to go on unwinding there.
type Answer<R> = thread::Result<R>;

/// A session for async code: every method is the sync [`Session`]'s,
/// run on the session's connection thread and awaited.
///
/// ```no_run
/// # use eagerly::{AsyncSession, Result};
/// # async fn demo() -> Result<()> {
/// let mut session = AsyncSession::open("library.db").await?;
/// let count = session.run(|s| s.statement_count()).await?;
/// # let _ = count; Ok(()) }
/// ```
///
/// Its futures are `Send`, so a session moves into `tokio::spawn`. Calls
/// take `&mut self`: one session serves one task at a time, as a sync
/// session serves one thread. Dropping it closes the connection on its
/// thread (rolling back an open transaction) without blocking the caller.
pub struct AsyncSession {
    jobs: mpsc::Sender<Job>,
    /// The sync session's number, marked on the objects it loads.
    id: u32,
}

impl std::fmt::Debug for AsyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSession").finish_non_exhaustive()
    }
}

impl AsyncSession {
    /// Starts a connection thread, opens the session there with `open`,
    /// and answers once it is open. Opening on the thread matters for
    /// backends that block (the PostgreSQL backend, which drives its
    /// connection on a runtime of its own, refuses to start inside an
    /// async runtime).
    pub async fn start(
        open: impl FnOnce() -> Result<Session> + Send + 'static,
    ) -> Result<AsyncSession> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (opened, answer) = oneshot::channel::<Answer<Result<u32>>>();
        thread::Builder::new()
            .name("eagerly-session".to_owned())
            .spawn(move || {
                let mut session = match panic::catch_unwind(AssertUnwindSafe(open)) {
                    Ok(Ok(session)) => {
                        let _ = opened.send(Ok(Ok(session.engine.id)));
                        Some(session)
                    }
                    Ok(Err(error)) => {
                        let _ = opened.send(Ok(Err(error)));
                        return;
                    }
                    Err(payload) => {
                        let _ = opened.send(Err(payload));
                        return;
                    }
                };
                // Until every handle is gone or the session is handed back.
                while let Ok(job) = queue.recv() {
                    job(&mut session);
                    if session.is_none() {
                        return;
                    }
                }
            })
            .map_err(|error| {
                Error::Misuse(format!("cannot start the session's thread: {error}"))
            })?;
        let id = unwind_or(answer.await)??;
        Ok(AsyncSession { jobs, id })
    }

    /// A session over `session`, moved to a connection thread of its own.
    pub async fn from_session(session: Session) -> Result<AsyncSession> {
        AsyncSession::start(move || Ok(session)).await
    }

    /// Opens (or creates) a SQLite database file.
    #[cfg(feature = "sqlite")]
    pub async fn open(path: impl AsRef<std::path::Path>) -> Result<AsyncSession> {
        let path = path.as_ref().to_owned();
        AsyncSession::start(move || Session::open(path)).await
    }

    /// Opens a private in-memory SQLite database.
    #[cfg(feature = "sqlite")]
    pub async fn in_memory() -> Result<AsyncSession> {
        AsyncSession::start(Session::in_memory).await
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/database`).
    #[cfg(feature = "postgres")]
    pub async fn connect(url: &str) -> Result<AsyncSession> {
        let url = url.to_owned();
        AsyncSession::start(move || Session::connect(&url)).await
    }

    /// Connects to the PostgreSQL server named by `DATABASE_URL`.
    #[cfg(feature = "postgres")]
    pub async fn from_env() -> Result<AsyncSession> {
        AsyncSession::start(Session::from_env).await
    }

    /// A session on a connection checked out of an r2d2 pool (on the
    /// session's thread, so waiting for a free connection blocks no task).
    #[cfg(feature = "r2d2")]
    pub async fn from_pool<M>(pool: &r2d2::Pool<M>) -> Result<AsyncSession>
    where
        M: r2d2::ManageConnection,
        M::Connection: crate::backend::Backend,
    {
        let pool = pool.clone();
        AsyncSession::start(move || Session::from_pool(&pool)).await
    }

    /// Runs `work` on the session's thread with the sync session and
    /// answers what it returns: anything the sync API offers, in one hop.
    /// A panic in `work` goes on unwinding in the caller's task; the
    /// session stays usable, as a sync session whose caller caught it.
    pub async fn run<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Session) -> R + Send + 'static,
    ) -> Result<R> {
        let (reply, answer) = oneshot::channel::<Answer<R>>();
        let job: Job = Box::new(move |slot| {
            // The caller went away before the job began: nothing to do.
            let Some(session) = slot.as_mut().filter(|_| !reply.is_closed()) else {
                return;
            };
            let _ = reply.send(panic::catch_unwind(AssertUnwindSafe(|| work(session))));
        });
        self.jobs.send(job).map_err(|_| thread_gone())?;
        unwind_or(answer.await)
    }

    /// The sync session back, with its identity map, statement log and
    /// transaction state, once every call queued before has run; its
    /// connection thread ends. The objects it loaded stay its own.
    pub async fn into_session(self) -> Result<Session> {
        let (reply, answer) = oneshot::channel::<Answer<Session>>();
        let job: Job = Box::new(move |slot| {
            if let Some(session) = slot.take() {
                // A caller gone by now drops the session here, as dropping
                // the async session would.
                let _ = reply.send(Ok(session));
            }
        });
        self.jobs.send(job).map_err(|_| thread_gone())?;
        unwind_or(answer.await)
    }

    /// [`run`](AsyncSession::run) for work that answers a [`Result`].
    async fn call<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Session) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.run(work).await?
    }

    /// Starts a query for objects of `E`, run with `.all().await`,
    /// `.first().await`, `.one().await` or `.count().await`.
    pub fn query<E: Entity>(&mut self) -> Query<E, &mut AsyncSession> {
        Query::new().run_by(self)
    }

    /// The query value `query`, to run on this session with `.all().await`
    /// and the rest (the sync session runs a value with `query.all(&mut session)`).
    pub fn query_from<E: Entity>(&mut self, query: Query<E>) -> Query<E, &mut AsyncSession> {
        query.run_by(self)
    }

    /// The object with this primary key: from the identity map without
    /// SQL, else one SELECT (see [`Session::get`]).
    pub async fn get<E: Entity>(&mut self, key: E::Key) -> Result<Option<Handle<E>>>
    where
        E::Key: Send + 'static,
    {
        self.call(move |s| s.get::<E>(key)).await
    }

    /// Loads `relation` of `parent` by its strategy and returns it (see
    /// [`Session::load`]): for `bulk`, one statement loads it for every
    /// similar object of the session, so a loop awaiting this for each
    /// parent sends one. A relation loaded already (and another session's
    /// object, refused) is answered at once, without a hop to the thread.
    pub async fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
    ) -> Result<F::Loaded> {
        if let Some(answer) = answer_without_session(self.id, relation, parent) {
            return answer;
        }
        let parent = Handle::clone(parent);
        self.call(move |s| s.load(relation, &parent)).await
    }

    /// The query behind a `dynamic` relation of `parent`, to narrow down
    /// and run with `.all().await` like any query (see [`Session::dynamic`]).
    pub fn dynamic<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, Dynamic<T>>,
        parent: &P,
    ) -> Query<T, &mut AsyncSession> {
        dynamic_query(self.id, relation, parent).run_by(self)
    }

    /// Inserts `object` with the objects its loaded relations hold (see
    /// [`Session::insert`]).
    pub async fn insert<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        self.call(move |s| s.insert(object)).await
    }

    /// Writes every column of `object` (see [`Session::update`]).
    pub async fn update<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        self.call(move |s| s.update(object)).await
    }

    /// Writes the columns `changes` sets (see [`Session::update_columns`]).
    pub async fn update_columns<E: Entity>(
        &mut self,
        object: &Handle<E>,
        changes: Changes<E>,
    ) -> Result<Handle<E>> {
        let object = Handle::clone(object);
        self.call(move |s| s.update_columns(&object, changes)).await
    }

    /// Inserts `object`, or updates the row with its key (see
    /// [`Session::upsert`]).
    pub async fn upsert<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        self.call(move |s| s.upsert(object)).await
    }

    /// Deletes `object`'s row, with its cascades (see [`Session::delete`]).
    pub async fn delete<E: Entity>(&mut self, object: &Handle<E>) -> Result<()> {
        let object = Handle::clone(object);
        self.call(move |s| s.delete(object.as_ref())).await
    }

    /// Adds a new `child` to the collection `relation` of `parent` (see
    /// [`Session::append`]).
    pub async fn append<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
        child: T,
    ) -> Result<Handle<T>> {
        let parent = Handle::clone(parent);
        self.call(move |s| s.append(relation, &parent, child)).await
    }

    /// Links the existing `child` into `relation` of `parent` (see
    /// [`Session::link`]).
    pub async fn link<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
        child: &Handle<T>,
    ) -> Result<Handle<T>> {
        let (parent, child) = (Handle::clone(parent), Handle::clone(child));
        self.call(move |s| s.link(relation, &parent, &child)).await
    }

    /// Takes `child` out of `relation` of `parent` (see [`Session::unlink`]).
    pub async fn unlink<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
        child: &Handle<T>,
    ) -> Result<Handle<T>> {
        let (parent, child) = (Handle::clone(parent), Handle::clone(child));
        self.call(move |s| s.unlink(relation, &parent, &child))
            .await
    }

    /// Makes `children` the members of `relation` of `parent` (see
    /// [`Session::replace`]).
    pub async fn replace<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &Handle<P>,
        children: Vec<Handle<T>>,
    ) -> Result<()> {
        let parent = Handle::clone(parent);
        self.call(move |s| s.replace(relation, &parent, &children))
            .await
    }

    /// Runs `work` in a transaction on the session's thread: committed when
    /// it returns `Ok`, rolled back on an error or a panic (see
    /// [`Session::transaction`]). `work` is sync code with the sync
    /// session, so the transaction holds the connection for no longer than
    /// it runs, and no other call can slip into it.
    pub async fn transaction<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.call(move |s| s.transaction(work)).await
    }

    /// [`transaction`](AsyncSession::transaction) with options (isolation).
    pub async fn transaction_with<T: Send + 'static>(
        &mut self,
        options: impl Into<TransactionOptions>,
        work: impl FnOnce(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let options = options.into();
        self.call(move |s| s.transaction_with(options, work)).await
    }

    /// Runs `work` in a transaction, again on a serialization failure or a
    /// deadlock, by `policy` (see [`Session::transaction_with_retry`]).
    /// The backoff between attempts sleeps the session's thread, not the
    /// caller's task.
    pub async fn transaction_with_retry<T: Send + 'static>(
        &mut self,
        options: impl Into<TransactionOptions>,
        policy: RetryPolicy,
        work: impl FnMut(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let options = options.into();
        self.call(move |s| s.transaction_with_retry(options, &policy, work))
            .await
    }

    /// Marks `object` stale: re-read on its next load (see [`Session::expire`]).
    pub async fn expire<E: Entity>(&mut self, object: &Handle<E>) -> Result<()> {
        let object = Handle::clone(object);
        self.run(move |s| s.expire(object.as_ref())).await
    }

    /// Marks every object stale (see [`Session::expire_all`]).
    pub async fn expire_all(&mut self) -> Result<()> {
        self.run(Session::expire_all).await
    }

    /// Re-reads `object` now (see [`Session::refresh`]).
    pub async fn refresh<E: Entity>(&mut self, object: &Handle<E>) -> Result<Handle<E>> {
        let object = Handle::clone(object);
        self.call(move |s| s.refresh(object.as_ref())).await
    }

    /// Forgets every object (see [`Session::expunge_all`]).
    pub async fn expunge_all(&mut self) -> Result<()> {
        self.run(Session::expunge_all).await
    }

    /// Creates the tables of `entities` (see [`Session::create_all`]).
    pub async fn create_all(&mut self, entities: &[&'static EntityMeta]) -> Result<()> {
        let entities = entities.to_vec();
        self.call(move |s| s.create_all(&entities)).await
    }

    /// Sends a statement that returns no rows (see [`Session::execute`]).
    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.call(move |s| s.execute(&sql, &params)).await
    }

    /// Sets the N+1 guard (see [`Session::set_n_plus_one_guard`]).
    pub async fn set_n_plus_one_guard(&mut self, guard: NPlusOneGuard) -> Result<()> {
        self.run(move |s| s.set_n_plus_one_guard(guard)).await
    }

    /// Statements sent since the session opened or the last
    /// [`reset_statements`](AsyncSession::reset_statements).
    pub async fn statement_count(&mut self) -> Result<u64> {
        self.run(|s| s.statement_count()).await
    }

    /// Round trips to the database (see [`Session::round_trip_count`]).
    pub async fn round_trip_count(&mut self) -> Result<u64> {
        self.run(|s| s.round_trip_count()).await
    }

    /// The statements the log keeps, oldest first (see [`Session::statements`]).
    pub async fn statements(&mut self) -> Result<Vec<LoggedStatement>> {
        self.run(|s| s.statements().to_vec()).await
    }

    /// A fresh unit of work on the same connection thread (see `pool`).
    #[cfg(feature = "deadpool")]
    async fn renew(&mut self) -> Result<()> {
        self.id = self
            .call(|s| {
                s.renew()?;
                Ok(s.engine.id)
            })
            .await?;
        Ok(())
    }

    /// Empties the statement log and its count.
    pub async fn reset_statements(&mut self) -> Result<()> {
        self.run(Session::reset_statements).await
    }
}

impl<E: Entity> Query<E, &mut AsyncSession> {
    /// Every matching object, in the requested order (see [`Query::all`](Query#method.all)).
    pub async fn all(self) -> Result<Vec<Handle<E>>> {
        let (session, query) = self.split();
        session.call(move |s| query.all(s)).await
    }

    /// The first matching object, if any.
    pub async fn first(self) -> Result<Option<Handle<E>>> {
        let (session, query) = self.split();
        session.call(move |s| query.first(s)).await
    }

    /// Exactly one matching object: [`Error::NotFound`] for none,
    /// [`Error::MultipleRows`] for more.
    pub async fn one(self) -> Result<Handle<E>> {
        let (session, query) = self.split();
        session.call(move |s| query.one(s)).await
    }

    /// The number of matching rows, honouring LIMIT and OFFSET.
    pub async fn count(self) -> Result<u64> {
        let (session, query) = self.split();
        session.call(move |s| query.count(s)).await
    }
}

/// The answer of a job, or the panic it raised resumed here.
fn unwind_or<R>(answer: std::result::Result<Answer<R>, oneshot::error::RecvError>) -> Result<R> {
    match answer {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => Err(thread_gone()),
    }
}

/// The connection thread ended without answering: only when it could not
/// run at all, since a job's panic is caught and carried back.
fn thread_gone() -> Error {
    Error::Misuse("the async session's connection thread has ended".to_owned())
}

// A session and its objects cross threads: the connection thread holds the
// one, the caller's tasks the others.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Session>();
    send::<AsyncSession>();
};
