//! Transactions: `begin`/`commit`/`rollback`, `transaction(...)` closures
//! (savepoints when nested), their forms with options (an isolation
//! level), and the atomic runs of multi-statement writes.
//! The state they change lives in the engine, whose statement gate refuses
//! everything after a failure.

use super::Session;
use crate::engine::Outcome;
use crate::{Error, Isolation, Result};

/// How [`Session::transaction_with`] (and [`begin_with`](Session::begin_with))
/// open a transaction: `TransactionOptions::new().isolation(Isolation::Serializable)`,
/// or just `Isolation::Serializable` where options are asked for.
///
/// The shape follows Diesel's transaction builder and SeaORM's
/// `transaction_with_config`: the default is the engine's own level, and an
/// option applies to the outermost transaction only (a savepoint has no
/// level of its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransactionOptions {
    isolation: Option<Isolation>,
}

impl TransactionOptions {
    /// The engine's defaults.
    pub fn new() -> Self {
        TransactionOptions::default()
    }

    /// Runs the transaction at `isolation` (see [`Isolation`] for what each
    /// engine does with it).
    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = Some(isolation);
        self
    }

    /// The isolation level asked for, if any.
    pub fn isolation_level(&self) -> Option<Isolation> {
        self.isolation
    }
}

impl From<Isolation> for TransactionOptions {
    fn from(isolation: Isolation) -> Self {
        TransactionOptions::new().isolation(isolation)
    }
}

impl Session {
    /// Whether a transaction is open, failed or not. A failed transaction
    /// stays open until it is rolled back, as in PostgreSQL.
    pub fn in_transaction(&self) -> bool {
        self.engine.transaction.is_open()
    }

    /// Whether the open transaction has failed: a statement in it was
    /// refused by the database (or the database ended it on its own), so
    /// every later statement is refused with [`Error::TransactionAborted`]
    /// until it is rolled back.
    pub fn transaction_failed(&self) -> bool {
        self.engine.transaction.is_failed()
    }

    /// Makes [`begin`](Session::begin) and [`transaction`](Session::transaction)
    /// send `BEGIN IMMEDIATE` (`true`) instead of a deferred `BEGIN` (the
    /// default). With several connections writing one database file, a
    /// deferred transaction that reads before it writes gets SQLite's
    /// "database is locked" at once when another connection committed in
    /// between (its snapshot is stale, so the busy timeout cannot help);
    /// `BEGIN IMMEDIATE` takes the write lock up front and waits for it
    /// within the connection's busy timeout.
    pub fn set_begin_immediate(&mut self, immediate: bool) {
        self.begin_immediate = immediate;
    }

    /// Opens a transaction (`BEGIN`). Calling it while one is open is a
    /// misuse: nest [`transaction`](Session::transaction) calls for
    /// savepoints.
    pub fn begin(&mut self) -> Result<()> {
        if self.engine.transaction.is_open() {
            return Err(Error::Misuse(
                "a transaction is already open; nest session.transaction(...) for a savepoint"
                    .into(),
            ));
        }
        self.open_level(false, false, None)
    }

    /// [`begin`](Session::begin) with options: `session.begin_with(Isolation::Serializable)`
    /// sends `BEGIN ISOLATION LEVEL SERIALIZABLE` on PostgreSQL (see
    /// [`Isolation`] for SQLite).
    pub fn begin_with(&mut self, options: impl Into<TransactionOptions>) -> Result<()> {
        if self.engine.transaction.is_open() {
            return Err(Error::Misuse(
                "a transaction is already open; nest session.transaction(...) for a savepoint"
                    .into(),
            ));
        }
        self.open_level(false, false, options.into().isolation)
    }

    /// Commits the transaction opened by [`begin`](Session::begin). A failed
    /// transaction is not committed: this returns its first error and
    /// leaves it open for [`rollback`](Session::rollback). Inside a
    /// [`transaction`](Session::transaction) closure it is a misuse (the
    /// closure's result decides), refused before anything is sent.
    pub fn commit(&mut self) -> Result<()> {
        self.check_unmanaged("commit")?;
        if let Some(first) = self.engine.transaction.first_failure() {
            return Err(first.clone());
        }
        self.close_level(Outcome::Commit)
    }

    /// Rolls the transaction opened by [`begin`](Session::begin) back and
    /// empties the identity map, as SQLAlchemy expires everything on
    /// rollback: no object (or relation loaded) inside the transaction
    /// outlives what the database kept. Inside a
    /// [`transaction`](Session::transaction) closure it is a misuse,
    /// refused before anything is sent.
    pub fn rollback(&mut self) -> Result<()> {
        self.check_unmanaged("rollback")?;
        self.close_level(Outcome::Rollback)
    }

    /// Runs `work` in a transaction: commits when it returns `Ok`, rolls
    /// back and returns its error otherwise (and rolls back before a panic
    /// in `work` goes on unwinding). Called inside another transaction, it
    /// is a `SAVEPOINT`: its failure rolls back only what `work` did, and
    /// the outer transaction goes on.
    ///
    /// When a statement failed inside `work`, the first such error is
    /// returned even if `work` went on and returned `Ok` or another error:
    /// the transaction failed there, and nothing of it is kept.
    pub fn transaction<T>(&mut self, work: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.open_level(true, false, None)?;
        self.run_level(work)
    }

