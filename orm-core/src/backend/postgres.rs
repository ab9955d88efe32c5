//! PostgreSQL through `tokio-postgres`, behind the feature `postgres`.
//!
//! The backend owns a `tokio-postgres` client and a current-thread tokio
//! runtime that drives its connection while a call waits: a blocking
//! backend for the sync session (and for the async session's connection
//! thread), on the async driver itself, so that statements the loaders
//! find independent are pipelined (sent together, one round trip; see
//! [`Backend::query_batch`]). This is what the `postgres` crate does inside,
//! without its extra hop. Like that crate, it cannot be called from inside
//! an async runtime: use [`AsyncSession`](crate::AsyncSession) there. The same protocol is
//! spoken by CockroachDB, YugabyteDB and Citus (untested here: they need
//! [`transaction_with_retry`](crate::Session::transaction_with_retry) for
//! their serialization failures, keys that are not sequential, and no
//! advisory locks; the README says more). Pools of these connections are
//! in `backend::pool` (feature `r2d2`).
//!
//! - Statements are prepared once per connection and kept (up to 256).
//! - Parameters bind by the types the server declared when it prepared the
//!   statement: an `i64` [`Value::Integer`] bound to an `int4` parameter (an
//!   `i32` column) is converted with a range check, to `bool` only from 0
//!   or 1; [`Value::List`] binds as an array of the element type (`"id" =
//!   ANY($1)`). A value that does not fit is refused before anything is
//!   sent.
//! - The column types eagerly carries as text (dates and times, `UUID`,
//!   `JSON`/`JSONB`, `NUMERIC`; see [`SqlType`](crate::SqlType)) are sent
//!   in PostgreSQL's text format, which the server parses, a list of them
//!   as an array literal (`{"a","b"}`); their binary results are turned
//!   into the text SQLite stores for the same type (`2024-01-02
//!   03:04:05.000000000Z`, hyphenated UUIDs, decimal digits with their
//!   scale), so each column type reads one form on both engines.
//! - Rows are streamed as the server sends them.
//! - Errors are [`DatabaseError`]s classified by SQLSTATE (23505 unique,
//!   23503 foreign key, 23502 not null, 23514 check, 40001 serialization
//!   failure, 40P01 deadlock, 55P03 lock not available as busy), with the
//!   constraint, table and columns PostgreSQL reports;
//!   [`DatabaseError::driver_error`] is the [`tokio_postgres::Error`].
//! - Keys the database assigns come back through `INSERT ... RETURNING`, so
//!   [`Backend::last_insert_id`] is not used (it answers 0).
//! - Transactions: [`Backend::transaction_open`] follows the `BEGIN`,
//!   `COMMIT` and `ROLLBACK` statements this backend ran. After a failed
//!   statement PostgreSQL keeps the transaction open but aborted (every
//!   statement but a rollback is refused with 25P02); the session's own
//!   failed-transaction gate refuses them first, without a round trip.
//!   An [`Isolation`](crate::Isolation) level opens the transaction with
//!   `BEGIN ISOLATION LEVEL ...`.
//!
//! Where PostgreSQL differs from SQLite, as a user sees it:
//! - A key written explicitly into an identity column does not move its
//!   sequence: a later insert with the key left at 0 may be given a key
//!   already taken (a unique violation). Let the database assign every key
//!   of a table, or assign them all.
//! - `LIKE` is case-sensitive (SQLite's is ASCII case-insensitive).
//! - `create_all` creates a table's foreign keys with it, so both ends of
//!   a many-to-many are created in the same call (or exist already), and a
//!   cycle of many-to-one references between two tables is not supported.
//! - Key lists of `selectin` and `bulk` are one array parameter (`"author_id"
//!   = ANY($1)`): one statement per level for any number of parents, unless
//!   the mapping writes `chunk_size` (then chunks, each one array).
//!   Composite keys keep row-value lists (`("a", "b") IN (($1, $2), ...)`),
//!   chunked by `chunk_size` (500 by default) as on SQLite.
//! - NaN is stored and read back (SQLite refuses to bind it).

use std::error::Error as StdError;

use std::pin::pin;

