//! Transaction isolation levels, as the SQL standard names them.

/// The isolation level a transaction runs at, chosen with
/// [`Session::transaction_with`](crate::Session::transaction_with) (or
/// [`begin_with`](crate::Session::begin_with)). Without one a transaction
/// runs at the engine's default (PostgreSQL: read committed).
///
/// - **PostgreSQL** opens the transaction with `BEGIN ISOLATION LEVEL ...`.
///   At `RepeatableRead` and `Serializable` it may refuse a statement or the
///   `COMMIT` with a serialization failure (SQLSTATE 40001), which a retry
///   of the whole transaction cures:
///   [`transaction_with_retry`](crate::Session::transaction_with_retry).
/// - **SQLite** has one level, serializable: writers are serialized by the
///   database lock, and a reader sees one snapshot. Every level is accepted
///   and runs as that (the SQL standard lets an engine run a transaction at
///   a stricter level than asked; PostgreSQL itself runs read uncommitted
///   as read committed), so code written for PostgreSQL runs unchanged. The
///   `BEGIN` sent is the same as without a level: `BEGIN`, or `BEGIN
///   IMMEDIATE` after [`set_begin_immediate(true)`](crate::Session::set_begin_immediate).
///   A deferred transaction whose snapshot went stale is refused with
///   [`Busy`](crate::DatabaseErrorKind::Busy) (`SQLITE_BUSY_SNAPSHOT`), not
///   a serialization failure: there `BEGIN IMMEDIATE` is the cure.
///
/// Read uncommitted is left out: no engine eagerly supports offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Isolation {
    /// Each statement sees what was committed before it began.
    ReadCommitted,
    /// Every statement sees the snapshot of the transaction's first one.
    RepeatableRead,
    /// As if the transactions that commit had run one after another.
    Serializable,
}
