//! Connection pools through [r2d2](https://docs.rs/r2d2), behind the
//! feature `r2d2`: sessions that borrow a PostgreSQL connection and give it
//! back when they drop.
//!
//! ```no_run
//! # extern crate orm_core as eagerly;
//! use eagerly::backend::pool::{r2d2, PostgresManager};
//! use eagerly::Session;
//!
//! # fn main() -> eagerly::Result<()> {
//! let manager = PostgresManager::new("postgres://root@127.0.0.1:5432/test")?;
//! let pool = r2d2::Pool::builder().max_size(4).build(manager).expect("pool");
//! let mut session = Session::from_pool(&pool)?; // the connection goes back when it drops
//! # Ok(()) }
//! ```
//!
//! The pool holds [`PostgresBackend`]s rather than bare driver clients
//! (`r2d2_postgres`' manager), so the statements a connection prepared stay
//! prepared for the next session that borrows it. A connection given back
//! inside a transaction (a session dropped after `begin` without `commit`
//! or `rollback`, or in a failed transaction) is closed instead of reused,
//! which rolls that transaction back on the server. What a session set on
//! its connection with raw SQL (`SET`, temporary tables) stays with the
//! connection for the next session; set such things for every connection
//! with [`tokio_postgres::Config::options`] (`-c search_path=...`) or an r2d2
//! connection customizer.

use super::postgres::{tokio_postgres, PostgresBackend};
use super::{Backend, Row};
use crate::{Result, Value};

pub use r2d2;

/// Hands out [`PostgresBackend`]s to an [`r2d2::Pool`], connecting
/// without TLS, as [`Session::connect`](crate::Session::connect) does.
#[derive(Debug, Clone)]
pub struct PostgresManager {
    config: tokio_postgres::Config,
}

impl PostgresManager {
    /// A manager for `url` (`postgres://user@host:5432/database`, or the
    /// `key=value` form); an unreadable URL is an error now, not at the
    /// first connection.
    pub fn new(url: &str) -> Result<Self> {
        Ok(PostgresManager::from_config(url.parse()?))
    }

    /// A manager for a driver configuration built by hand.
    pub fn from_config(config: tokio_postgres::Config) -> Self {
        PostgresManager { config }
    }
}

impl r2d2::ManageConnection for PostgresManager {
    type Connection = PostgresBackend;
    type Error = crate::Error;

    fn connect(&self) -> Result<PostgresBackend> {
        PostgresBackend::from_config(&self.config)
    }

    /// An empty query: one round trip, nothing prepared or counted.
    fn is_valid(&self, connection: &mut PostgresBackend) -> Result<()> {
        connection.ping()
    }

    /// Closed, or given back inside a transaction: not to be reused.
    fn has_broken(&self, connection: &mut PostgresBackend) -> bool {
        connection.is_closed() || connection.transaction_open()
    }
}

/// A pooled connection is a backend when its manager's connections are:
/// the session sends through it and the pool takes it back on drop.
impl<M> Backend for r2d2::PooledConnection<M>
where
    M: r2d2::ManageConnection,
    M::Connection: Backend,
{
    fn dialect(&self) -> &'static dyn crate::sql::Dialect {
        (**self).dialect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        (**self).execute(sql, params)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        (**self).query(sql, params, on_row)
    }

    fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
        on_row: &mut dyn FnMut(usize, &dyn Row) -> Result<()>,
    ) -> Result<()> {
        (**self).query_batch(statements, on_row)
    }

    fn pipelines(&self) -> bool {
        (**self).pipelines()
    }

    fn last_insert_id(&self) -> i64 {
        (**self).last_insert_id()
    }

    fn transaction_open(&self) -> bool {
        (**self).transaction_open()
    }
}