use futures_util::future::join_all;
use futures_util::TryStreamExt;
/// The blocking driver, for programs that also speak to the server without
/// eagerly (its `Config`, `Client` and errors are tokio-postgres's).
pub use postgres;
/// The driver under the backend, for what a program must name of it (a
/// configuration for [`PostgresBackend::from_config`], a driver error).
pub use tokio_postgres;
use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, Kind, ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement};

use super::{abbreviate_sql, Backend, Row};
use crate::hash::FastMap;
use crate::value::civil;
use crate::{DatabaseError, DatabaseErrorKind, Error, Result, Value, ValueRef};

/// Prepared statements kept per connection; generated SQL is a small fixed
/// set per entity, so this holds every statement of a typical application.
const STATEMENT_CACHE_CAPACITY: usize = 256;

/// The PostgreSQL backend, owning its client and the runtime that drives
/// the client's connection.
pub struct PostgresBackend {
    client: Client,
    runtime: tokio::runtime::Runtime,
    statements: FastMap<String, Statement>,
    /// Whether the connection is inside a transaction, from the
    /// transaction statements this backend ran (see `Control`). A failed
    /// statement leaves PostgreSQL's transaction open (aborted) until it is
    /// rolled back; a COMMIT ends it whatever it answers.
    in_transaction: bool,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("prepared", &self.statements.len())
            .field("in_transaction", &self.in_transaction)
            .finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://user@host:5432/database`, or the
    /// `key=value` form), without TLS.
    pub fn connect(url: &str) -> Result<Self> {
        PostgresBackend::from_config(&url.parse()?)
    }

    /// Connects with a driver configuration built by hand, without TLS.
    pub fn from_config(config: &tokio_postgres::Config) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| {
                Error::Database(DatabaseError::new(
                    DatabaseErrorKind::Other,
                    format!("cannot start the connection's runtime: {error}"),
                    Box::new(error),
                ))
            })?;
        let (client, connection) = runtime.block_on(config.connect(NoTls))?;
        // Driven whenever the runtime runs a call; it ends with the client.
        runtime.spawn(connection);
        Ok(PostgresBackend {
            client,
            runtime,
            statements: FastMap::default(),
            in_transaction: false,
        })
    }

    /// Whether the connection is closed (the server went away, or the
    /// connection failed).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// An empty query: one round trip, nothing prepared or counted.
    pub fn ping(&mut self) -> Result<()> {
        self.runtime.block_on(self.client.simple_query(""))?;
        Ok(())
    }

    /// The prepared statement of `sql`, prepared on first use.
    fn prepared(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.runtime.block_on(self.client.prepare(sql))?;
        self.remember(sql, statement.clone());
        Ok(statement)
    }

    /// Keeps `statement`, prepared for `sql`, in the cache.
    fn remember(&mut self, sql: &str, statement: Statement) {
        if self.statements.len() >= STATEMENT_CACHE_CAPACITY {
            // Any one: the cache holds the hot set long before it fills.
            if let Some(evicted) = self.statements.keys().next().cloned() {
                self.statements.remove(&evicted);
            }
        }
        self.statements.insert(sql.to_owned(), statement);
    }

    /// Notes what a statement did to the transaction, once it ran. After
    /// DDL the prepared statements are dropped: one prepared before a
    /// table changed could otherwise fail with "cached plan must not change
    /// result type" (DDL sent by other connections is not seen).
    fn track(&mut self, control: Control, ok: bool) {
        match control {
            Control::Begin if ok => self.in_transaction = true,
            Control::End => self.in_transaction = false,
            Control::Schema if ok => self.statements.clear(),
            _ => {}
        }
    }
}

/// A statement's effect on the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// `BEGIN`, `START TRANSACTION`: opens one when it succeeds.
    Begin,
    /// `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION`: the
    /// transaction is over, whatever the statement answers (a failed COMMIT
    /// rolls back). `ROLLBACK TO SAVEPOINT` is not one.
    End,
    /// `CREATE`, `ALTER`, `DROP`: may change what prepared statements
    /// read.
    Schema,
    /// Anything else, savepoints included.
    None,
}

