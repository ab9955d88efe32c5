//! Values crossing the boundary between Rust fields and SQL columns.

use std::fmt;

/// An owned SQL value, as bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
    /// A list of values bound as *one* parameter, which the backend binds
    /// natively: on SQLite through rusqlite's `rarray` table-valued
    /// function (`"col" IN rarray(?)`), later on PostgreSQL as an array
    /// (`"col" = ANY($1)`). Large `IN` filters use it, so a list of any
    /// length costs one parameter and one statement shape. It is not a
    /// column value: [`ColumnType::to_value`] never returns it, and it only
    /// has a meaning where the SQL reads the parameter as a list.
    List(Vec<Value>),
}

/// A borrowed SQL value, as read from a result row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL `NULL`.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// Text bytes as stored; they may not be valid UTF-8.
    Text(&'a [u8]),
    /// Raw bytes.
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    /// The storage class of this value, as SQLite names it.
    pub fn storage_class(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "INTEGER",
            ValueRef::Real(_) => "REAL",
            ValueRef::Text(_) => "TEXT",
            ValueRef::Blob(_) => "BLOB",
        }
    }

    /// Copies the value into an owned [`Value`].
    pub fn to_owned_value(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// The SQL type a column is declared with in generated DDL, and the type a
/// parameter binds as. Each [`Dialect`](crate::Dialect) names it its own way:
/// SQLite declares every integer (and `bool`) `INTEGER` and every text form
/// `TEXT`, PostgreSQL tells the widths apart (`BIGINT`, `INTEGER`,
/// `SMALLINT`) and has native date/time, `UUID`, `JSONB` and `NUMERIC`
/// types. The README's "Column types" table maps each Rust type.
///
/// New types may be added; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlType {
    /// A 64-bit integer (`i64`, and `u32`, whose range needs 64 bits):
    /// SQLite `INTEGER`, PostgreSQL `BIGINT`.
    Integer,
    /// A 32-bit integer (`i32`, and `u16`, whose range needs more than 16
    /// bits): SQLite `INTEGER`, PostgreSQL `INTEGER`.
    Int32,
    /// A 16-bit integer (`i16`, and `u8`, PostgreSQL having no 8-bit
    /// integer): SQLite `INTEGER`, PostgreSQL `SMALLINT`.
    SmallInt,
    /// A boolean (`bool`): SQLite `INTEGER` holding 0 or 1, PostgreSQL
    /// `BOOLEAN`.
    Boolean,
    /// A 64-bit float: SQLite `REAL`, PostgreSQL `DOUBLE PRECISION`.
    Real,
    /// A 32-bit float (`f32`): SQLite `REAL` (a 64-bit float, which holds
    /// every `f32` exactly), PostgreSQL `REAL`.
    Real32,
    /// `TEXT`.
    Text,
    /// `BLOB`.
    Blob,
    /// A date and time of day without a zone (`chrono::NaiveDateTime`,
    /// `time::PrimitiveDateTime`): SQLite `TEXT` as
    /// `YYYY-MM-DD HH:MM:SS.fffffffff`, PostgreSQL `TIMESTAMP`.
    Timestamp,
    /// An instant (`chrono::DateTime<Utc>`, `time::OffsetDateTime`): SQLite
    /// `TEXT` in UTC as `YYYY-MM-DD HH:MM:SS.fffffffffZ`, PostgreSQL
    /// `TIMESTAMPTZ`.
    TimestampTz,
    /// A calendar date (`chrono::NaiveDate`, `time::Date`): SQLite `TEXT` as
    /// `YYYY-MM-DD`, PostgreSQL `DATE`.
    Date,
    /// A time of day (`chrono::NaiveTime`, `time::Time`): SQLite `TEXT` as
    /// `HH:MM:SS.fffffffff`, PostgreSQL `TIME`.
    Time,
    /// A UUID (`uuid::Uuid`): SQLite `TEXT` in its hyphenated lower-case
    /// form, PostgreSQL `UUID`.
    Uuid,
    /// A JSON document (`serde_json::Value`): SQLite `TEXT`, PostgreSQL
    /// `JSONB`.
    Json,
    /// An exact decimal number (`rust_decimal::Decimal`): SQLite `TEXT`
    /// (its digits, so it stays exact), PostgreSQL `NUMERIC`.
    Decimal,
}

