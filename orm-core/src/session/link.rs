//! Link and unlink: what belongs to a collection relation (one-to-many or
//! many-to-many), through its `Many` field or its `Dynamic` query alike.
//! A one-to-many changes the child's foreign key; a many-to-many writes or
//! deletes association rows. Loaded collections on both sides follow: the
//! child's new version moves between one-to-many collections as after any
//! update, and association rows fix or expire the collections over their
//! table at both ends.

use crate::Handle;
use std::any::{Any, TypeId};

use super::Session;
use crate::changes::Changes;
use crate::query::Query;
use crate::relation::{Collection, Link, Relation};
use crate::schema::{Linked, RelationMeta};
use crate::sql::{
    association_columns, insert_rows, insert_rows_params, link_delete, link_insert,
    owner_links_delete, rows_per_statement,
};
use crate::{Entity, EntityMeta, Error, Result, Value};

impl Session {
    /// Adds a new object `child` to the collection `relation` of `parent`:
    /// inserts it (with the objects its own loaded relations hold, as
    /// [`insert`](Session::insert) does) with its foreign key set to
    /// `parent`'s key, or with the association row, in one transaction.
    /// `parent`'s loaded collection gains it (an ordered one expires).
    pub fn append<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
        mut child: T,
    ) -> Result<Handle<T>> {
        self.check_owner(parent, false)?;
        match relation.link {
            Link::Remote {
                set_foreign_key, ..
            } => {
                set_foreign_key(&mut child, &parent.key());
                self.insert(child)
            }
            Link::Secondary => {
                let meta = relation.meta;
                let sql = link_insert(meta, self.engine.dialect);
                // The row, then its link: both or neither.
                let child = self.atomic(|s| {
                    let child = s.insert(child)?;
                    let mut params = Vec::new();
                    P::key_values(&parent.key(), &mut params);
                    T::key_values(&child.key(), &mut params);
                    s.execute(&sql, &params)?;
                    Ok(child)
                })?;
                self.follow_association(meta, parent, &child, true);
                Ok(child)
            }
            Link::ManyToOne { .. } => Err(to_one(relation.meta)),
        }
    }

    /// Links `child`, a row the database holds, to `parent` through the
    /// collection `relation`. One-to-many: `UPDATE <child> SET <foreign
    /// key> = <parent's key>` (only those columns, as
    /// [`update_columns`](Session::update_columns)); the child's new
    /// version is returned and moves from its old parent's loaded
    /// collection to `parent`'s. Many-to-many: the association row is
    /// inserted and `child` returned; the loaded collections over that
    /// table at both ends gain it (ordered ones expire). A row already
    /// linked is a database error (the association's key) for a
    /// many-to-many, and an update that changes nothing for a one-to-many.
    pub fn link<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
        child: &Handle<T>,
    ) -> Result<Handle<T>> {
        self.check_owner(parent, false)?;
        self.check_owner(child.as_ref(), true)?;
        let meta = relation.meta;
        match relation.link {
            Link::Remote { .. } => {
                let mut key = Vec::new();
                P::key_values(&parent.key(), &mut key);
                let changes = foreign_key_changes::<T>(meta, key)?;
                self.update_columns(child.as_ref(), changes)
            }
            Link::Secondary => {
                let mut params = Vec::new();
                P::key_values(&parent.key(), &mut params);
                T::key_values(&child.key(), &mut params);
                self.execute(&link_insert(meta, self.engine.dialect), &params)?;
                self.follow_association(meta, parent, child, true);
                Ok(Handle::clone(child))
            }
            Link::ManyToOne { .. } => Err(to_one(meta)),
        }
    }

    /// Takes `child` out of the collection `relation` of `parent`.
    /// One-to-many: its foreign key is set to NULL (the child's new version
    /// is returned), or, with `cascade = "delete-orphan"`, the child is
    /// deleted (as [`delete`](Session::delete), cascades included; the
    /// handle given is returned); a foreign key that cannot be NULL is
    /// [`Error::Misuse`] before anything is sent (delete the child
    /// instead), and so is a child whose foreign key names another parent.
    /// Many-to-many: the association row is deleted ([`Error::NotFound`]
    /// when there was none) and `child` returned. Loaded collections follow
    /// as for [`link`](Session::link).
    pub fn unlink<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
        child: &Handle<T>,
    ) -> Result<Handle<T>> {
        self.check_owner(parent, false)?;
        self.check_owner(child.as_ref(), true)?;
        let meta = relation.meta;
        match relation.link {
            Link::Remote { foreign_key, .. } => {
                if foreign_key(child) != Some(parent.key()) {
                    return Err(Error::Misuse(format!(
                        "{}: the {} to unlink does not belong to this {}",
                        meta.path(),
                        T::META.name,
                        P::META.name
                    )));
                }
                if meta.delete_orphan {
                    // An orphan is deleted (with what its cascades reach).
                    self.delete(child.as_ref())?;
                    return Ok(Handle::clone(child));
                }
                let changes =
                    foreign_key_changes::<T>(meta, vec![Value::Null; meta.foreign_key.len()])?;
                self.update_columns(child.as_ref(), changes)
            }
            Link::Secondary => {
                let mut params = Vec::new();
                P::key_values(&parent.key(), &mut params);
                T::key_values(&child.key(), &mut params);
                if self.execute(&link_delete(meta, self.engine.dialect), &params)? == 0 {
                    return Err(Error::NotFound {
                        table: meta.secondary.unwrap_or_default(),
                    });
                }
                self.follow_association(meta, parent, child, false);
                Ok(Handle::clone(child))
            }
            Link::ManyToOne { .. } => Err(to_one(meta)),
        }
    }

    /// Makes `children` (rows the database holds) the whole collection
    /// `relation` of `parent`, as assigning a list does in SQLAlchemy, in
    /// one transaction. One-to-many: the current members are read (one
    /// SELECT), then each one leaving is unlinked and each one arriving
    /// linked (one UPDATE each; a leaving member whose foreign key cannot
    /// be NULL is [`Error::Misuse`] and nothing is written). Many-to-many:
    /// one DELETE of `parent`'s association rows and one multi-row INSERT
    /// of the new ones (on SQLite up to 500 a statement); the loaded
    /// collections over that table expire at both ends.
    pub fn replace<P: Entity, T: Entity, F: Collection<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
        children: &[Handle<T>],
    ) -> Result<()> {
        self.check_owner(parent, false)?;
        for child in children {
            self.check_owner(child.as_ref(), true)?;
        }
        let meta = relation.meta;
        match relation.link {
            Link::Remote { .. } => {
                let nullable = nullable_columns(T::META, meta.foreign_key);
                self.atomic(|s| {
                    let current = Query::<T>::new()
                        .with_condition(crate::loader::dynamic_condition(relation, parent))
                        .run_by(&mut *s)
                        .all()?;
                    let stays = |object: &T| children.iter().any(|c| c.key() == object.key());
                    let leaving: Vec<&Handle<T>> = current.iter().filter(|c| !stays(c)).collect();
                    if !leaving.is_empty() && !nullable && !meta.delete_orphan {
                        return Err(Error::Misuse(format!(
                            "{}: {} leaving members cannot have a NULL {}; delete them instead",
                            meta.path(),
                            leaving.len(),
                            meta.foreign_key.join(", ")
                        )));
                    }
                    for child in leaving {
                        s.unlink(relation, parent, child)?;
                    }
                    for child in children {
                        if !current.iter().any(|c| c.key() == child.key()) {
                            s.link(relation, parent, child)?;
                        }
                    }
                    Ok(())
                })
            }
            Link::Secondary => {
                let dialect = self.engine.dialect;
                let mut parent_key = Vec::new();
                P::key_values(&parent.key(), &mut parent_key);
                let delete = owner_links_delete(meta, dialect);
                let rows: Vec<Vec<Value>> = children
                    .iter()
                    .map(|child| {
                        let mut row = parent_key.clone();
                        T::key_values(&child.key(), &mut row);
                        row
                    })
                    .collect();
                self.atomic(|s| {
                    s.execute(&delete, &parent_key)?;
                    let per_statement =
                        rows_per_statement(dialect, rows.len(), association_columns(meta).len());
                    for chunk in rows.chunks(per_statement.max(1)) {
                        let (sql, params) = association_insert(meta, dialect, chunk);
                        s.execute(&sql, &params)?;
                    }
                    Ok(())
                })?;
                // Which members left is not known here: every collection over
                // the table expires, at both ends.
                self.engine
                    .identity
                    .expire_association(meta.secondary.unwrap_or_default());
                Ok(())
            }
            Link::ManyToOne { .. } => Err(to_one(meta)),
        }
    }

    /// Fixes the collections over `meta`'s association table at both ends
    /// after the row linking `parent` and `child` was written (`added`) or
    /// deleted: on the handles given and on those the session holds for
    /// their keys.
    fn follow_association<P: Entity, T: Entity>(
        &mut self,
        meta: &'static RelationMeta,
        parent: &P,
        child: &Handle<T>,
        added: bool,
    ) {
        let Some(secondary) = meta.secondary else {
            return;
        };
        let parent_key = parent.key();
        let child_key = child.key();
        let held_parent = self.engine.identity.get::<P>(&parent_key);
        let held_child = self.engine.identity.get::<T>(&child_key);
        let at_parent = Linked {
            secondary,
            own_columns: meta.foreign_key,
            other: TypeId::of::<T>(),
            other_key: &child_key,
            other_object: Some(child as &dyn Any),
            added,
        };
        let parents = std::iter::once(parent).chain(
            held_parent
                .as_deref()
                .filter(|held| !std::ptr::eq(*held, parent)),
        );
        for parent in parents {
            for cell in P::cells() {
                cell.follow_link(parent, &at_parent);
            }
        }
        let at_child = Linked {
            secondary,
            own_columns: meta.target_foreign_key,
            other: TypeId::of::<P>(),
            other_key: &parent_key,
            other_object: held_parent.as_ref().map(|p| p as &dyn Any),
            added,
        };
        let children = std::iter::once(child.as_ref()).chain(
            held_child
                .as_deref()
                .filter(|held| !std::ptr::eq(*held, child.as_ref())),
        );
        for child in children {
            for cell in T::cells() {
                cell.follow_link(child, &at_child);
            }
        }
    }
}