impl Control {
    fn of(sql: &str) -> Control {
        let mut words = sql
            .split(|c: char| c.is_ascii_whitespace() || c == ';')
            .filter(|w| !w.is_empty());
        let first = words.next().unwrap_or("");
        let is = |word: &str, expected: &str| word.eq_ignore_ascii_case(expected);
        if is(first, "BEGIN")
            || (is(first, "START") && words.next().is_some_and(|w| is(w, "TRANSACTION")))
        {
            Control::Begin
        } else if is(first, "COMMIT") || is(first, "END") || is(first, "ABORT") {
            Control::End
        } else if is(first, "ROLLBACK") {
            match words.next() {
                Some(w) if is(w, "TO") => Control::None,
                Some(w) if is(w, "PREPARED") => Control::None,
                _ => Control::End,
            }
        } else if is(first, "PREPARE") && words.next().is_some_and(|w| is(w, "TRANSACTION")) {
            Control::End
        } else if is(first, "CREATE") || is(first, "ALTER") || is(first, "DROP") {
            Control::Schema
        } else {
            Control::None
        }
    }
}

impl Backend for PostgresBackend {
    fn dialect(&self) -> &'static dyn crate::sql::Dialect {
        &crate::sql::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let control = Control::of(sql);
        let result = self.prepared(sql).and_then(|statement| {
            // Streamed like a query: rows a statement may return are
            // skipped, and the count comes with its completion.
            self.runtime.block_on(async {
                let rows = self.client.query_raw(&statement, params.iter().map(Bind));
                let mut rows = pin!(rows.await?);
                while rows.try_next().await?.is_some() {}
                Ok(rows.rows_affected().unwrap_or(0))
            })
        });
        self.track(control, result.is_ok());
        result
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        let control = Control::of(sql);
        let statement = match self.prepared(sql) {
            Ok(statement) => statement,
            Err(error) => {
                self.track(control, false);
                return Err(error);
            }
        };
        let as_text = TextColumns::of(&statement);
        let result = self.runtime.block_on(async {
            let rows = self.client.query_raw(&statement, params.iter().map(Bind));
            let mut rows = pin!(rows.await?);
            while let Some(row) = rows.try_next().await? {
                on_row(&as_text.row(&row)?)?;
            }
            Ok(())
        });
        self.track(control, result.is_ok());
        result
    }

    /// Pipelined: every statement is prepared (those not cached yet in one
    /// round trip), then all are sent at once and their results read in
    /// order, each statement's rows kept until the ones before are handed
    /// over. Meant for the loaders' independent SELECTs.
    fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
        on_row: &mut dyn FnMut(usize, &dyn Row) -> Result<()>,
    ) -> Result<()> {
        // Those not prepared yet, each once (a key list's chunks of one
        // size share their SQL), prepared together in one round trip.
        let mut missing: Vec<&str> = Vec::new();
        for (sql, _) in statements {
            if !self.statements.contains_key(*sql) && !missing.contains(sql) {
                missing.push(sql);
            }
        }
        if !missing.is_empty() {
            let client = &self.client;
            let fresh = self
                .runtime
                .block_on(join_all(missing.iter().map(|sql| client.prepare(sql))));
            for (sql, statement) in missing.iter().zip(fresh) {
                self.remember(sql, statement?);
            }
        }
        let prepared = statements
            .iter()
            .map(|(sql, _)| self.prepared(sql))
            .collect::<Result<Vec<_>>>()?;
        let client = &self.client;
        let results = self
            .runtime
            .block_on(join_all(prepared.iter().zip(statements).map(
                |(statement, (_, params))| async move {
                    let rows = client.query_raw(statement, params.iter().map(Bind)).await?;
                    rows.try_collect::<Vec<_>>().await
                },
            )));
        for (index, (statement, rows)) in prepared.iter().zip(results).enumerate() {
            let as_text = TextColumns::of(statement);
            for row in rows? {
                on_row(index, &as_text.row(&row)?)?;
            }
        }
        Ok(())
    }

    fn pipelines(&self) -> bool {
        true
    }

    /// Not used on PostgreSQL, whose inserts return their keys
    /// (`RETURNING`): 0.
    fn last_insert_id(&self) -> i64 {
        0
    }

    fn transaction_open(&self) -> bool {
        self.in_transaction && !self.client.is_closed()
    }
}

// ----- binding --------------------------------------------------------------

/// A value bound by the parameter type the server declared.
#[derive(Debug)]
struct Bind<'a>(&'a Value);

type BoxError = Box<dyn StdError + Sync + Send>;

