//! SQLite through rusqlite, the embedded default.
//!
//! Its errors are [`DatabaseError`]s classified by SQLite's extended result
//! code; [`DatabaseError::driver_error`] is the `rusqlite::Error`, holding
//! any statement whole where the message quotes it cut short.

use std::ffi::c_int;

use std::rc::Rc;

use rusqlite::types::{ToSqlOutput, Value as SqliteValue, ValueRef as SqliteValueRef};
use rusqlite::{ffi, ToSql};

/// The driver, for what a program must name of it (a connection to wrap
/// with [`Session::from_connection`](crate::Session::from_connection), a
/// driver error to inspect): no direct dependency on it is needed.
pub use rusqlite;
/// A SQLite connection, for [`Session::from_connection`](crate::Session::from_connection).
pub use rusqlite::Connection;

use super::{abbreviate_sql, Backend, Row};
use crate::{DatabaseError, DatabaseErrorKind, Error, Result, Value, ValueRef};

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
    fn dialect(&self) -> &'static dyn crate::sql::Dialect {
        &crate::sql::Sqlite
    }

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

// ----- errors ---------------------------------------------------------------

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Error::Database(database_error(error))
    }
}

/// What `Busy` advises: the case a caller can avoid is a deferred
/// transaction whose read turns into a write after another connection
/// committed, which fails at once whatever the busy timeout.
const BUSY_HINT: &str = "another connection holds the lock; call \
    session.set_begin_immediate(true) so that transactions take the write lock when \
    they begin and wait for it within the connection's busy timeout";

/// Classifies a rusqlite error by SQLite's extended result code, and reads
/// the names SQLite puts in its constraint messages.
fn database_error(error: rusqlite::Error) -> DatabaseError {
    // SQLite's own messages can quote SQL too: `near "{token}"` and
    // `unrecognized token: "{token}"` quote a whole token, which may be a
    // string literal of any length. So every text is capped, and names are
    // read from the message before.
    let (code, message, names) = match &error {
        rusqlite::Error::SqliteFailure(code, message) => {
            let text = message
                .as_deref()
                .unwrap_or_else(|| ffi::code_to_str(code.extended_code));
            let names = constraint_names(kind_of(code.extended_code), text);
            (
                Some(code.extended_code),
                abbreviate_sql(text).into_owned(),
                names,
            )
        }
        // rusqlite's Display of this one quotes the whole statement.
        rusqlite::Error::SqlInputError {
            error: code,
            msg,
            sql,
            offset,
        } => (
            Some(code.extended_code),
            format!(
                "{} in {} at offset {offset}",
                abbreviate_sql(msg),
                abbreviate_sql(sql)
            ),
            Names::None,
        ),
        other => (
            None,
            abbreviate_sql(&other.to_string()).into_owned(),
            Names::None,
        ),
    };
    let kind = code.map_or(DatabaseErrorKind::Other, kind_of);
    let mut database = DatabaseError::new(kind, message, Box::new(error));
    if let Some(code) = code {
        database = database.with_code(code_name(code));
        if code & 0xff == ffi::SQLITE_BUSY {
            database = database.with_hint(BUSY_HINT);
        }
    }
    match names {
        Names::None => database,
        Names::Constraint(constraint) => database.with_constraint(constraint),
        Names::Columns(table, columns) => database.with_table(table).with_columns(columns),
    }
}

/// The kind of an extended result code; the message text plays no part.
fn kind_of(extended: c_int) -> DatabaseErrorKind {
    match extended {
        ffi::SQLITE_CONSTRAINT_UNIQUE
        | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        | ffi::SQLITE_CONSTRAINT_ROWID => DatabaseErrorKind::UniqueViolation,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => DatabaseErrorKind::ForeignKeyViolation,
        ffi::SQLITE_CONSTRAINT_NOTNULL => DatabaseErrorKind::NotNullViolation,
        ffi::SQLITE_CONSTRAINT_CHECK => DatabaseErrorKind::CheckViolation,
        _ => match extended & 0xff {
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => DatabaseErrorKind::Busy,
            _ => DatabaseErrorKind::Other,
        },
    }
}

/// What a constraint message names.
enum Names {
    None,
    Constraint(String),
    Columns(String, Vec<String>),
}

