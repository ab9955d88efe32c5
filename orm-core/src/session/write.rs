//! Writes: insert, update, delete, each keeping the session coherent with
//! what it wrote.

use crate::Handle;

use super::Session;
use crate::changes::Changes;
use crate::query::Query;
use crate::sql::EntityStatements;
use crate::value::ValuesRow;
use crate::{Entity, Error, Result, Value};

impl Session {
    /// Inserts an object and returns its handle. A single integer primary key
    /// left at 0 is assigned by the database and written into the handle.
    ///
    /// An object whose relation fields hold objects is saved with them, as
    /// SQLAlchemy's `session.add` cascades: every new object the loaded
    /// relations reach is inserted (parents first, assigned keys read back
    /// and foreign keys set from them, association rows written), objects
    /// the session already holds are linked instead, all in one transaction
    /// (a savepoint inside one). The handle returned has those relations
    /// loaded with the saved objects, and every saved object is in the
    /// identity map. What is sent is described under "Writing a graph" in
    /// the README; the columns a relation sets override the fields.
    pub fn insert<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        if E::relations().iter().any(|r| r.is_loaded_on(&object)) {
            return self.insert_graph(object);
        }
        self.insert_row(object)
    }

    /// Inserts a new object with the new objects its relations hold.
    fn insert_graph<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        let root = Handle::new(object);
        let graph = crate::loader::GraphWrite::of(&self.engine.identity, &root)?;
        let mut plan = crate::loader::SavePlan::new(graph)?;
        // Built inside the transaction: a key the mapping cannot hold
        // undoes every row.
        let saved = self.atomic(|s| {
            s.engine.run_plan(&mut plan)?;
            plan.finish()
        })?;
        saved
            .register(&mut self.engine.identity)
            .ok_or_else(|| Error::Misuse("the saved graph has no root".into()))
    }

    /// Inserts the row of an object whose relations hold nothing.
    fn insert_row<E: Entity>(&mut self, mut object: E) -> Result<Handle<E>> {
        let meta = E::META;
        let statements = EntityStatements::of(meta, self.engine.dialect);
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
        let object = Handle::new(object);
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
    pub fn update<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
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
        let object = Handle::new(object);
        self.registered_write(&object);
        Ok(object)
    }

    /// Deletes the row of `object`.
    pub fn delete<E: Entity>(&mut self, object: &E) -> Result<()> {
        self.check_owner(object, true)?;
        self.delete_by_key::<E>(object.key())
    }

    /// Deletes the row with this key; [`Error::NotFound`] when there is none.
    ///
    /// Relations with `cascade = "delete"` delete their targets first (and
    /// theirs), association rows of many-to-many relations go with the
    /// row, and the foreign keys `create_all` declared `on_delete` do what
    /// they say; all in one transaction when more than the row is written
    /// (see the README, "Cascades"). A row that other rows still point at
    /// is an [`Error::Database`] of kind `ForeignKeyViolation` naming the
    /// relation ([`DatabaseError::relation`](crate::DatabaseError::relation)).
    pub fn delete_by_key<E: Entity>(&mut self, key: E::Key) -> Result<()> {
        self.delete_row::<E>(&key)?;
        self.engine
            .identity
            .expire_deleted_with(std::any::TypeId::of::<E>());
        self.engine.identity.remove::<E>(&key);
        self.engine
            .identity
            .follow_write(&crate::schema::Written::new::<E>(&key, None));
        Ok(())
    }

    /// Updates only the columns `changes` sets on the row of `object` (the
    /// entity or its `Handle`):
    /// `session.update_columns(&book, Changes::new().set(Book::TITLE, "x"))`
    /// sends `UPDATE "books" SET "title" = ? WHERE "id" = ?` and nothing
    /// else (as Diesel's `update(..).set(..)` or SeaORM's `ActiveModel`
    /// with some fields `Set`). Returns the new handle, which replaces the
    /// old one in the identity map: the columns set take their new values,
    /// the others those of the instance the session holds for that key (or
    /// of `object` when it holds none), so the write serves nothing the
    /// session did not already serve. Its relations start unloaded; loaded
    /// relations elsewhere in the session are fixed or expired as after
    /// [`update`](Session::update), a changed foreign key included.
    ///
    /// [`Error::Misuse`] for an empty changeset or one that sets a
    /// primary-key column, and [`Error::ForeignObject`] for another
    /// session's object, before anything is sent; [`Error::NotFound`] when
    /// no row has the key (the session is left as it was).
    pub fn update_columns<E: Entity>(
        &mut self,
        object: &impl std::borrow::Borrow<E>,
        changes: Changes<E>,
    ) -> Result<Handle<E>> {
        let object: &E = object.borrow();
        let meta = E::META;
        self.check_owner(object, true)?;
        changes.check(meta, "update_columns")?;
        let key = object.key();
        // The new object, decoded as a row would be: what the session holds
        // for the key, with the changed columns.
        let mut columns = Vec::with_capacity(meta.columns.len());
        match self.engine.identity.get::<E>(&key) {
            Some(held) => held.column_values(&mut columns),
            None => object.column_values(&mut columns),
        }
        for (index, _, value) in &changes.columns {
            columns[*index] = value.clone();
        }
        let updated = E::from_row(&ValuesRow(&columns), 0)?;
        let sql = crate::sql::update_columns(meta, self.engine.dialect, &changes.names());
        let mut params: Vec<Value> = changes.values().cloned().collect();
        E::key_values(&key, &mut params);
        if self.execute(&sql, &params)? == 0 {
            return Err(Error::NotFound { table: meta.table });
        }
        let updated = Handle::new(updated);
        self.registered_write(&updated);
        Ok(updated)
    }

    /// Inserts `object`, or, when a row with its key exists, updates every
    /// non-key column of that row to the object's values, in one
    /// statement: `INSERT INTO .. VALUES (..) ON CONFLICT (<key>) DO UPDATE
    /// SET "a" = excluded."a", ..` (`DO NOTHING` when every column is part
    /// of the key), on SQLite and PostgreSQL alike. The row as stored is
    /// then the object's columns: the handle returned is registered under
    /// its key, replacing any instance there, and loaded relations in the
    /// session are fixed or expired as after [`update`](Session::update).
    ///
    /// A key the database assigns (a single integer key left at 0) cannot
    /// conflict: the object is [`insert`](Session::insert)ed. As for
    /// `insert`, relation fields holding loaded objects are
    /// [`Error::Misuse`], and another session's object is
    /// [`Error::ForeignObject`], before anything is sent.
    pub fn upsert<E: Entity>(&mut self, object: E) -> Result<Handle<E>> {
        let meta = E::META;
        self.check_owner(&object, true)?;
        if meta.auto_key && object.key_unassigned() {
            return self.insert(object);
        }
        refuse_loaded_relations(&object, "upsert")?;
        let mut values = Vec::with_capacity(meta.columns.len());
        object.column_values(&mut values);
        let sql = &EntityStatements::of(meta, self.engine.dialect).upsert;
        self.execute(sql, &values)?;
        let object = Handle::new(object);
        self.registered_write(&object);
        Ok(object)
    }

    /// Runs a set-based UPDATE or DELETE of `E` and expires what the
    /// session holds of `E` when it changed a row (see
    /// [`Query::update`](Query#method.update)).
    fn write_by_filter<E: Entity>(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let changed = self.execute(sql, params)?;
        if changed > 0 {
            self.engine
                .identity
                .expire_entity(std::any::TypeId::of::<E>());
        }
        Ok(changed)
    }

    /// Registers a row just written under its key and fixes or expires
    /// every loaded relation it touches.
    fn registered_write<E: Entity>(&mut self, object: &Handle<E>) {
        self.engine.identity.register_write(object);
    }
}