/// The refusal of a value the parameter's type cannot hold.
fn mismatch(what: &str, ty: &Type) -> BoxError {
    format!("cannot bind {what} to a parameter of type {ty}").into()
}

fn is_text(ty: &Type) -> bool {
    [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::UNKNOWN,
    ]
    .contains(ty)
}

/// The types a value eagerly carries as text is sent to in PostgreSQL's
/// text format, for the server to parse.
fn parses_text(ty: &Type) -> bool {
    [
        Type::TIMESTAMPTZ,
        Type::TIMESTAMP,
        Type::DATE,
        Type::TIME,
        Type::UUID,
        Type::JSON,
        Type::JSONB,
        Type::NUMERIC,
    ]
    .contains(ty)
}

/// The element type of a parameter that PostgreSQL parses from text.
fn text_array_element(ty: &Type) -> Option<&Type> {
    match ty.kind() {
        Kind::Array(element) if parses_text(element) => Some(element),
        _ => None,
    }
}

/// One element of an array literal: `NULL`, a number as is, a text quoted
/// with `"` and `\` escaped.
fn push_array_element(
    out: &mut bytes::BytesMut,
    value: &Value,
    element: &Type,
) -> std::result::Result<(), BoxError> {
    match value {
        Value::Null => out.extend_from_slice(b"NULL"),
        Value::Integer(i) if *element == Type::NUMERIC => {
            out.extend_from_slice(i.to_string().as_bytes())
        }
        Value::Text(text) => {
            out.extend_from_slice(b"\"");
            for byte in text.bytes() {
                if byte == b'"' || byte == b'\\' {
                    out.extend_from_slice(b"\\");
                }
                out.extend_from_slice(&[byte]);
            }
            out.extend_from_slice(b"\"");
        }
        _ => return Err(mismatch("this value", element)),
    }
    Ok(())
}

impl ToSql for Bind<'_> {
    /// Text for the types PostgreSQL parses ([`parses_text`]), and for
    /// arrays of them; binary for the rest.
    fn encode_format(&self, ty: &Type) -> Format {
        let text = match self.0 {
            Value::Text(_) => parses_text(ty),
            Value::Integer(_) => *ty == Type::NUMERIC,
            Value::List(_) => text_array_element(ty).is_some(),
            _ => false,
        };
        if text {
            Format::Text
        } else {
            Format::Binary
        }
    }

    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            &Value::Integer(i) => {
                if *ty == Type::NUMERIC {
                    out.extend_from_slice(i.to_string().as_bytes());
                    Ok(IsNull::No)
                } else if *ty == Type::INT8 {
                    i.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(i)
                        .map_err(|_| format!("integer {i} is out of range for type {ty}"))?
                        .to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(i)
                        .map_err(|_| format!("integer {i} is out of range for type {ty}"))?
                        .to_sql(ty, out)
                } else if *ty == Type::BOOL {
                    match i {
                        0 => false.to_sql(ty, out),
                        1 => true.to_sql(ty, out),
                        _ => Err(format!("integer {i} is not a boolean (0 or 1)").into()),
                    }
                } else if *ty == Type::FLOAT8 {
                    (i as f64).to_sql(ty, out)
                } else if *ty == Type::FLOAT4 {
                    (i as f32).to_sql(ty, out)
                } else {
                    Err(mismatch("an integer", ty))
                }
            }
            &Value::Real(f) => {
                if *ty == Type::FLOAT8 {
                    f.to_sql(ty, out)
                } else if *ty == Type::FLOAT4 {
                    (f as f32).to_sql(ty, out)
                } else {
                    Err(mismatch("a float", ty))
                }
            }
            Value::Text(text) if is_text(ty) || parses_text(ty) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            Value::Text(_) => Err(mismatch("text", ty)),
            Value::Blob(bytes) if *ty == Type::BYTEA => bytes.as_slice().to_sql(ty, out),
            Value::Blob(_) => Err(mismatch("bytes", ty)),
            Value::List(items) if text_array_element(ty).is_some() => {
                let element = text_array_element(ty).unwrap_or(ty);
                out.extend_from_slice(b"{");
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.extend_from_slice(b",");
                    }
                    push_array_element(out, item, element)?;
                }
                out.extend_from_slice(b"}");
                Ok(IsNull::No)
            }
            Value::List(items) => match ty.kind() {
                Kind::Array(_) => {
                    let items: Vec<Bind<'_>> = items.iter().map(Bind).collect();
                    items.as_slice().to_sql(ty, out)
                }
                _ => Err(mismatch("a list", ty)),
            },
        }
    }

    /// Every type: `to_sql` refuses what does not fit, naming the type.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

