//! Writes: insert, update, delete, each keeping the session coherent with
//! what it wrote.

use std::sync::Arc;

use super::Session;
use crate::sql::EntityStatements;
use crate::{Entity, Error, Result, Value};

impl Session {
    /// Inserts an object and returns its handle. A single integer primary key
    /// left at 0 is assigned by the database and written into the handle.
    /// An object whose relation fields hold loaded objects is refused with
    /// [`Error::Misuse`] before anything is sent: only columns are written.
    pub fn insert<E: Entity>(&mut self, mut object: E) -> Result<Arc<E>> {
        let meta = E::META;
        let statements = EntityStatements::of(meta, self.engine.dialect);
        // Only columns are written: a relation that holds objects would
        // read as loaded with rows the database never got.
        if let Some(relation) = E::relations().iter().find(|r| r.is_loaded_on(&object)) {
            return Err(Error::Misuse(format!(
                "insert writes the columns of {} only, but its relation {} holds loaded objects; \
                 insert them on their own and leave the relation unloaded (Many::new(), One::new())",
                meta.name,
                relation.meta().path()
            )));
        }
        let mut values = Vec::with_capacity(meta.columns.len());
        object.column_values(&mut values);
        if meta.auto_key && object.key_unassigned() {
            let key_position = meta.primary_key[0];
            values.remove(key_position);
            // A key type narrower than SQLite's rowid may not hold the key
            // the database picks; the INSERT then runs in a savepoint and
            // is undone, so no row the mapping cannot read is left behind.
            let sql = &statements.insert_without_key;
            if E::assigned_key_fits(i64::MAX) {
                let key = self.insert_assigning_key(sql, &values)?;
                object.assign_key(key)?;
            } else {
                self.atomic(|s| {
                    let key = s.insert_assigning_key(sql, &values)?;
                    object.assign_key(key)
                })?;
            }
        } else {
            self.execute(&statements.insert, &values)?;
        }
        let object = Arc::new(object);
        self.registered_write(&object);
        Ok(object)
    }

    /// Sends an insert whose key the database assigns and answers that key:
    /// read from the statement's `RETURNING` where the dialect has one
    /// (PostgreSQL), else asked of the connection (SQLite's rowid).
    fn insert_assigning_key(&mut self, sql: &str, values: &[Value]) -> Result<i64> {
        if !self.engine.dialect.returns_assigned_key() {
            self.execute(sql, values)?;
            return Ok(self.engine.backend.last_insert_id());
        }
        let mut key = None;
        self.engine.stream(sql, values, &mut |_, row| {
            key = Some(match row.value(0)? {
                crate::ValueRef::Integer(key) => key,
                other => {
                    return Err(Error::Misuse(format!(
                        "the database assigned a key that is not an integer: {}",
                        other.storage_class()
                    )))
                }
            });
            Ok(())
        })?;
        key.ok_or_else(|| Error::Misuse("the insert returned no key".into()))
    }

    /// Writes every non-key column of `object` to the row with its key and
    /// returns the new handle, which replaces the old one in the identity map.
    /// Its relations start unloaded; loaded relations elsewhere in the
    /// session that held the old row, or that its foreign keys now join,
    /// are expired and load again.
    /// [`Error::NotFound`] when no row has that key.
    pub fn update<E: Entity>(&mut self, object: E) -> Result<Arc<E>> {
        let meta = E::META;
        self.check_owner(&object, true)?;
        // The new value's relations may have been copied from the old one;
        // its foreign keys may have changed: they load again.
        for relation in E::relations() {
            relation.clear_on(&object);
        }
        let Some(update) = &EntityStatements::of(meta, self.engine.dialect).update else {
            return Err(Error::Misuse(format!(
                "{} has no column outside its primary key to update",
                meta.name
            )));
        };
        let mut columns = Vec::with_capacity(meta.columns.len());
        object.column_values(&mut columns);
        // SET columns first, then the key, as the UPDATE's placeholders go.
        let mut take = |i: usize| std::mem::replace(&mut columns[i], Value::Null);
        let mut params: Vec<Value> = meta.non_key_columns().map(&mut take).collect();
        params.extend(meta.primary_key.iter().map(|&i| take(i)));
        if self.execute(update, &params)? == 0 {
            return Err(Error::NotFound { table: meta.table });
        }
        let object = Arc::new(object);
        self.registered_write(&object);
        Ok(object)
    }

    /// Deletes the row of `object`.
    pub fn delete<E: Entity>(&mut self, object: &E) -> Result<()> {
        self.check_owner(object, true)?;
        self.delete_by_key::<E>(object.key())
    }

    /// Deletes the row with this key; [`Error::NotFound`] when there is none.
    pub fn delete_by_key<E: Entity>(&mut self, key: E::Key) -> Result<()> {
        let mut params = Vec::with_capacity(E::META.primary_key.len());
        E::key_values(&key, &mut params);
        if self.execute(
            &EntityStatements::of(E::META, self.engine.dialect).delete,
            &params,
        )? == 0
        {
            return Err(Error::NotFound {
                table: E::META.table,
            });
        }
        self.engine.identity.remove::<E>(&key);
        self.engine
            .identity
            .follow_write(&crate::schema::Written::new::<E>(&key, None));
        Ok(())
    }

    /// Registers a row just written under its key and fixes or expires
    /// every loaded relation it touches.
    fn registered_write<E: Entity>(&mut self, object: &Arc<E>) {
        let key = object.key();
        self.engine
            .identity
            .follow_write(&crate::schema::Written::new::<E>(&key, Some(object)));
        self.engine.identity.typed_mut::<E>().insert(key, object);
    }
}