/// Refuses an object whose relation fields hold loaded objects: only its
/// columns would be written, and the relation would read as loaded with
/// rows the database never got.
fn refuse_loaded_relations<E: Entity>(object: &E, what: &str) -> Result<()> {
    match E::relations().iter().find(|r| r.is_loaded_on(object)) {
        Some(relation) => Err(Error::Misuse(format!(
            "{what} writes the columns of {} only, but its relation {} holds loaded objects; \
             insert them on their own and leave the relation unloaded (Many::new(), One::new())",
            E::META.name,
            relation.meta().path()
        ))),
        None => Ok(()),
    }
}

impl<E: Entity> Query<E> {
    /// Updates every row this query's filters match (every row without
    /// one) with one statement, `UPDATE <table> SET <changes> WHERE
    /// <filters>`, and returns how many rows changed: filters as queries
    /// take them, `any`/`has` across relations included (an `EXISTS`
    /// subquery on the outer table). SeaORM's `update_many().filter(..)`,
    /// Diesel's `update(table.filter(..)).set(..)`.
    ///
    /// The session cannot tell which of its objects were among the rows,
    /// so when a row changed it expires every object of `E` it holds and
    /// makes unloaded every loaded relation (of any entity) whose target is
    /// `E`: the next access reads the database. Handles you kept still
    /// read their old values.
    ///
    /// [`Error::Misuse`] before anything is sent for an empty changeset, one
    /// that sets a primary-key column, and a query with `order_by`, `limit`,
    /// `offset` or loader options. On a session's query:
    /// `session.query::<Book>().filter(..).update(changes)`.
    pub fn update(self, session: &mut Session, changes: Changes<E>) -> Result<u64> {
        let (sql, params) = self.update_statement(session.engine.dialect, &changes)?;
        session.write_by_filter::<E>(&sql, &params)
    }

    /// Deletes every row this query's filters match (every row without
    /// one) with one statement, `DELETE FROM <table> WHERE <filters>`, and
    /// returns how many rows went. Coherence as after
    /// [`update`](Query#method.update): every object of `E` the session
    /// holds is expired and every loaded relation targeting `E` made
    /// unloaded, so no relation serves a deleted row. Refused as `update`
    /// refuses (`order_by`, `limit`, `offset`, loader options).
    pub fn delete(self, session: &mut Session) -> Result<u64> {
        let (sql, params) = self.delete_statement(session.engine.dialect)?;
        session.write_by_filter::<E>(&sql, &params)
    }
}

impl<E: Entity> Query<E, &mut Session> {
    /// Updates every row the filters match and returns how many changed
    /// (see [`Query::update`](Query#method.update)):
    /// `session.query::<Book>().filter(Book::PAGES.lt(10)).update(Changes::new().set(Book::PAGES, 10))`.
    pub fn update(self, changes: Changes<E>) -> Result<u64> {
        let (session, query) = self.split();
        query.update(session, changes)
    }

    /// Deletes every row the filters match and returns how many went (see
    /// [`Query::delete`](Query#method.delete)).
    pub fn delete(self) -> Result<u64> {
        let (session, query) = self.split();
        query.delete(session)
    }
}
