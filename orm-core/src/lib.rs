//! Runtime of [eagerly](https://docs.rs/eagerly): the session, its identity
//! map and statement log, typed queries, and the traits the derive
//! implements. Use it through the `eagerly` facade crate.

#![warn(missing_docs)]

pub mod backend;
mod column;
mod entity;
mod error;
mod hash;
pub mod loader;
mod query;
pub mod relation;
mod session;
mod value;

pub use column::Column;
pub use entity::{ColumnMeta, Entity, EntityMeta, EntitySql};
pub use error::{DatabaseError, DatabaseErrorKind, Error, Result};
pub use loader::{bulk, joined, noload, raise, select, selectin, LoadOption, NPlusOneGuard};
pub use query::{Filter, OrderBy, Query};
pub use relation::{Dynamic, LoadState, Many, One, Relation, RelationKind, RelationMeta, Strategy};
pub use session::{LoggedStatement, Session, DEFAULT_LOG_CAPACITY};
pub use value::{ColumnType, DecodeFailure, IntoColumnValue, SqlType, Value, ValueRef};

/// Items the derive's generated code uses; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::Row;
    pub use crate::entity::{ColumnMetaParts, EntityMetaParts, EntitySqlParts};
    pub use crate::loader::{ErasedRelation, RelationSql};
    pub use crate::relation::{ForeignKey, Link, RelationMetaParts};
    pub use std::sync::{Arc, OnceLock};

    use crate::{DecodeFailure, Error, Result, ValueRef};

    /// Decodes column `index` of `row` with `from_value` (the field type's
    /// `ColumnType::from_value`), naming table and column on failure. No
    /// trait bound here, so an unsupported type is reported once, at the field.
    #[inline]
    pub fn decode<T>(
        row: &dyn Row,
        index: usize,
        table: &'static str,
        column: &'static str,
        from_value: fn(ValueRef<'_>) -> std::result::Result<T, DecodeFailure>,
    ) -> Result<T> {
        from_value(row.value(index)?).map_err(|failure| Error::Decode {
            table,
            column,
            expected: failure.expected,
            found: failure.found,
        })
    }

    /// Converts a database-assigned rowid into the key field's type.
    pub fn assigned_key<T: TryFrom<i64>>(
        id: i64,
        table: &'static str,
        column: &'static str,
        expected: &'static str,
    ) -> Result<T> {
        T::try_from(id).map_err(|_| Error::Decode {
            table,
            column,
            expected,
            found: format!("assigned key {id} (out of range)"),
        })
    }
}