impl SqlType {
    /// The type name SQLite's `CREATE TABLE` uses (see
    /// [`Dialect::column_type`](crate::Dialect::column_type) for the others).
    /// Text forms are declared `TEXT` rather than `DATE` or `NUMERIC`: such
    /// names give SQLite's NUMERIC affinity, which would turn the text
    /// `1.50` of a decimal into the float 1.5.
    pub const fn ddl_name(self) -> &'static str {
        match self {
            SqlType::Integer | SqlType::Int32 | SqlType::SmallInt | SqlType::Boolean => "INTEGER",
            SqlType::Real | SqlType::Real32 => "REAL",
            SqlType::Text
            | SqlType::Timestamp
            | SqlType::TimestampTz
            | SqlType::Date
            | SqlType::Time
            | SqlType::Uuid
            | SqlType::Json
            | SqlType::Decimal => "TEXT",
            SqlType::Blob => "BLOB",
        }
    }
}

/// Why a database value could not become a field value; the caller adds the
/// table and column to make it an [`Error::Decode`](crate::Error::Decode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The Rust type the column is mapped to.
    pub expected: &'static str,
    /// What the database held instead (a storage class, or a description).
    pub found: String,
}

impl DecodeFailure {
    /// A failure for a value of the wrong storage class.
    pub fn wrong_class(expected: &'static str, found: ValueRef<'_>) -> Self {
        DecodeFailure {
            expected,
            found: found.storage_class().to_owned(),
        }
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

/// A Rust type that can be stored in one SQL column.
///
/// Implemented for `i16`, `i32`, `i64`, `u8`, `u16`, `u32`, `f32`, `f64`,
/// `bool`, `String`, `Vec<u8>`, behind cargo features for
/// `chrono::{DateTime<Utc>, NaiveDateTime, NaiveDate, NaiveTime}`
/// (`chrono`), `time::{OffsetDateTime, PrimitiveDateTime, Date, Time}`
/// (`time`), `uuid::Uuid` (`uuid`), `serde_json::Value` (`json`) and
/// `rust_decimal::Decimal` (`decimal`), and for `Option<T>` of each (the
/// README's "Column types" table says how each engine stores them).
/// `u64`, `usize` and the 128-bit integers are not: SQLite's and
/// PostgreSQL's integers are signed and at most 64 bits wide.
///
/// Implement it for your own type to map it; the derive checks every
/// non-relation field against this trait at compile time. A newtype
/// forwards to the type it wraps:
///
/// ```
/// # extern crate orm_core as eagerly;
/// use eagerly::{ColumnType, DecodeFailure, SqlType, Value, ValueRef};
///
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// pub struct Cents(pub i64);
///
/// impl ColumnType for Cents {
///     const SQL_TYPE: SqlType = SqlType::Integer;
///     fn to_value(&self) -> Value {
///         Value::Integer(self.0)
///     }
///     fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
///         i64::from_value(value).map(Cents)
///     }
/// }
/// ```
///
/// An enum is stored as text (or, the same way, as an integer of its
/// choosing with `SqlType::SmallInt` and `i16`): one name per variant, and
/// a [`DecodeFailure`] for a name it does not know.
///
/// ```
/// # extern crate orm_core as eagerly;
/// use eagerly::{ColumnType, DecodeFailure, SqlType, Value, ValueRef};
///
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// pub enum Status { Draft, Published }
///
/// impl ColumnType for Status {
///     const SQL_TYPE: SqlType = SqlType::Text;
///     fn to_value(&self) -> Value {
///         Value::from(match self { Status::Draft => "draft", Status::Published => "published" })
///     }
///     fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
///         match String::from_value(value)?.as_str() {
///             "draft" => Ok(Status::Draft),
///             "published" => Ok(Status::Published),
///             other => Err(DecodeFailure { expected: "Status", found: format!("TEXT {other:?}") }),
///         }
///     }
/// }
/// ```
///
/// Filters take the enum itself (`Post::STATUS.eq(Status::Draft)`), as
/// [`IntoColumnValue`] holds for every `ColumnType`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be mapped to a column",
    label = "unsupported column type",
    note = "supported column types are i16, i32, i64, u8, u16, u32, f32, f64, bool, String, Vec<u8>, the date/time, uuid, JSON and decimal types of the features `chrono`, `time`, `uuid`, `json`, `decimal`, and Option<T> of each",
    note = "u64, usize and 128-bit integers are not supported: SQLite and PostgreSQL integers are signed and at most 64 bits wide; use i64 (or u32 when the values fit), or rust_decimal::Decimal for the whole u64 range",
    note = "implement `eagerly::ColumnType` for `{Self}` to map it, or use a relation type for a relationship field"
)]
pub trait ColumnType: Sized + Send + Sync + 'static {
    /// The type declared in DDL.
    const SQL_TYPE: SqlType;
    /// Whether `NULL` is a valid value (only `Option<T>` says yes).
    const NULLABLE: bool = false;
    /// Converts the field value into a bindable value, a scalar (never
    /// [`Value::List`]).
    fn to_value(&self) -> Value;
    /// Converts a value read from the database, refusing what does not fit.
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure>;
}

