//! Transactions: `BEGIN`, savepoints for nested transactions, and the failed
//! state that keeps a broken transaction from writing anything more.
//!
//! The rule, the same on every engine: once a statement inside a
//! transaction fails, the transaction is failed. Every later statement in it
//! is refused with [`Error::TransactionAborted`] (PostgreSQL's "current
//! transaction is aborted"), `commit` is refused, and only a rollback ends
//! it. SQLite keeps a transaction open after most failed statements but ends
//! it on its own after some (a trigger's `RAISE(ROLLBACK)`, a full disk, an
//! interrupt); the session asks the connection after each failure, so a
//! statement never runs in autocommit while the caller believes it is inside
//! a transaction. A failure inside a nested transaction (a `SAVEPOINT`) fails
//! only that level, unless the engine ended the whole transaction.

use crate::{Error, Result};

/// One open level: the outer `BEGIN`, or a savepoint inside it.
#[derive(Debug)]
struct Level {
    /// Opened by [`Session::transaction`](crate::Session::transaction)
    /// (or a multi-statement write), which alone may close it.
    managed: bool,
    /// Opened by the session for one multi-statement write: committing it
    /// is not the user's commit and expires nothing.
    internal: bool,
}

/// The transaction state of a session.
#[derive(Debug, Default)]
pub(crate) struct TransactionState {
    levels: Vec<Level>,
    /// The first failure, and the index of the level it failed.
    failure: Option<(usize, Error)>,
}

/// How a level ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Commit,
    Rollback,
}

impl TransactionState {
    pub(crate) fn is_open(&self) -> bool {
        !self.levels.is_empty()
    }

    pub(crate) fn depth(&self) -> usize {
        self.levels.len()
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Refuses a statement of a failed transaction.
    pub(crate) fn refuse_if_failed(&self) -> Result<()> {
        match &self.failure {
            Some((_, first)) => Err(Error::TransactionAborted {
                first_error: first.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Records a failed statement; `engine_open` is whether the connection
    /// is still inside a transaction. The first failure is the one kept.
    pub(crate) fn statement_failed(&mut self, error: &Error, engine_open: bool) {
        if self.levels.is_empty() {
            return;
        }
        // The engine ended the whole transaction: every level is gone.
        let level = if engine_open {
            self.levels.len() - 1
        } else {
            0
        };
        match &mut self.failure {
            Some((failed, _)) => *failed = (*failed).min(level),
            None => self.failure = Some((level, error.clone())),
        }
    }

    /// Whether the innermost level belongs to a `transaction` closure, so
    /// `begin`, `commit` and `rollback` must not touch it.
    pub(crate) fn innermost_is_managed(&self) -> bool {
        self.levels.last().is_some_and(|l| l.managed)
    }

    pub(crate) fn push(&mut self, managed: bool, internal: bool) {
        self.levels.push(Level { managed, internal });
    }

    /// The statement that opens the next level. An isolation level shapes
    /// only the outer `BEGIN` (the session refuses one for a savepoint).
    pub(crate) fn open_sql(
        &self,
        dialect: &dyn crate::sql::Dialect,
        begin_immediate: bool,
        isolation: Option<crate::Isolation>,
    ) -> String {
        match isolation {
            Some(isolation) if self.levels.is_empty() => dialect
                .begin_isolated(begin_immediate, isolation)
                .unwrap_or_else(|| dialect.begin(begin_immediate).to_owned()),
            _ => crate::sql::open_level(dialect, self.levels.len(), begin_immediate),
        }
    }

    /// The first failure if it lies at the innermost level or deeper.
    pub(crate) fn failure_of_innermost(&self) -> Option<&Error> {
        let innermost = self.levels.len().checked_sub(1)?;
        self.failure
            .as_ref()
            .filter(|(level, _)| *level >= innermost)
            .map(|(_, error)| error)
    }

    /// The first failure, wherever it happened.
    pub(crate) fn first_failure(&self) -> Option<&Error> {
        self.failure.as_ref().map(|(_, error)| error)
    }

    /// The statements that end the innermost level with `outcome`, given
    /// whether the connection still has a transaction. A rollback after the
    /// engine's own (or, for a savepoint, after an outer failure) sends
    /// nothing: the whole transaction is going. A commit is always sent, so
    /// a transaction ended behind the session's back is reported by the
    /// database instead of being called committed.
    pub(crate) fn close_sql(&self, outcome: Outcome, engine_open: bool) -> Vec<String> {
        let depth = self.levels.len();
        if depth == 0 || (!engine_open && outcome == Outcome::Rollback) {
            return Vec::new();
        }
        let outer_failed = self
            .failure
            .as_ref()
            .is_some_and(|(level, _)| *level < depth - 1);
        match outcome {
            _ if depth > 1 && outer_failed => Vec::new(),
            Outcome::Commit => crate::sql::commit_level(depth - 1),
            Outcome::Rollback => crate::sql::rollback_level(depth - 1),
        }
    }

    /// Forgets the innermost level after it ended, and its failure if the
    /// failure was confined to it (always, for the outer level).
    /// Returns whether the level was the session's own (see `Level`).
    pub(crate) fn pop(&mut self) -> bool {
        let internal = self.levels.pop().is_some_and(|l| l.internal);
        let depth = self.levels.len();
        if self
            .failure
            .as_ref()
            .is_some_and(|(level, _)| *level >= depth)
        {
            self.failure = None;
        }
        internal
    }
}
