//! SQLite through rusqlite, the embedded default.

use std::rc::Rc;

use rusqlite::types::{ToSqlOutput, Value as SqliteValue, ValueRef as SqliteValueRef};
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
    /// identifier), a larger prepared-statement cache, the query planner's
    /// stability guarantee, without which SQLite re-prepares `col = ?`
    /// statements each time a new value is bound, and rusqlite's `rarray`
    /// table-valued function, through which a [`Value::List`] binds as one
    /// parameter.
    pub fn new(connection: Connection) -> Result<Self> {
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        rusqlite::vtab::array::load_module(&connection)?;
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

/// A parameter SQLite cannot hold faithfully; binding it is refused before
/// anything is written.
#[derive(Debug)]
enum Unbindable {
    /// SQLite has no NaN: it stores a NaN parameter as NULL, so the value
    /// could never read back (and a filter on it would match nothing).
    Nan,
    /// An `rarray` holds scalars only.
    NestedList,
}

impl std::fmt::Display for Unbindable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unbindable::Nan => "cannot bind NaN: SQLite would store it as NULL",
            Unbindable::NestedList => "cannot bind a list inside a list",
        })
    }
}

impl std::error::Error for Unbindable {}

fn refuse(why: Unbindable) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(why))
}

/// The pointer type under which rusqlite's `rarray` module reads its list.
const RARRAY_POINTER_TYPE: &std::ffi::CStr = c"rarray";

/// One element of a list, owned: the array outlives this borrow of the
/// parameters (SQLite holds it until the statement's bindings are cleared).
fn list_item(value: &Value) -> rusqlite::Result<SqliteValue> {
    Ok(match value {
        Value::Null => SqliteValue::Null,
        Value::Integer(i) => SqliteValue::Integer(*i),
        Value::Real(f) if f.is_nan() => return Err(refuse(Unbindable::Nan)),
        Value::Real(f) => SqliteValue::Real(*f),
        Value::Text(s) => SqliteValue::Text(s.clone()),
        Value::Blob(b) => SqliteValue::Blob(b.clone()),
        Value::List(_) => return Err(refuse(Unbindable::NestedList)),
    })
}

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => SqliteValueRef::Null,
            Value::Integer(i) => SqliteValueRef::Integer(*i),
            Value::Real(f) if f.is_nan() => return Err(refuse(Unbindable::Nan)),
            Value::Real(f) => SqliteValueRef::Real(*f),
            Value::Text(s) => SqliteValueRef::Text(s.as_bytes()),
            Value::Blob(b) => SqliteValueRef::Blob(b),
            Value::List(items) => {
                // The Rc lives and dies inside this backend call: rusqlite
                // clears a statement's bindings when it returns to the
                // cache, so the session stays Send.
                let array = items
                    .iter()
                    .map(list_item)
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                return Ok(ToSqlOutput::from_rc(Rc::new(array), RARRAY_POINTER_TYPE));
            }
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