impl ColumnType for i64 {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_value(&self) -> Value {
        Value::Integer(*self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Integer(i) => Ok(i),
            other => Err(DecodeFailure::wrong_class("i64", other)),
        }
    }
}

macro_rules! narrow_integer {
    ($($ty:ident => $sql_type:ident),*) => {$(
        impl ColumnType for $ty {
            const SQL_TYPE: SqlType = SqlType::$sql_type;
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
            fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
                match value {
                    ValueRef::Integer(i) => $ty::try_from(i).map_err(|_| DecodeFailure {
                        expected: stringify!($ty),
                        found: format!("INTEGER {i} (out of range)"),
                    }),
                    other => Err(DecodeFailure::wrong_class(stringify!($ty), other)),
                }
            }
        }
    )*};
}
// Each unsigned type takes the next signed width: PostgreSQL's integers
// are signed.
narrow_integer!(i32 => Int32, u32 => Integer, i16 => SmallInt, u8 => SmallInt, u16 => Int32);

impl ColumnType for f64 {
    const SQL_TYPE: SqlType = SqlType::Real;
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Real(f) => Ok(f),
            // A REAL column hands back whole numbers written as integers.
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(DecodeFailure::wrong_class("f64", other)),
        }
    }
}

/// Stored as a 64-bit float, which holds every `f32` exactly, so what was
/// written reads back bit for bit (infinities included; NaN as `f64` NaN
/// does). A value written by other means is rounded to the nearest `f32`,
/// except a finite one beyond `f32`'s range, which is refused rather than
/// read as an infinity.
impl ColumnType for f32 {
    const SQL_TYPE: SqlType = SqlType::Real32;
    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        let wide = f64::from_value(value).map_err(|failure| DecodeFailure {
            expected: "f32",
            ..failure
        })?;
        let narrow = wide as f32;
        if narrow.is_infinite() && wide.is_finite() {
            return Err(DecodeFailure {
                expected: "f32",
                found: format!("REAL {wide:e} (out of range)"),
            });
        }
        Ok(narrow)
    }
}

impl ColumnType for bool {
    const SQL_TYPE: SqlType = SqlType::Boolean;
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Integer(0) => Ok(false),
            ValueRef::Integer(1) => Ok(true),
            ValueRef::Integer(i) => Err(DecodeFailure {
                expected: "bool",
                found: format!("INTEGER {i} (not 0 or 1)"),
            }),
            other => Err(DecodeFailure::wrong_class("bool", other)),
        }
    }
}

impl ColumnType for String {
    const SQL_TYPE: SqlType = SqlType::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Text(bytes) => String::from_utf8(bytes.to_vec()).map_err(|_| DecodeFailure {
                expected: "String",
                found: "TEXT that is not valid UTF-8".to_owned(),
            }),
            other => Err(DecodeFailure::wrong_class("String", other)),
        }
    }
}

