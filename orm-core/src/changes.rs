//! Changesets: the columns a partial or set-based write assigns, keyed by
//! the typed column constants.

use std::marker::PhantomData;

use crate::column::Column;
use crate::value::IntoColumnValue;
use crate::{EntityMeta, Error, Result, Value};

/// The columns an update assigns and their new values, keyed by the typed
/// column constants of `E`, as Diesel's `.set((title.eq(..), pages.eq(..)))`
/// or SeaORM's `col_expr`:
/// `Changes::new().set(Book::TITLE, "x").set(Book::PAGES, 3)`.
///
/// Columns are written in the order they were first set; setting a column
/// again replaces its value. Used by
/// [`Session::update_columns`](crate::Session::update_columns) (one row)
/// and [`Query::update`](crate::Query) (every row a filter matches). An
/// empty changeset, or one that sets a primary-key column, is refused with
/// [`Error::Misuse`] before anything is sent.
#[must_use = "a changeset does nothing until an update takes it"]
pub struct Changes<E> {
    /// (column position in `E::META.columns`, column name, value).
    pub(crate) columns: Vec<(usize, &'static str, Value)>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Default for Changes<E> {
    fn default() -> Self {
        Changes::new()
    }
}

impl<E> Clone for Changes<E> {
    fn clone(&self) -> Self {
        Changes {
            columns: self.columns.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for Changes<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.columns.iter().map(|(_, name, value)| (name, value)))
            .finish()
    }
}

impl<E> Changes<E> {
    /// A changeset that assigns nothing yet.
    pub fn new() -> Self {
        Changes {
            columns: Vec::new(),
            _entity: PhantomData,
        }
    }

    /// Assigns `value` to `column` (`Book::TITLE`, `"x"`); `None` writes
    /// NULL to an `Option` column. Typed as comparisons are: a `String`
    /// column does not take an integer.
    pub fn set<T>(mut self, column: Column<E, T>, value: impl IntoColumnValue<T>) -> Self {
        let value = value.into_column_value();
        match self.columns.iter_mut().find(|(i, ..)| *i == column.index()) {
            Some(entry) => entry.2 = value,
            None => self.columns.push((column.index(), column.name(), value)),
        }
        self
    }

    /// A changeset of columns named by position, for the writes the
    /// session composes itself (a foreign key set by `link`).
    pub(crate) fn of_columns(columns: Vec<(usize, &'static str, Value)>) -> Self {
        Changes {
            columns,
            _entity: PhantomData,
        }
    }

    /// Whether no column is set.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// How many columns are set.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// The names of the columns set, in order.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(_, name, _)| *name).collect()
    }

    /// The values set, in the order of [`names`](Changes::names).
    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.columns.iter().map(|(_, _, value)| value)
    }

    /// Refuses an empty changeset and one that sets a key column, for a
    /// write described as `what`.
    pub(crate) fn check(&self, meta: &EntityMeta, what: &str) -> Result<()> {
        if self.columns.is_empty() {
            return Err(Error::Misuse(format!(
                "{what} of {} was given an empty changeset: set at least one column \
                 (Changes::new().set(Column, value))",
                meta.name
            )));
        }
        if let Some((_, name, _)) = self
            .columns
            .iter()
            .find(|(i, ..)| meta.primary_key.contains(i))
        {
            return Err(Error::Misuse(format!(
                "{what} of {} sets the primary-key column {name}: a key is not changed by \
                 an update (delete the row and insert it under the new key)",
                meta.name
            )));
        }
        Ok(())
    }
}