// ----- rows -----------------------------------------------------------------

/// A row, with the text forms of its columns read as text (by position,
/// `None` for NULL and for the other columns; empty when there is none).
struct PostgresRow<'a> {
    row: &'a tokio_postgres::Row,
    texts: Vec<Option<String>>,
}

/// Which columns of a statement's rows are read as text.
struct TextColumns {
    as_text: Vec<bool>,
    any: bool,
}

impl TextColumns {
    fn of(statement: &Statement) -> TextColumns {
        let as_text: Vec<bool> = statement
            .columns()
            .iter()
            .map(|column| reads_as_text(column.type_()))
            .collect();
        let any = as_text.contains(&true);
        TextColumns { as_text, any }
    }

    fn row<'r>(&self, row: &'r tokio_postgres::Row) -> Result<PostgresRow<'r>> {
        let texts = if self.any {
            texts_of(row, &self.as_text)?
        } else {
            Vec::new()
        };
        Ok(PostgresRow { row, texts })
    }
}

/// The types whose binary results are turned into eagerly's text form
/// (see [`text_form`]). `JSON` and `JSONB` arrive as text already.
fn reads_as_text(ty: &Type) -> bool {
    [
        Type::TIMESTAMPTZ,
        Type::TIMESTAMP,
        Type::DATE,
        Type::TIME,
        Type::UUID,
        Type::NUMERIC,
    ]
    .contains(ty)
}

/// The text forms of the columns marked in `as_text`.
fn texts_of(row: &tokio_postgres::Row, as_text: &[bool]) -> Result<Vec<Option<String>>> {
    let mut texts = Vec::with_capacity(as_text.len());
    for (index, &marked) in as_text.iter().enumerate() {
        texts.push(if marked {
            row.try_get::<_, Option<TextForm>>(index)?
                .map(|form| form.0)
        } else {
            None
        });
    }
    Ok(texts)
}

/// A value read by [`text_form`].
struct TextForm(String);

impl FromSql<'_> for TextForm {
    fn from_sql(ty: &Type, raw: &[u8]) -> std::result::Result<Self, BoxError> {
        text_form(ty, raw).map(TextForm)
    }

    fn accepts(ty: &Type) -> bool {
        reads_as_text(ty)
    }
}

/// PostgreSQL's epoch, 2000-01-01, in days after the Unix epoch.
const POSTGRES_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The text eagerly stores for a value of `ty`, from its binary form.
fn text_form(ty: &Type, raw: &[u8]) -> std::result::Result<String, BoxError> {
    let malformed = || -> BoxError { format!("malformed {ty} value").into() };
    if *ty == Type::TIMESTAMP || *ty == Type::TIMESTAMPTZ {
        let micros = i64::from_sql(&Type::INT8, raw)?;
        let text = match micros {
            i64::MAX => "infinity".to_owned(),
            i64::MIN => "-infinity".to_owned(),
            _ => {
                let days = micros.div_euclid(MICROS_PER_DAY) + POSTGRES_EPOCH_DAYS;
                let date = civil::Date::from_days_since_unix_epoch(days).ok_or_else(malformed)?;
                let time = civil::Time::from_micros(micros.rem_euclid(MICROS_PER_DAY))
                    .ok_or_else(malformed)?;
                if *ty == Type::TIMESTAMPTZ {
                    civil::write_timestamp_utc(date, time)
                } else {
                    civil::write_timestamp(date, time)
                }
            }
        };
        Ok(text)
    } else if *ty == Type::DATE {
        let days = i32::from_sql(&Type::INT4, raw)?;
        Ok(match days {
            i32::MAX => "infinity".to_owned(),
            i32::MIN => "-infinity".to_owned(),
            _ => {
                let date =
                    civil::Date::from_days_since_unix_epoch(i64::from(days) + POSTGRES_EPOCH_DAYS)
                        .ok_or_else(malformed)?;
                let mut text = String::with_capacity(10);
                date.write(&mut text);
                text
            }
        })
    } else if *ty == Type::TIME {
        let time =
            civil::Time::from_micros(i64::from_sql(&Type::INT8, raw)?).ok_or_else(malformed)?;
        let mut text = String::with_capacity(18);
        time.write(&mut text);
        Ok(text)
    } else if *ty == Type::UUID {
        let bytes: &[u8; 16] = raw.try_into().map_err(|_| malformed())?;
        let mut text = String::with_capacity(36);
        for (index, byte) in bytes.iter().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                text.push('-');
            }
            use std::fmt::Write;
            let _ = write!(text, "{byte:02x}");
        }
        Ok(text)
    } else if *ty == Type::NUMERIC {
        numeric_text(raw).ok_or_else(malformed)
    } else {
        Err(format!("columns of type {ty} are not read as text").into())
    }
}

