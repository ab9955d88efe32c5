//! Pools of async sessions (feature `deadpool`), on deadpool's managed pool.
//!
//! The pool keeps open sessions, each with its connection thread, so a
//! request checks one out without connecting or starting a thread. A
//! session returned to the pool starts a fresh unit of work before it is
//! handed out again: an open transaction is rolled back, and the identity
//! map, statement log and N+1 counts are new (objects of the previous
//! checkout belong to another session, as in SQLAlchemy's
//! session-per-request pattern over a connection pool). Settings stay as
//! the opener made them (`set_begin_immediate(true)` for SQLite writers,
//! the log's capacity, the N+1 guard), or as a checkout changed them.

use std::sync::Arc;

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};

use super::AsyncSession;
use crate::{Error, Result, Session};

/// Opens the pool's sessions, each on its own connection thread, with the
/// sync opener it is given (`Session::connect(url)`, `Session::open(path)`,
/// or any other).
pub struct AsyncSessionManager {
    open: Arc<dyn Fn() -> Result<Session> + Send + Sync>,
}

impl std::fmt::Debug for AsyncSessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSessionManager")
            .finish_non_exhaustive()
    }
}

impl AsyncSessionManager {
    /// A manager opening each session with `open`, on the session's thread
    /// (it may block: connecting does).
    pub fn new(open: impl Fn() -> Result<Session> + Send + Sync + 'static) -> Self {
        AsyncSessionManager {
            open: Arc::new(open),
        }
    }

    /// A manager connecting each session to PostgreSQL at `url`.
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str) -> Self {
        let url = url.to_owned();
        AsyncSessionManager::new(move || Session::connect(&url))
    }
}

/// A pool of async sessions: `AsyncPool::builder(manager).max_size(8).build()`,
/// then `pool.get().await?` checks one out (waiting, without blocking a
/// thread, while all are in use) and dropping it returns it.
pub type AsyncPool = managed::Pool<AsyncSessionManager>;

/// Why `pool.get()` gave no session: the manager's error, or the pool's
/// (closed, timed out).
pub type AsyncPoolError = managed::PoolError<Error>;

impl managed::Manager for AsyncSessionManager {
    type Type = AsyncSession;
    type Error = Error;

    async fn create(&self) -> Result<AsyncSession> {
        let open = Arc::clone(&self.open);
        AsyncSession::start(move || open()).await
    }

    async fn recycle(&self, session: &mut AsyncSession, _: &Metrics) -> RecycleResult<Error> {
        // A session that cannot start afresh (its connection broke, its
        // rollback failed) is dropped, and the pool opens another.
        session.renew().await.map_err(RecycleError::Backend)
    }
}
