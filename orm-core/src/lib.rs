//! Runtime of [eagerly](https://docs.rs/eagerly): the session, its identity
//! map and statement log, typed queries, and the traits the derive
//! implements. Use it through the `eagerly` facade crate.

#![warn(missing_docs)]

#[cfg(feature = "async")]
mod asynchronous;
pub mod backend;
mod changes;
mod column;
mod engine;
mod error;
mod filter;
mod handle;
mod hash;
mod isolation;
pub mod loader;
mod options;
mod query;
pub mod relation;
mod schema;
#[cfg(feature = "serde")]
mod serialize;
mod session;
mod sql;
mod value;

#[cfg(feature = "async")]
pub use asynchronous::AsyncSession;
#[cfg(feature = "deadpool")]
pub use asynchronous::{AsyncPool, AsyncPoolError, AsyncSessionManager};
pub use changes::Changes;
pub use column::Column;
pub use engine::{LazyLoads, NPlusOneGuard};
pub use error::{DatabaseError, DatabaseErrorKind, Error, Result};
pub use filter::{Filter, OrderBy};
pub use handle::{Handle, List, WeakHandle};
pub use isolation::Isolation;
pub use loader::{
    all_relations, bulk, defaultload, joined, noload, raise, raise_on_sql, select, selectin,
    selectin_recursive, AllRelations, Entity, Explain, LoadOption, PlannedStep, StepAction,
    StepCost,
};
pub use query::Query;
pub use relation::{Collection, Dynamic, LoadState, Many, One, Relation};
pub use schema::{ColumnMeta, EntityMeta, OnDelete, Record, RelationKind, RelationMeta, Strategy};
pub use session::{
    FromSqlRow, LoggedStatement, RetryEvent, RetryPolicy, Session, TransactionOptions,
    DEFAULT_LOG_CAPACITY,
};
pub use sql::{Dialect, Postgres, Sql, Sqlite};
pub use value::{ColumnType, DecodeFailure, IntoColumnValue, Row, SqlType, Value, ValueRef};

/// Items the derive's generated code uses; not a public API.
/// The parameters of a raw statement from plain Rust values, in order:
/// `session.query_sql::<Book>("SELECT * FROM books WHERE author_id = ? AND title LIKE ?", params![3, "%war%"])`.
/// Each value converts with `Value::from` (integers, `f64`, `bool`,
/// strings, bytes, and `Option`s of them, `None` binding NULL).
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::Value::from($value)),*][..]
    };
}

/// Without the feature `serde`, the derive's call writes nothing.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __entity_serde {
    ($($anything:tt)*) => {};
}

#[doc(hidden)]
pub mod __private {
    pub use crate::loader::ErasedRelation;
    pub use crate::relation::registry::RelationIndex;
    pub use crate::relation::{ForeignKey, Link};
    pub use crate::schema::{ColumnMetaParts, EntityMetaParts, RelationCell, RelationMetaParts};
    #[cfg(feature = "serde")]
    pub use crate::serialize::{AsStored, SerdeVisit};
    pub use crate::value::Row;
    #[cfg(feature = "serde")]
    pub use serde;
    pub use std::sync::{Arc, OnceLock};

    use std::marker::PhantomData;

    use crate::{DecodeFailure, Error, Result, ValueRef};

    /// Whether `Self` has a column field named `Name` (a marker type named
    /// after the field). Nothing implements it: an entity's column constants
    /// are inherent, and this bound is met only by [`NoColumn`], the stand-in
    /// a relation falls back to when the target has no such constant.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no field `{Name}`",
        label = "not a field of `{Self}`",
        note = "a relationship's `foreign_key` (on the target) and `order_by` name fields of the target entity"
    )]
    pub trait HasField<Name> {}

    /// The value of a field that does not exist. Nothing implements it, so
    /// [`NoColumn::value`] is never called.
    pub trait Absent {
        /// Never called.
        fn absent<'a>() -> &'a mut Self;
    }

    /// What a relation reads of a target without a column constant of that
    /// name. Its methods need bounds nothing meets, so they are never called:
    /// where the target is not an entity they stay silent next to that
    /// error, and where it is one `name` reports the missing field
    /// (once: only it names `HasField`).
    pub struct NoColumn<T: ?Sized, Name>(PhantomData<fn(&T)>, PhantomData<Name>);

    impl<T: ?Sized, Name> NoColumn<T, Name> {
        /// The stand-in.
        pub const NEW: Self = NoColumn(PhantomData, PhantomData);

        /// Never called.
        pub const fn name(&self) -> &'static str
        where
            T: HasField<Name>,
        {
            ""
        }

        /// Never called.
        pub fn value<'e, V: Absent>(&self, _entity: &'e T) -> &'e V {
            V::absent()
        }

        /// Never called.
        pub fn value_mut<'e, V: Absent>(&self, _entity: &'e mut T) -> &'e mut V {
            V::absent()
        }
    }

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