/// A `NUMERIC`'s decimal digits from its binary form: a digit count, the
/// weight of the first base-10000 digit, a sign word, the display scale,
/// then the digits.
fn numeric_text(raw: &[u8]) -> Option<String> {
    let word = |index: usize| -> Option<u16> {
        Some(u16::from_be_bytes(
            raw.get(index * 2..index * 2 + 2)?.try_into().ok()?,
        ))
    };
    let count = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    let scale = usize::from(word(3)?);
    let digits: Vec<u16> = (0..count).map(|i| word(4 + i)).collect::<Option<_>>()?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Some("NaN".to_owned()),
        0xD000 => return Some("Infinity".to_owned()),
        0xF000 => return Some("-Infinity".to_owned()),
        _ => return None,
    }
    // The base-10000 digit of weight `w` (10000^w), 0 where none is sent.
    let digit_at = |w: i64| -> u16 {
        usize::try_from(weight - w)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    use std::fmt::Write;
    if weight < 0 {
        text.push('0');
    } else {
        let _ = write!(text, "{}", digit_at(weight));
        for w in (0..weight).rev() {
            let _ = write!(text, "{:04}", digit_at(w));
        }
    }
    if scale > 0 {
        text.push('.');
        let start = text.len();
        let mut w = -1;
        while text.len() - start < scale {
            let _ = write!(text, "{:04}", digit_at(w));
            w -= 1;
        }
        text.truncate(start + scale);
    }
    Some(text)
}

/// One column's value, read by its type.
struct Cell<'a>(ValueRef<'a>);

impl<'a> FromSql<'a> for Cell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Cell(if *ty == Type::INT8 {
            ValueRef::Integer(i64::from_sql(ty, raw)?)
        } else if *ty == Type::INT4 {
            ValueRef::Integer(i32::from_sql(ty, raw)?.into())
        } else if *ty == Type::INT2 {
            ValueRef::Integer(i16::from_sql(ty, raw)?.into())
        } else if *ty == Type::OID {
            ValueRef::Integer(u32::from_sql(ty, raw)?.into())
        } else if *ty == Type::BOOL {
            ValueRef::Integer(bool::from_sql(ty, raw)?.into())
        } else if *ty == Type::FLOAT8 {
            ValueRef::Real(f64::from_sql(ty, raw)?)
        } else if *ty == Type::FLOAT4 {
            ValueRef::Real(f32::from_sql(ty, raw)?.into())
        } else if is_text(ty) {
            // Text arrives as its bytes; the field's type checks UTF-8.
            ValueRef::Text(raw)
        } else if *ty == Type::BYTEA {
            ValueRef::Blob(raw)
        } else if *ty == Type::JSON {
            ValueRef::Text(raw)
        } else if *ty == Type::JSONB {
            // A version byte, 1, before the document's text.
            match raw.split_first() {
                Some((1, text)) => ValueRef::Text(text),
                _ => return Err("JSONB in an unknown version".into()),
            }
        } else if reads_as_text(ty) {
            // Read by `texts_of` before the row is handed on.
            return Err(format!("a {ty} value is read as its text").into());
        } else {
            return Err(format!("columns of type {ty} are not supported").into());
        }))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Cell(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl Row for PostgresRow<'_> {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        if let Some(Some(text)) = self.texts.get(index) {
            return Ok(ValueRef::Text(text.as_bytes()));
        }
        Ok(self.row.try_get::<_, Cell<'_>>(index)?.0)
    }
}