fn to_one(meta: &RelationMeta) -> Error {
    Error::Misuse(format!(
        "{} is a to-one relation; set its foreign key instead",
        meta.path()
    ))
}

/// Whether every column `names` of `meta` takes NULL.
fn nullable_columns(meta: &EntityMeta, names: &[&str]) -> bool {
    names.iter().all(|name| {
        meta.columns
            .iter()
            .any(|column| column.name == *name && column.nullable)
    })
}

/// The changeset writing `key` into the child's foreign-key columns of a
/// one-to-many; NULL into a column that cannot take it is
/// [`Error::Misuse`].
fn foreign_key_changes<T: Entity>(meta: &RelationMeta, key: Vec<Value>) -> Result<Changes<T>> {
    let mut columns = Vec::with_capacity(key.len());
    for (name, value) in meta.foreign_key.iter().zip(key) {
        let Some(index) = T::META.columns.iter().position(|c| c.name == *name) else {
            return Err(Error::Misuse(format!(
                "{} has no column {name}",
                T::META.name
            )));
        };
        let column = &T::META.columns[index];
        if value == Value::Null && !column.nullable {
            return Err(Error::Misuse(format!(
                "{}: {}.{} cannot be NULL, so a {} cannot leave it; delete it instead",
                meta.path(),
                T::META.table,
                column.name,
                T::META.name
            )));
        }
        columns.push((index, column.name, value));
    }
    Ok(Changes::of_columns(columns))
}

/// The INSERT of the association rows `rows` (owner key, then target key).
fn association_insert(
    meta: &RelationMeta,
    dialect: &dyn crate::Dialect,
    rows: &[Vec<Value>],
) -> (String, Vec<Value>) {
    let columns = association_columns(meta);
    let sql = insert_rows(
        dialect,
        meta.secondary.unwrap_or_default(),
        &columns,
        rows.len(),
        None,
    );
    let rows: Vec<&[Value]> = rows.iter().map(Vec::as_slice).collect();
    let positions: Vec<usize> = (0..columns.len()).collect();
    (sql, insert_rows_params(dialect, &rows, &positions))
}