/// The names in SQLite's constraint messages (sqlite3UniqueConstraint,
/// sqlite3RowidConstraint, the NOT NULL and CHECK halts): "UNIQUE constraint
/// failed: t.a, t.b" or "... failed: index 'i'", "NOT NULL constraint failed:
/// t.a", "CHECK constraint failed: name-or-expression". A message of another
/// shape names nothing rather than something wrong.
fn constraint_names(kind: DatabaseErrorKind, message: &str) -> Names {
    let prefix = match kind {
        DatabaseErrorKind::UniqueViolation => "UNIQUE constraint failed: ",
        DatabaseErrorKind::NotNullViolation => "NOT NULL constraint failed: ",
        DatabaseErrorKind::CheckViolation => "CHECK constraint failed: ",
        _ => return Names::None,
    };
    let Some(rest) = message.strip_prefix(prefix).filter(|rest| !rest.is_empty()) else {
        return Names::None;
    };
    if kind == DatabaseErrorKind::CheckViolation {
        return Names::Constraint(rest.to_owned());
    }
    if let Some(index) = rest
        .strip_prefix("index '")
        .and_then(|index| index.strip_suffix('\''))
    {
        return Names::Constraint(index.to_owned());
    }
    let mut table = None;
    let mut columns = Vec::new();
    for qualified in rest.split(", ") {
        let Some((t, column)) = qualified.split_once('.') else {
            return Names::None;
        };
        if *table.get_or_insert(t) != t {
            return Names::None;
        }
        columns.push(column.to_owned());
    }
    match table {
        Some(table) => Names::Columns(table.to_owned(), columns),
        None => Names::None,
    }
}

/// The name of an extended result code as sqlite3.h spells it; an extended
/// code without a name here is its primary code's name and its number.
fn code_name(extended: c_int) -> String {
    let name = match extended {
        ffi::SQLITE_CONSTRAINT_CHECK => "SQLITE_CONSTRAINT_CHECK",
        ffi::SQLITE_CONSTRAINT_COMMITHOOK => "SQLITE_CONSTRAINT_COMMITHOOK",
        ffi::SQLITE_CONSTRAINT_DATATYPE => "SQLITE_CONSTRAINT_DATATYPE",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "SQLITE_CONSTRAINT_FOREIGNKEY",
        ffi::SQLITE_CONSTRAINT_FUNCTION => "SQLITE_CONSTRAINT_FUNCTION",
        ffi::SQLITE_CONSTRAINT_NOTNULL => "SQLITE_CONSTRAINT_NOTNULL",
        ffi::SQLITE_CONSTRAINT_PINNED => "SQLITE_CONSTRAINT_PINNED",
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "SQLITE_CONSTRAINT_PRIMARYKEY",
        ffi::SQLITE_CONSTRAINT_ROWID => "SQLITE_CONSTRAINT_ROWID",
        ffi::SQLITE_CONSTRAINT_TRIGGER => "SQLITE_CONSTRAINT_TRIGGER",
        ffi::SQLITE_CONSTRAINT_UNIQUE => "SQLITE_CONSTRAINT_UNIQUE",
        ffi::SQLITE_CONSTRAINT_VTAB => "SQLITE_CONSTRAINT_VTAB",
        ffi::SQLITE_BUSY_RECOVERY => "SQLITE_BUSY_RECOVERY",
        ffi::SQLITE_BUSY_SNAPSHOT => "SQLITE_BUSY_SNAPSHOT",
        ffi::SQLITE_BUSY_TIMEOUT => "SQLITE_BUSY_TIMEOUT",
        ffi::SQLITE_LOCKED_SHAREDCACHE => "SQLITE_LOCKED_SHAREDCACHE",
        ffi::SQLITE_LOCKED_VTAB => "SQLITE_LOCKED_VTAB",
        _ => {
            return match primary_code_name(extended & 0xff) {
                Some(primary) if extended == extended & 0xff => primary.to_owned(),
                Some(primary) => format!("{primary} (extended code {extended})"),
                None => format!("SQLite result code {extended}"),
            }
        }
    };
    name.to_owned()
}

fn primary_code_name(primary: c_int) -> Option<&'static str> {
    Some(match primary {
        ffi::SQLITE_ERROR => "SQLITE_ERROR",
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_NOTFOUND => "SQLITE_NOTFOUND",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
        ffi::SQLITE_EMPTY => "SQLITE_EMPTY",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_NOLFS => "SQLITE_NOLFS",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_FORMAT => "SQLITE_FORMAT",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
        _ => return None,
    })
}
