//! SQL text when the query builder does not cover a query: rows into
//! entities (through the identity map, eager relations loaded after) or
//! into tuples, parameters from plain Rust values. Every statement goes
//! through the session's one gate, so it is logged and counted.

use crate::Handle;

use super::Session;
use crate::loader::{Cascade, LoadPlan, Pending};
use crate::value::Row;
use crate::{ColumnType, Entity, Error, Result, Value};

/// A row read into a tuple of column types, by position:
/// `session.query_as::<(i64, String)>(..)`.
pub trait FromSqlRow: Sized {
    /// Reads the row's first columns, one per element.
    fn from_sql_row(row: &dyn Row) -> Result<Self>;
}

macro_rules! tuple_from_row {
    ($($name:ident $index:tt),+) => {
        impl<$($name: ColumnType),+> FromSqlRow for ($($name,)+) {
            fn from_sql_row(row: &dyn Row) -> Result<Self> {
                Ok(($(
                    $name::from_value(row.value($index)?).map_err(|failure| Error::Decode {
                        table: "(raw query)",
                        column: stringify!($index),
                        expected: failure.expected,
                        found: failure.found,
                    })?,
                )+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);

impl Session {
    /// Objects of `E` from SQL text whose select list is `E`'s columns in
    /// the mapping's order (`SELECT * FROM "books" WHERE ...` on a table
    /// `create_all` made, or the columns named): each row is looked up in
    /// the identity map by its key or decoded and registered, as a query's
    /// rows are, then the mapping's eager relations load (`selectin` as
    /// usual; a `joined` relation, which raw SQL cannot carry, by `IN`
    /// statements). Parameters bind in order: `params![3, "war"]`, written
    /// with the dialect's placeholders (`?` on SQLite, `$1` on PostgreSQL).
    pub fn query_sql<E: Entity>(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Handle<E>>> {
        let mut objects: Vec<Handle<E>> = Vec::new();
        self.engine.identity.sweep_due();
        self.engine.stream(sql, params, &mut |cx, row| {
            let key = E::key_from_row(row, 0)?;
            let object = cx
                .identity
                .typed_mut::<E>()
                .get_or_decode(key, || E::from_row(row, 0))?;
            objects.push(object);
            Ok(())
        })?;
        let mut cascade = Cascade::default();
        cascade.push(Pending::new(objects.clone(), &[], None, Vec::new()));
        self.engine.run_plan(&mut LoadPlan::new(None, cascade))?;
        Ok(objects)
    }

    /// Rows of SQL text read into tuples of column types, by position:
    /// `session.query_as::<(i64, String)>("SELECT id, name FROM authors", &[])`.
    /// A value that does not fit its element's type is [`Error::Decode`].
    pub fn query_as<R: FromSqlRow>(&mut self, sql: &str, params: &[Value]) -> Result<Vec<R>> {
        let mut rows = Vec::new();
        self.engine.stream(sql, params, &mut |_, row| {
            rows.push(R::from_sql_row(row)?);
            Ok(())
        })?;
        Ok(rows)
    }
}
