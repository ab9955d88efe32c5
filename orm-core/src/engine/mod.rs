//! The engine under a session: the connection and its dialect, the identity
//! map, the statement log and the one gate every statement passes, the
//! transaction state that gate consults, and what the loaders keep between
//! loads. The loaders and the session facade work through it; it knows
//! nothing of either.

mod collector;
mod identity;
mod lazy;
mod log;
mod plan;
mod transaction;

pub(crate) use collector::adopt_orphans;
pub use identity::IdentityMap;
#[cfg(test)]
pub(crate) use identity::FIRST_SWEEP_AT;
pub use lazy::{LazyLoads, NPlusOneGuard};
pub(crate) use lazy::{LazyOptions, NPlusOneCounter};
pub(crate) use log::StatementLog;
pub use log::{LoggedStatement, DEFAULT_LOG_CAPACITY};
pub use plan::{Plan, PlanContext, Statement};
pub(crate) use transaction::{Outcome, TransactionState};

use crate::Handle;

use crate::backend::{Backend, Row};
use crate::sql::Dialect;
use crate::{Error, Record, Result, Value};

/// A connection with everything the session keeps about it. Named by the
/// loaders' hidden trait; nothing outside the crate can use it.
#[doc(hidden)]
pub struct Engine {
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) dialect: &'static dyn Dialect,
    /// This session's number, marked on the objects it loads.
    pub(crate) id: u32,
    pub(crate) identity: IdentityMap,
    pub(crate) log: StatementLog,
    pub(crate) transaction: TransactionState,
    pub(crate) n_plus_one: NPlusOneCounter,
    pub(crate) lazy_options: LazyOptions,
}

impl Engine {
    pub(crate) fn new(backend: Box<dyn Backend>) -> Engine {
        // Numbers wrap after 4 billion sessions in one process; 0 is "none".
        static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let id = loop {
            let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if id != 0 {
                break id;
            }
        };
        Engine {
            dialect: backend.dialect(),
            backend,
            id,
            identity: IdentityMap::owned_by(id),
            log: StatementLog::default(),
            transaction: TransactionState::default(),
            n_plus_one: NPlusOneCounter::default(),
            lazy_options: LazyOptions::default(),
        }
    }

    /// Sends a statement that returns no rows, counted like any other.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.send(sql, params, |backend, _| backend.execute(sql, params))
    }

    /// Runs a query, handing each row to `on_row` with the session state a
    /// plan works on. Like [`execute`](Engine::execute), refused in a failed
    /// transaction and counted.
    pub(crate) fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&mut PlanContext<'_>, &dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.send(sql, params, |backend, mut cx| {
            backend.query(sql, params, &mut |row| on_row(&mut cx, row))
        })
    }

    /// Runs independent queries, pipelined where the backend can (one
    /// round trip for all), each logged and refused in a failed
    /// transaction like any statement; rows reach `on_row` with their
    /// statement's index, statement by statement.
    pub(crate) fn stream_batch(
        &mut self,
        statements: &[Statement],
        on_row: &mut dyn FnMut(&mut PlanContext<'_>, usize, &dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.transaction.refuse_if_failed()?;
        let pipelined = self.backend.pipelines();
        for (index, statement) in statements.iter().enumerate() {
            if index > 0 && pipelined {
                self.log.record_pipelined(&statement.sql, &statement.params);
            } else {
                self.log.record(&statement.sql, &statement.params);
            }
        }
        let batch: Vec<(&str, &[Value])> = statements
            .iter()
            .map(|s| (s.sql.as_ref(), s.params.as_slice()))
            .collect();
        let mut cx = PlanContext::new(&mut self.identity, &mut self.lazy_options, self.dialect);
        let result = self
            .backend
            .query_batch(&batch, &mut |index, row| on_row(&mut cx, index, row));
        self.note_failure(&result);
        result
    }

    /// The one way a statement reaches the backend: refused in a failed
    /// transaction, logged, and a database error noted against the
    /// transaction. `run` gets the backend and the state plans work on.
    pub(crate) fn send<R>(
        &mut self,
        sql: &str,
        params: &[Value],
        run: impl FnOnce(&mut dyn Backend, PlanContext<'_>) -> Result<R>,
    ) -> Result<R> {
        self.transaction.refuse_if_failed()?;
        self.log.record(sql, params);
        let cx = PlanContext::new(&mut self.identity, &mut self.lazy_options, self.dialect);
        let result = run(self.backend.as_mut(), cx);
        self.note_failure(&result);
        result
    }

    /// A statement the database refused fails the open transaction; the
    /// connection is asked whether it ended the transaction itself. Errors
    /// of decoding or of the caller's row handler leave it intact.
    pub(crate) fn note_failure<T>(&mut self, result: &Result<T>) {
        if let Err(error @ Error::Database(_)) = result {
            if self.transaction.is_open() {
                let engine_open = self.backend.transaction_open();
                self.transaction.statement_failed(error, engine_open);
            }
        }
    }

    /// The object in the identity map under this key, without any SQL.
    pub(crate) fn cached<E: Record>(&self, key: &E::Key) -> Option<Handle<E>> {
        self.identity.get::<E>(key)
    }

    /// Refuses an object this session did not load (see [`check_owner`]).
    pub(crate) fn check_owner<E: Record>(&self, object: &E, allow_unmarked: bool) -> Result<()> {
        check_owner(self.id, object, allow_unmarked)
    }

    /// Forgets every object and the options kept for them: handles already
    /// returned stay valid but are no longer the session's.
    pub(crate) fn expunge_all(&mut self) {
        self.identity.detach_all();
        self.lazy_options.clear();
    }
}

/// Refuses an object session number `session` did not load (or expunged)
/// with [`Error::ForeignObject`]; with `allow_unmarked`, a value built by
/// hand (marked by no session) passes. An entity without relations carries
/// no mark, so any of its values passes.
pub(crate) fn check_owner<E: Record>(session: u32, object: &E, allow_unmarked: bool) -> Result<()> {
    let owner = E::cells().iter().find_map(|r| r.owner_of(object));
    match owner {
        None => Ok(()),
        Some(owner) if owner == session => Ok(()),
        Some(0) if allow_unmarked => Ok(()),
        Some(_) => Err(Error::ForeignObject {
            entity: E::META.name,
        }),
    }
}

impl Drop for Engine {
    /// Frees what the session loaded: reference cycles among objects no
    /// handle holds are broken now; objects still held are collected when
    /// their last handle goes (see `collector`).
    fn drop(&mut self) {
        adopt_orphans(std::mem::take(&mut self.identity));
    }
}