// ----- errors ---------------------------------------------------------------

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        Error::Database(database_error(error))
    }
}

/// The advice for failures a retry of the whole transaction cures.
const RETRY_HINT: &str = "retry the whole transaction";

/// Classifies a driver error by SQLSTATE and reads the names PostgreSQL
/// reports with it.
fn database_error(error: tokio_postgres::Error) -> DatabaseError {
    use tokio_postgres::error::SqlState;
    let Some(db) = error.as_db_error() else {
        // Not from the server: a value that could not be bound, a closed
        // connection, a wrong parameter count. The driver's Display leaves
        // the cause to `source()`: "error serializing parameter 0".
        let mut message = error.to_string();
        if let Some(cause) = error.source() {
            message = format!("{message}: {cause}");
        }
        let message = abbreviate_sql(&message).into_owned();
        return DatabaseError::new(DatabaseErrorKind::Other, message, Box::new(error));
    };
    let code = db.code().clone();
    let kind = match code {
        SqlState::UNIQUE_VIOLATION => DatabaseErrorKind::UniqueViolation,
        SqlState::FOREIGN_KEY_VIOLATION => DatabaseErrorKind::ForeignKeyViolation,
        SqlState::NOT_NULL_VIOLATION => DatabaseErrorKind::NotNullViolation,
        SqlState::CHECK_VIOLATION => DatabaseErrorKind::CheckViolation,
        SqlState::T_R_SERIALIZATION_FAILURE => DatabaseErrorKind::SerializationFailure,
        SqlState::T_R_DEADLOCK_DETECTED => DatabaseErrorKind::Deadlock,
        SqlState::LOCK_NOT_AVAILABLE => DatabaseErrorKind::Busy,
        _ => DatabaseErrorKind::Other,
    };
    let message = abbreviate_sql(db.message()).into_owned();
    let constraint = db.constraint().map(str::to_owned);
    let table = db.table().map(str::to_owned);
    let columns: Vec<String> = match (kind, db.column(), db.detail()) {
        (_, Some(column), _) => vec![column.to_owned()],
        // "Key (a, b)=(1, 2) already exists." A foreign key's detail names
        // the referencing table's columns only when the inserted or updated
        // row is the culprit ("... is not present in table"), not when a
        // referenced row is deleted.
        (DatabaseErrorKind::UniqueViolation, None, Some(detail)) => key_columns(detail),
        (DatabaseErrorKind::ForeignKeyViolation, None, Some(detail))
            if detail.contains("is not present in table") =>
        {
            key_columns(detail)
        }
        _ => Vec::new(),
    };
    let mut database_error =
        DatabaseError::new(kind, message, Box::new(error)).with_code(code.code());
    if let Some(constraint) = constraint {
        database_error = database_error.with_constraint(constraint);
    }
    if let Some(table) = table {
        database_error = database_error.with_table(table);
    }
    if !columns.is_empty() {
        database_error = database_error.with_columns(columns);
    }
    if matches!(
        kind,
        DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::Deadlock
    ) {
        database_error = database_error.with_hint(RETRY_HINT);
    }
    database_error
}