impl ColumnType for Vec<u8> {
    const SQL_TYPE: SqlType = SqlType::Blob;
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
            other => Err(DecodeFailure::wrong_class("Vec<u8>", other)),
        }
    }
}

impl<T: ColumnType> ColumnType for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A value that may be compared with a column of type `T`.
///
/// `T` itself qualifies, `&str` qualifies for `String` columns, and any plain
/// value qualifies for the `Option` of its type, so `Author::NAME.eq("Ann")`
/// and `Book::AUTHOR_ID.eq(3)` read naturally while comparing a `String`
/// column with an integer does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be compared with a column of type `{T}`",
    label = "expected a value of type `{T}`"
)]
pub trait IntoColumnValue<T> {
    /// Converts into the bound value.
    fn into_column_value(self) -> Value;
}

impl<T: ColumnType> IntoColumnValue<T> for T {
    fn into_column_value(self) -> Value {
        self.to_value()
    }
}

impl<T: ColumnType> IntoColumnValue<T> for &T {
    fn into_column_value(self) -> Value {
        self.to_value()
    }
}

impl IntoColumnValue<String> for &str {
    fn into_column_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl IntoColumnValue<Option<String>> for &str {
    fn into_column_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

macro_rules! plain_into_option {
    ($($ty:ty),*) => {$(
        impl IntoColumnValue<Option<$ty>> for $ty {
            fn into_column_value(self) -> Value {
                self.to_value()
            }
        }
    )*};
}
plain_into_option!(i16, i32, i64, u8, u16, u32, f32, f64, bool, String, Vec<u8>);

/// Plain Rust values as bound parameters, for [`Session::execute`],
/// [`Session::query_sql`] and [`Session::query_as`] (see [`params!`]):
/// `None` binds NULL.
///
/// [`Session::execute`]: crate::Session::execute
/// [`Session::query_sql`]: crate::Session::query_sql
/// [`Session::query_as`]: crate::Session::query_as
/// [`params!`]: crate::params
macro_rules! value_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Value {
            fn from(value: $ty) -> Value {
                value.to_value()
            }
        }
        impl From<Option<$ty>> for Value {
            fn from(value: Option<$ty>) -> Value {
                value.map_or(Value::Null, |v| v.to_value())
            }
        }
    )*};
}
value_from!(i16, i32, i64, u8, u16, u32, f32, f64, bool, String, Vec<u8>);

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<&[u8]> for Value {
    fn from(value: &[u8]) -> Value {
        Value::Blob(value.to_vec())
    }
}

/// One row of a result set, read by column position.
pub trait Row {
    /// The value at `index` (0-based) in the select list.
    fn value(&self, index: usize) -> crate::Result<ValueRef<'_>>;
}

/// Column values held in memory, read as a row: how an object is built from
/// values it was not read with (a partial update, a saved graph).
pub(crate) struct ValuesRow<'a>(pub(crate) &'a [Value]);

impl Row for ValuesRow<'_> {
    fn value(&self, index: usize) -> crate::Result<ValueRef<'_>> {
        Ok(match self.0.get(index) {
            Some(Value::Integer(n)) => ValueRef::Integer(*n),
            Some(Value::Real(x)) => ValueRef::Real(*x),
            Some(Value::Text(text)) => ValueRef::Text(text.as_bytes()),
            Some(Value::Blob(bytes)) => ValueRef::Blob(bytes),
            Some(Value::Null) | None => ValueRef::Null,
            Some(Value::List(_)) => {
                return Err(crate::Error::Misuse("a list is not a column value".into()))
            }
        })
    }
}

// After the macros above, which `types` uses too.
#[cfg(any(feature = "chrono", feature = "time", feature = "postgres"))]
// Parsing serves the features, the binary conversions PostgreSQL; each
// without the other leaves some unused.
#[cfg_attr(
    not(all(feature = "postgres", any(feature = "chrono", feature = "time"))),
    allow(dead_code)
)]
pub(crate) mod civil;
mod types;
