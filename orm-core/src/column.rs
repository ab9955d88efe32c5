//! Typed column constants such as `Author::NAME`.

use std::marker::PhantomData;

use crate::filter::{CompareOp, Expr, Filter, OrderBy};
use crate::value::IntoColumnValue;
use crate::Value;

/// The column of entity `E` holding values of type `T`; the derive makes one
/// constant per field. Comparisons build [`Filter`]s whose values are bound
/// parameters.
pub struct Column<E, T> {
    name: &'static str,
    index: usize,
    get: fn(&E) -> &T,
    get_mut: fn(&mut E) -> &mut T,
    _types: PhantomData<fn() -> (E, T)>,
}

impl<E, T> Clone for Column<E, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E, T> Copy for Column<E, T> {}

impl<E, T> std::fmt::Debug for Column<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("index", &self.index)
            .finish()
    }
}

impl<E, T> Column<E, T> {
    /// Used by the derive: the column's name, its position in the
    /// entity's select list, and its field.
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        index: usize,
        get: fn(&E) -> &T,
        get_mut: fn(&mut E) -> &mut T,
    ) -> Self {
        Column {
            name,
            index,
            get,
            get_mut,
            _types: PhantomData,
        }
    }

    /// This column's field of `entity`.
    pub fn value<'e>(&self, entity: &'e E) -> &'e T {
        (self.get)(entity)
    }

    /// This column's field of `entity`, to change it.
    pub fn value_mut<'e>(&self, entity: &'e mut E) -> &'e mut T {
        (self.get_mut)(entity)
    }

    /// The column's name in the database.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The column's position in the entity's select list.
    pub const fn index(&self) -> usize {
        self.index
    }

    fn compare(self, op: CompareOp, value: impl IntoColumnValue<T>) -> Filter<E> {
        Filter::new(Expr::Compare {
            column: self.name,
            op,
            value: value.into_column_value(),
        })
    }

    /// `column = value`; comparing an `Option` column with `None` gives `IS NULL`.
    pub fn eq(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Eq, value)
    }

    /// `column <> value`; with `None`, `IS NOT NULL`.
    pub fn ne(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Ne, value)
    }

    /// `column < value`.
    pub fn lt(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Lt, value)
    }

    /// `column <= value`.
    pub fn le(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Le, value)
    }

    /// `column > value`.
    pub fn gt(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Gt, value)
    }

    /// `column >= value`.
    pub fn ge(self, value: impl IntoColumnValue<T>) -> Filter<E> {
        self.compare(CompareOp::Ge, value)
    }

    fn list<V: IntoColumnValue<T>>(
        self,
        values: impl IntoIterator<Item = V>,
        negated: bool,
    ) -> Filter<E> {
        let mut null = false;
        let values = values
            .into_iter()
            .map(V::into_column_value)
            .filter(|value| {
                let is_null = matches!(value, Value::Null);
                null |= is_null;
                !is_null
            })
            .collect();
        Filter::new(Expr::In {
            column: self.name,
            values,
            negated,
            null,
        })
    }

    /// `column IN (values...)`, at any length; an empty list matches
    /// nothing. A `None` among the values matches NULL rows too, as
    /// `eq(None)` does: `("column" IN (...) OR "column" IS NULL)`.
    ///
    /// Up to 32 values bind as one placeholder each; a longer list binds as
    /// a single array parameter (on SQLite `"column" IN rarray(?)`), so a
    /// list of 100 000 keys is one statement with one parameter.
    pub fn in_<V: IntoColumnValue<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<E> {
        self.list(values, false)
    }

    /// `column NOT IN (values...)`, at any length (bound as [`in_`] binds
    /// them); an empty list matches everything.
    ///
    /// NULL rows: SQL semantics hold, so a row whose column is NULL is
    /// **not** matched by `NOT IN` (nor by `ne`): `NULL NOT IN (1, 2)` is
    /// unknown. A `None` among the values says so explicitly and never
    /// makes the filter match nothing: `not_in([Some(1), None])` means "not
    /// 1 and not NULL", `("column" NOT IN (?) AND "column" IS NOT NULL)`. To
    /// keep NULL rows, add `.or(column.is_null())`.
    ///
    /// [`in_`]: Column::in_
    pub fn not_in<V: IntoColumnValue<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<E> {
        self.list(values, true)
    }

    /// Ascending order on this column.
    pub fn asc(self) -> OrderBy<E> {
        OrderBy::new(self.name, false)
    }

    /// Descending order on this column.
    pub fn desc(self) -> OrderBy<E> {
        OrderBy::new(self.name, true)
    }
}

impl<E> Column<E, String> {
    /// `column LIKE pattern` (SQLite: ASCII case-insensitive).
    pub fn like(self, pattern: &str) -> Filter<E> {
        self.compare(CompareOp::Like, pattern)
    }
}

impl<E> Column<E, Option<String>> {
    /// `column LIKE pattern` (SQLite: ASCII case-insensitive).
    pub fn like(self, pattern: &str) -> Filter<E> {
        self.compare(CompareOp::Like, pattern)
    }
}

impl<E, T> Column<E, Option<T>> {
    /// `column IS NULL`.
    pub fn is_null(self) -> Filter<E> {
        Filter::new(Expr::Null {
            column: self.name,
            negated: false,
        })
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(self) -> Filter<E> {
        Filter::new(Expr::Null {
            column: self.name,
            negated: true,
        })
    }
}

impl<E, T> From<Column<E, T>> for OrderBy<E> {
    fn from(column: Column<E, T>) -> Self {
        column.asc()
    }
}