/// The columns of a key detail, `Key (a, b)=(...) ...`; none when the
/// detail reads otherwise (or names an expression).
fn key_columns(detail: &str) -> Vec<String> {
    let Some(rest) = detail.strip_prefix("Key (") else {
        return Vec::new();
    };
    let Some((columns, _)) = rest.split_once(")=(") else {
        return Vec::new();
    };
    if columns.contains('(') {
        return Vec::new();
    }
    columns
        .split(", ")
        .map(|c| c.trim_matches('"').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_statements_are_recognised() {
        assert_eq!(Control::of("BEGIN"), Control::Begin);
        assert_eq!(
            Control::of("  begin isolation level serializable"),
            Control::Begin
        );
        assert_eq!(Control::of("START TRANSACTION"), Control::Begin);
        assert_eq!(Control::of("COMMIT"), Control::End);
        assert_eq!(Control::of("ROLLBACK"), Control::End);
        assert_eq!(Control::of("rollback;"), Control::End);
        assert_eq!(
            Control::of("ROLLBACK TO SAVEPOINT eagerly_sp1"),
            Control::None
        );
        assert_eq!(Control::of("SAVEPOINT eagerly_sp1"), Control::None);
        assert_eq!(Control::of("RELEASE SAVEPOINT eagerly_sp1"), Control::None);
        assert_eq!(Control::of("SELECT 1"), Control::None);
        assert_eq!(Control::of("PREPARE TRANSACTION 'x'"), Control::End);
        assert_eq!(Control::of("PREPARE stmt AS SELECT 1"), Control::None);
        assert_eq!(
            Control::of("ALTER TABLE t ADD COLUMN c INT"),
            Control::Schema
        );
        assert_eq!(Control::of("drop table t"), Control::Schema);
    }

    /// A NUMERIC's binary form: the words after the header are base-10000
    /// digits.
    fn numeric(weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let mut raw = Vec::new();
        for word in [digits.len() as u16, weight as u16, sign, scale]
            .into_iter()
            .chain(digits.iter().copied())
        {
            raw.extend_from_slice(&word.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numerics_read_as_their_digits_with_their_scale() {
        // 12345678.9: weight 1 (10000^1), digits 1234 5678 9000, scale 1.
        assert_eq!(
            numeric_text(&numeric(1, 0, 1, &[1234, 5678, 9000])).unwrap(),
            "12345678.9"
        );
        // -0.0012: the first digit is of weight -1, scale 4.
        assert_eq!(
            numeric_text(&numeric(-1, 0x4000, 4, &[12])).unwrap(),
            "-0.0012"
        );
        // 1.50 keeps its trailing zero; 0.00001 needs a digit of weight -2.
        assert_eq!(numeric_text(&numeric(0, 0, 2, &[1, 5000])).unwrap(), "1.50");
        assert_eq!(
            numeric_text(&numeric(-2, 0, 5, &[1000])).unwrap(),
            "0.00001"
        );
        // 20000: trailing zero digits are not sent.
        assert_eq!(numeric_text(&numeric(1, 0, 0, &[2])).unwrap(), "20000");
        assert_eq!(numeric_text(&numeric(0, 0, 0, &[])).unwrap(), "0");
        assert_eq!(numeric_text(&numeric(0, 0xC000, 0, &[])).unwrap(), "NaN");
        assert_eq!(numeric_text(&[0, 1]), None);
    }

    #[test]
    fn dates_and_times_read_as_the_text_sqlite_stores() {
        let text = |ty: &Type, raw: &[u8]| text_form(ty, raw).unwrap();
        // 2000-01-01 is 0 on both counts; one microsecond before it.
        assert_eq!(
            text(&Type::TIMESTAMPTZ, &(-1i64).to_be_bytes()),
            "1999-12-31 23:59:59.999999000Z"
        );
        assert_eq!(
            text(&Type::TIMESTAMP, &86_400_000_001i64.to_be_bytes()),
            "2000-01-02 00:00:00.000001000"
        );
        assert_eq!(text(&Type::TIMESTAMP, &i64::MAX.to_be_bytes()), "infinity");
        assert_eq!(
            text(&Type::DATE, &(-730_119i32).to_be_bytes()),
            "0001-01-01"
        );
        assert_eq!(text(&Type::DATE, &i32::MIN.to_be_bytes()), "-infinity");
        assert_eq!(
            text(&Type::TIME, &45_296_000_007i64.to_be_bytes()),
            "12:34:56.000007000"
        );
        assert_eq!(
            text(
                &Type::UUID,
                &[
                    0x67, 0xe5, 0x50, 0x44, 0x10, 0xb1, 0x42, 0x6f, 0x92, 0x47, 0xbb, 0x68, 0x0e,
                    0x5f, 0xe0, 0xc8
                ]
            ),
            "67e55044-10b1-426f-9247-bb680e5fe0c8"
        );
        assert!(text_form(&Type::UUID, &[1, 2]).is_err());
    }

    #[test]
    fn key_details_name_their_columns() {
        assert_eq!(key_columns("Key (name)=(Ann) already exists."), ["name"]);
        assert_eq!(key_columns("Key (a, b)=(1, 2) already exists."), ["a", "b"]);
        assert_eq!(
            key_columns("Key (lower(name))=(ann) already exists."),
            Vec::<String>::new()
        );
        assert_eq!(
            key_columns("Failing row contains (1)."),
            Vec::<String>::new()
        );
    }
}
