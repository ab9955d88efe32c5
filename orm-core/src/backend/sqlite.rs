//! SQLite through rusqlite, the embedded default.

use rusqlite::types::{ToSqlOutput, ValueRef as SqliteValueRef};
use rusqlite::{Connection, ToSql};

use super::{Backend, Row};
use crate::{Result, Value, ValueRef};

/// Prepared statements kept per connection; generated SQL is a small fixed
/// set per entity, so this holds every statement of a typical application.
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// The SQLite backend, owning its connection.
pub struct SqliteBackend {
    connection: Connection,
}

impl SqliteBackend {
    /// Takes over a connection and configures it for eagerly: foreign keys
    /// enforced, double-quoted strings off (a double-quoted name is always an
    /// identifier), a larger prepared-statement cache, and the query planner's
    /// stability guarantee, without which SQLite re-prepares `col = ?`
    /// statements each time a new value is bound.
    pub fn new(connection: Connection) -> Result<Self> {
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        connection.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        // A double-quoted name that matches no column would otherwise be
        // read as a string literal (SQLite's "double-quoted string"
        // misfeature): a missing column `name` would silently read as the
        // text "name". eagerly quotes every identifier with double quotes
        // and every value is a parameter, so turn it off: a missing column
        // is the error "no such column".
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
        connection.pragma_update(None, "foreign_keys", true)?;
        // Reading the schema now makes "file is not a database" an error of
        // `open`, not of the first query.
        connection.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(SqliteBackend { connection })
    }

    /// The underlying connection, for what eagerly does not cover.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

struct Bind<'a>(&'a Value);

/// SQLite has no NaN: it stores a NaN parameter as NULL, so the value could
/// never read back (and a filter on it would match nothing). Binding one is
/// refused instead, before anything is written.
#[derive(Debug)]
struct NanParameter;

impl std::fmt::Display for NanParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot bind NaN: SQLite would store it as NULL")
    }
}

impl std::error::Error for NanParameter {}

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => SqliteValueRef::Null,
            Value::Integer(i) => SqliteValueRef::Integer(*i),
            Value::Real(f) if f.is_nan() => {
                return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                    NanParameter,
                )))
            }
            Value::Real(f) => SqliteValueRef::Real(*f),
            Value::Text(s) => SqliteValueRef::Text(s.as_bytes()),
            Value::Blob(b) => SqliteValueRef::Blob(b),
        }))
    }
}

struct SqliteRow<'a, 'stmt>(&'a rusqlite::Row<'stmt>);

impl Row for SqliteRow<'_, '_> {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        Ok(match self.0.get_ref(index)? {
            SqliteValueRef::Null => ValueRef::Null,
            SqliteValueRef::Integer(i) => ValueRef::Integer(i),
            SqliteValueRef::Real(f) => ValueRef::Real(f),
            SqliteValueRef::Text(t) => ValueRef::Text(t),
            SqliteValueRef::Blob(b) => ValueRef::Blob(b),
        })
    }
}

impl Backend for SqliteBackend {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let changed = statement.execute(rusqlite::params_from_iter(params.iter().map(Bind)))?;
        Ok(changed as u64)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params.iter().map(Bind)))?;
        while let Some(row) = rows.next()? {
            on_row(&SqliteRow(row))?;
        }
        Ok(())
    }

    fn last_insert_id(&self) -> i64 {
        self.connection.last_insert_rowid()
    }

    fn transaction_open(&self) -> bool {
        !self.connection.is_autocommit()
    }
}