    /// [`transaction`](Session::transaction) with options:
    ///
    /// ```no_run
    /// # extern crate orm_core as eagerly;
    /// # fn run(session: &mut eagerly::Session) -> eagerly::Result<()> {
    /// use eagerly::Isolation;
    /// session.transaction_with(Isolation::Serializable, |s| {
    ///     s.execute("UPDATE counters SET value = value + 1", &[])?;
    ///     Ok(())
    /// })?;
    /// # Ok(()) }
    /// ```
    ///
    /// An isolation level applies to the outermost transaction: asked for
    /// inside an open one (where this would be a savepoint), it is
    /// [`Error::Misuse`], refused before anything is sent. Without options
    /// it nests as `transaction` does. A serialization failure is returned
    /// as any error is; [`transaction_with_retry`](Session::transaction_with_retry)
    /// runs the work again instead.
    pub fn transaction_with<T>(
        &mut self,
        options: impl Into<TransactionOptions>,
        work: impl FnOnce(&mut Session) -> Result<T>,
    ) -> Result<T> {
        let options = options.into();
        if options.isolation.is_some() && self.engine.transaction.is_open() {
            return Err(Error::Misuse(
                "an isolation level applies to the outermost transaction, and one is open: \
                 this one would be a savepoint"
                    .into(),
            ));
        }
        self.open_level(true, false, options.isolation)?;
        self.run_level(work)
    }

    /// Runs `work` in the level just opened, closing it by the outcome.
    fn run_level<T>(&mut self, work: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        // A panic in `work` rolls back as it unwinds, so a caller that
        // catches it does not find the transaction still open.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(panic) => {
                let _ = self.close_level(Outcome::Rollback);
                std::panic::resume_unwind(panic);
            }
        };
        if let Some(first) = self.engine.transaction.failure_of_innermost().cloned() {
            let _ = self.close_level(Outcome::Rollback);
            return Err(first);
        }
        match outcome {
            Ok(value) => match self.close_level(Outcome::Commit) {
                Ok(()) => Ok(value),
                Err(error) => {
                    // A failed COMMIT (e.g. deferred foreign keys) leaves the
                    // transaction open; close it so the session stays usable.
                    let _ = self.close_level(Outcome::Rollback);
                    Err(error)
                }
            },
            Err(error) => {
                // The work's error matters more than a failed rollback; an
                // outer level's failure, though, is what the caller must see.
                let first = self.engine.transaction.first_failure().cloned();
                let _ = self.close_level(Outcome::Rollback);
                Err(first.unwrap_or(error))
            }
        }
    }

    /// Runs a write of several statements atomically: in a savepoint (or
    /// its own transaction when none is open), rolled back whole on error.
    /// A failure still fails an enclosing transaction, as the failure of a
    /// one-statement write does.
    pub(crate) fn atomic<T>(&mut self, write: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let enclosing = self.engine.transaction.depth();
        self.open_level(true, true, None)?;
        match self.run_level(write) {
            Ok(value) => Ok(value),
            Err(error) => {
                if enclosing > 0 && !self.engine.transaction.is_failed() {
                    let engine_open = self.engine.backend.transaction_open();
                    self.engine
                        .transaction
                        .statement_failed(&error, engine_open);
                }
                Err(error)
            }
        }
    }

    fn check_unmanaged(&self, what: &str) -> Result<()> {
        if !self.engine.transaction.is_open() {
            return Err(Error::Misuse(format!("{what} without an open transaction")));
        }
        if self.engine.transaction.innermost_is_managed() {
            return Err(Error::Misuse(format!(
                "{what} inside session.transaction(...): return Ok to commit or Err to roll back"
            )));
        }
        Ok(())
    }

    /// Sends `BEGIN` (or `SAVEPOINT` inside a transaction) and opens a level.
    fn open_level(
        &mut self,
        managed: bool,
        internal: bool,
        isolation: Option<Isolation>,
    ) -> Result<()> {
        let sql =
            self.engine
                .transaction
                .open_sql(self.engine.dialect, self.begin_immediate, isolation);
        self.execute(&sql, &[])?;
        self.engine.transaction.push(managed, internal);
        Ok(())
    }

    /// Ends the innermost level. A rollback empties the identity map: what
    /// was loaded or written inside may be gone. When the connection has
    /// no transaction left (the engine ended it), nothing is sent. These
    /// statements pass the failed-transaction gate: they are how it ends.
    fn close_level(&mut self, outcome: Outcome) -> Result<()> {
        let engine_open = self.engine.backend.transaction_open();
        let statements = self.engine.transaction.close_sql(outcome, engine_open);
        let rollback = outcome == Outcome::Rollback;
        if rollback {
            // Closed whatever the ROLLBACK answers: nothing more can be done
            // about a failed one.
            self.engine.identity.clear();
            self.engine.lazy_options.clear();
            self.engine.transaction.pop();
        }
        for sql in &statements {
            self.engine.log.record(sql, &[]);
            if let Err(error) = self.engine.backend.execute(sql, &[]) {
                if !rollback {
                    // A failed COMMIT or RELEASE fails the level, which
                    // stays open for its rollback.
                    let engine_open = self.engine.backend.transaction_open();
                    self.engine
                        .transaction
                        .statement_failed(&error, engine_open);
                }
                return Err(error);
            }
        }
        if !rollback {
            let internal = self.engine.transaction.pop();
            if !self.engine.transaction.is_open() && !internal {
                self.committed();
            }
        }
        Ok(())
    }
}
