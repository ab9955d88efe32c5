//! The boundary between the session and a database engine.
//!
//! The session speaks only these two traits, so an engine plugs in without
//! touching the derive or the loaders: a backend names the [`Dialect`] its
//! statements are written in, runs them and streams their rows, nothing
//! else. SQLite (feature `sqlite`, the default) and PostgreSQL (feature
//! `postgres`) are built in, and pools of PostgreSQL connections (feature
//! `r2d2`, `backend::pool`).

#[cfg(feature = "r2d2")]
pub mod pool;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::borrow::Cow;

use crate::sql::Dialect;
pub use crate::value::Row;
use crate::{Result, Value};

/// A database connection the session sends statements to.
pub trait Backend: Send {
    /// The SQL dialect this connection's engine speaks.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Runs a statement that returns no rows; answers the changed row count.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;

    /// Runs a query and hands each row to `on_row`, stopping at its first error.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()>;

    /// Runs independent queries and hands each row to `on_row` with the
    /// index of its statement, every row of one statement before the next
    /// statement's, stopping at the first error. One after another by
    /// default; a backend that [`pipelines`](Backend::pipelines) sends
    /// them together, in one round trip.
    fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
        on_row: &mut dyn FnMut(usize, &dyn Row) -> Result<()>,
    ) -> Result<()> {
        for (index, (sql, params)) in statements.iter().enumerate() {
            self.query(sql, params, &mut |row| on_row(index, row))?;
        }
        Ok(())
    }

    /// Whether [`query_batch`](Backend::query_batch) sends its statements
    /// in one round trip; the loaders batch independent statements only
    /// for a backend that does.
    fn pipelines(&self) -> bool {
        false
    }

    /// The integer key the last successful insert was given.
    fn last_insert_id(&self) -> i64;

    /// Whether the connection is inside a transaction. The session asks
    /// after a failed statement, since an engine may end a transaction on
    /// its own (SQLite does after a trigger's `RAISE(ROLLBACK)`, a full
    /// disk or an interrupt). A backend that cannot tell answers `true`.
    fn transaction_open(&self) -> bool {
        true
    }
}

/// How many characters of a statement an error message quotes.
const SQL_IN_MESSAGE: usize = 200;

/// `sql` (or any text that may quote it) as an error message quotes it:
/// whole up to 200 characters, else its first 200, an ellipsis and the total
/// length, so that a generated statement of 100 000 characters does not
/// become the message: `SELECT 1 WHERE 1 IN (1, 1, ... (100000 characters)`.
pub fn abbreviate_sql(sql: &str) -> Cow<'_, str> {
    match sql.char_indices().nth(SQL_IN_MESSAGE) {
        None => Cow::Borrowed(sql),
        Some((cut, _)) => Cow::Owned(format!(
            "{}... ({} characters)",
            &sql[..cut],
            sql.chars().count()
        )),
    }
}

/// The backend of a session whose connection moved to a new session
/// (`Session::renew`): nothing reaches it.
#[cfg(feature = "deadpool")]
pub(crate) struct Detached;

#[cfg(feature = "deadpool")]
impl Backend for Detached {
    fn dialect(&self) -> &'static dyn Dialect {
        &crate::sql::Sqlite
    }

    fn execute(&mut self, _: &str, _: &[Value]) -> Result<u64> {
        Err(detached())
    }

    fn query(
        &mut self,
        _: &str,
        _: &[Value],
        _: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        Err(detached())
    }

    fn last_insert_id(&self) -> i64 {
        0
    }
}

#[cfg(feature = "deadpool")]
fn detached() -> crate::Error {
    crate::Error::Misuse("this session's connection moved to a new session".to_owned())
}
