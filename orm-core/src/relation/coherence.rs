//! Coherence after writes: a relation loaded in the session never
//! contradicts a row the session itself wrote. After an insert, update or
//! delete, every loaded relation the row touches is fixed where the fix is
//! certain (the new version put in place of the old, a deleted row taken
//! out, a new member appended to an unordered collection) and expired
//! otherwise (made unloaded, so the next load reads the database): an
//! ordered collection whose member changed, a one-to-one whose row moved.
//!
//! Fixing keeps relations readable without a session, in other threads
//! too; readers keep the snapshot they already took.

use crate::Handle;
use std::any::TypeId;

use super::{Link, Relation, RelationField, FILL};
use crate::schema::{Linked, Record, Written};

impl<P: Record, T: Record, F: RelationField<T>> Relation<P, T, F> {
    /// Fixes or expires this relation of `parent` after `written`.
    pub(crate) fn follow_write(&self, parent: &P, written: &Written<'_>) {
        if written.entity != TypeId::of::<T>() {
            return;
        }
        let Some(key) = written.key.downcast_ref::<T::Key>() else {
            return;
        };
        let field = self.field(parent);
        if !field.is_loaded() {
            return;
        }
        let row = written.row.and_then(|r| r.downcast_ref::<Handle<T>>());
        let is_row = &mut |target: &T| target.key() == *key;
        let ordered = !self.meta.order_by.is_empty();
        let belongs = |row: &T| match self.link {
            Link::Remote { foreign_key, .. } => foreign_key(row) == Some(parent.key()),
            // The foreign key is the parent's own column, or the link is
            // an association row: the write does not move it.
            Link::ManyToOne { .. } | Link::Secondary => true,
        };
        let held = field.holds(FILL, is_row);
        match row {
            // Deleted: taken out (a to-one expires).
            None if held => field.replace(FILL, is_row, None),
            None => {}
            Some(row) if held => {
                if !belongs(row) {
                    field.replace(FILL, is_row, None);
                } else if ordered && !self.meta.kind.is_to_one() {
                    field.clear(FILL);
                } else {
                    field.replace(FILL, is_row, Some(Handle::clone(row)));
                }
            }
            // A row that now points at this parent joins its collection.
            Some(row) if matches!(self.link, Link::Remote { .. }) && belongs(row) => {
                if ordered {
                    field.clear(FILL);
                } else {
                    field.append(FILL, Handle::clone(row));
                }
            }
            Some(_) => {}
        }
    }

    /// Fixes or expires this relation of `parent` after an association row
    /// of its table was written (`linked.added`) or deleted: the other end
    /// is appended to an unordered collection or taken out; an ordered
    /// collection, or one whose other end the session has no handle for,
    /// expires.
    pub(crate) fn follow_link(&self, parent: &P, linked: &Linked<'_>) {
        if self.meta.secondary != Some(linked.secondary)
            || self.meta.foreign_key != linked.own_columns
            || linked.other != TypeId::of::<T>()
        {
            return;
        }
        let Some(key) = linked.other_key.downcast_ref::<T::Key>() else {
            return;
        };
        let field = self.field(parent);
        if !field.is_loaded() {
            return;
        }
        let is_other = &mut |target: &T| target.key() == *key;
        let other = linked
            .other_object
            .and_then(|o| o.downcast_ref::<Handle<T>>());
        match other {
            _ if !linked.added => field.replace(FILL, is_other, None),
            Some(_) if field.holds(FILL, is_other) => {}
            Some(other) if self.meta.order_by.is_empty() => {
                field.append(FILL, Handle::clone(other))
            }
            _ => field.clear(FILL),
        }
    }

    /// Makes this relation of `parent` unloaded.
    pub(crate) fn clear_on(&self, parent: &P) {
        self.field(parent).clear(FILL);
    }
}
