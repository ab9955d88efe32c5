//! The session: a connection, its identity map and its statement log.

mod committed;
mod freshness;
mod load;
mod query;

use std::path::Path;
use std::sync::Arc;

use crate::engine::{Engine, Outcome};
pub use crate::engine::{LoggedStatement, DEFAULT_LOG_CAPACITY};

use crate::backend::sqlite::SqliteBackend;
use crate::backend::Backend;
use crate::query::Query;
use crate::sql::EntityStatements;
use crate::{Entity, EntityMeta, Error, Result, Value};

/// A unit of work with one database connection.
///
/// Queries return shared handles (`Arc<E>`); within a session the same row is
/// always the same handle. Every statement sent is counted and logged. A
/// session is `Send`: it can move to another thread, and so can the objects it
/// returns.
pub struct Session {
    pub(crate) engine: Engine,
    begin_immediate: bool,
    expire_on_commit: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("statements", &self.engine.log.count())
            .field("transaction_depth", &self.engine.transaction.depth())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Opens (or creates) a SQLite database file.
    pub fn open(path: impl AsRef<Path>) -> Result<Session> {
        Session::from_connection(rusqlite::Connection::open(path)?)
    }

    /// Opens a private in-memory SQLite database.
    pub fn in_memory() -> Result<Session> {
        Session::from_connection(rusqlite::Connection::open_in_memory()?)
    }

    /// Wraps an existing SQLite connection. Eagerly turns on foreign-key
    /// enforcement and the query planner's stability guarantee on it.
    pub fn from_connection(connection: rusqlite::Connection) -> Result<Session> {
        Ok(Session::with_backend(Box::new(SqliteBackend::new(
            connection,
        )?)))
    }

    /// A session over any [`Backend`].
    pub fn with_backend(backend: Box<dyn Backend>) -> Session {
        Session {
            engine: Engine::new(backend),
            begin_immediate: false,
            expire_on_commit: true,
        }
    }

    // ----- statements -----------------------------------------------------

    /// Sends a statement that returns no rows, counted like any other.
    /// For fixtures and for what the mapping does not cover.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.engine.execute(sql, params)
    }

    /// The SQL dialect of the session's connection.
    pub fn dialect(&self) -> &'static dyn crate::sql::Dialect {
        self.engine.dialect
    }

    // ----- statement log --------------------------------------------------

    /// How many statements were sent since the session opened or the count
    /// was last reset.
    pub fn statement_count(&self) -> u64 {
        self.engine.log.count()
    }

    /// The statements sent, oldest first (the newest
    /// [`DEFAULT_LOG_CAPACITY`] unless changed).
    pub fn statements(&self) -> &[LoggedStatement] {
        self.engine.log.records()
    }

    /// Forgets the logged statements and sets the count to zero.
    pub fn reset_statements(&mut self) {
        self.engine.log.reset();
    }

    /// How many statements the log keeps; 0 keeps none but still counts.
    pub fn set_statement_log_capacity(&mut self, capacity: usize) {
        self.engine.log.set_capacity(capacity);
    }

    // ----- schema ---------------------------------------------------------

    /// Creates the tables of the given entities if they do not exist:
    /// `session.create_all(&[Author::META, Book::META])`.
    pub fn create_all(&mut self, entities: &[&EntityMeta]) -> Result<()> {
        for meta in entities {
            for statement in crate::sql::schema(meta, self.engine.dialect) {
                self.execute(&statement, &[])?;
            }
        }
        // Then the indexes a one-to-many needs on its target's foreign key,
        // once every table of the call exists.
        let created: Vec<&str> = entities.iter().map(|m| m.table).collect();
        for meta in entities {
            for statement in crate::sql::target_indexes(meta, &created) {
                self.execute(&statement, &[])?;
            }
        }
        Ok(())
    }

    // ----- reads ----------------------------------------------------------

    /// The object with this primary key: from the identity map without SQL
    /// when it is there, else one SELECT.
    pub fn get<E: Entity>(&mut self, key: E::Key) -> Result<Option<Arc<E>>> {
        if let Some(found) = self.engine.identity.get::<E>(&key) {
            return Ok(Some(found));
        }
        let mut params = Vec::with_capacity(E::META.primary_key.len());
        E::key_values(&key, &mut params);
        let condition = crate::filter::Expr::Equal {
            columns: E::META.key_names(),
            values: params,
            grouped: false,
        };
        Ok(Query::<E>::new()
            .with_condition(condition)
            .all(self)?
            .into_iter()
            .next())
    }

    /// The object in the identity map under this key, without any SQL.
    pub fn cached<E: Entity>(&self, key: &E::Key) -> Option<Arc<E>> {
        self.engine.identity.get::<E>(key)
    }

    /// How many live objects the identity map holds.
    pub fn identity_map_len(&self) -> usize {
        self.engine.identity.live_len()
    }

    /// Removes one object from the identity map; the next query builds a new
    /// instance for its row.
    pub fn expunge<E: Entity>(&mut self, key: &E::Key) {
        self.engine.identity.detach::<E>(key);
    }

    /// Refuses an object this session did not load (or expunged) with
    /// [`Error::ForeignObject`] (see `Engine::check_owner`).
    pub(crate) fn check_owner<E: Entity>(&self, object: &E, allow_unmarked: bool) -> Result<()> {
        self.engine.check_owner(object, allow_unmarked)
    }

    /// Empties the identity map. Handles already returned stay valid but are
    /// no longer the session's: loading their relations through it is
    /// [`Error::ForeignObject`] (query them again).
    pub fn expunge_all(&mut self) {
        self.engine.expunge_all();
    }

    // ----- writes ---------------------------------------------------------

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
            if E::assigned_key_fits(i64::MAX) {
                self.execute(&statements.insert_without_key, &values)?;
                object.assign_key(self.engine.backend.last_insert_id())?;
            } else {
                self.atomic(|s| {
                    s.execute(&statements.insert_without_key, &values)?;
                    object.assign_key(s.engine.backend.last_insert_id())
                })?;
            }
        } else {
            self.execute(&statements.insert, &values)?;
        }
        let object = Arc::new(object);
        self.registered_write(&object);
        Ok(object)
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

    // ----- transactions ---------------------------------------------------

    /// Whether a transaction is open, failed or not. A failed transaction
    /// stays open until it is rolled back, as in PostgreSQL.
    pub fn in_transaction(&self) -> bool {
        self.engine.transaction.is_open()
    }

    /// Whether the open transaction has failed: a statement in it was
    /// refused by the database (or the database ended it on its own), so
    /// every later statement is refused with [`Error::TransactionAborted`]
    /// until it is rolled back.
    pub fn transaction_failed(&self) -> bool {
        self.engine.transaction.is_failed()
    }

    /// Makes [`begin`](Session::begin) and [`transaction`](Session::transaction)
    /// send `BEGIN IMMEDIATE` (`true`) instead of a deferred `BEGIN` (the
    /// default). With several connections writing one database file, a
    /// deferred transaction that reads before it writes gets SQLite's
    /// "database is locked" at once when another connection committed in
    /// between (its snapshot is stale, so the busy timeout cannot help);
    /// `BEGIN IMMEDIATE` takes the write lock up front and waits for it
    /// within the connection's busy timeout.
    pub fn set_begin_immediate(&mut self, immediate: bool) {
        self.begin_immediate = immediate;
    }

    /// Opens a transaction (`BEGIN`). Calling it while one is open is a
    /// misuse: nest [`transaction`](Session::transaction) calls for
    /// savepoints.
    pub fn begin(&mut self) -> Result<()> {
        if self.engine.transaction.is_open() {
            return Err(Error::Misuse(
                "a transaction is already open; nest session.transaction(...) for a savepoint"
                    .into(),
            ));
        }
        self.open_level(false, false)
    }

    /// Commits the transaction opened by [`begin`](Session::begin). A failed
    /// transaction is not committed: this returns its first error and
    /// leaves it open for [`rollback`](Session::rollback). Inside a
    /// [`transaction`](Session::transaction) closure it is a misuse (the
    /// closure's result decides), refused before anything is sent.
    pub fn commit(&mut self) -> Result<()> {
        self.check_unmanaged("commit")?;
        if let Some(first) = self.engine.transaction.first_failure() {
            return Err(first.clone());
        }
        self.close_level(Outcome::Commit)
    }

    /// Rolls the transaction opened by [`begin`](Session::begin) back and
    /// empties the identity map, as SQLAlchemy expires everything on
    /// rollback: no object (or relation loaded) inside the transaction
    /// outlives what the database kept. Inside a
    /// [`transaction`](Session::transaction) closure it is a misuse,
    /// refused before anything is sent.
    pub fn rollback(&mut self) -> Result<()> {
        self.check_unmanaged("rollback")?;
        self.close_level(Outcome::Rollback)
    }

    /// Runs `work` in a transaction: commits when it returns `Ok`, rolls
    /// back and returns its error otherwise (and rolls back before a panic
    /// in `work` goes on unwinding). Called inside another transaction, it
    /// is a `SAVEPOINT`: its failure rolls back only what `work` did, and
    /// the outer transaction goes on.
    ///
    /// When a statement failed inside `work`, the first such error is
    /// returned even if `work` went on and returned `Ok` or another error:
    /// the transaction failed there, and nothing of it is kept.
    pub fn transaction<T>(&mut self, work: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.open_level(true, false)?;
        self.run_level(work)
    }

    /// Runs `work` in the level just opened, closing it by the outcome.
    fn run_level<T>(&mut self, work: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        // A panic in `work` rolls back as it unwinds, so a caller that
        // catches it does not find the transaction still open.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(panic) => {
                let _ = self.close_level(Outcome::Rollback);
                std::panic::resume_unwind(panic);
            }
        };
        if let Some(first) = self.engine.transaction.failure_of_innermost().cloned() {
            let _ = self.close_level(Outcome::Rollback);
            return Err(first);
        }
        match outcome {
            Ok(value) => match self.close_level(Outcome::Commit) {
                Ok(()) => Ok(value),
                Err(error) => {
                    // A failed COMMIT (e.g. deferred foreign keys) leaves the
                    // transaction open; close it so the session stays usable.
                    let _ = self.close_level(Outcome::Rollback);
                    Err(error)
                }
            },
            Err(error) => {
                // The work's error matters more than a failed rollback; an
                // outer level's failure, though, is what the caller must see.
                let first = self.engine.transaction.first_failure().cloned();
                let _ = self.close_level(Outcome::Rollback);
                Err(first.unwrap_or(error))
            }
        }
    }

    /// Runs a write of several statements atomically: in a savepoint (or
    /// its own transaction when none is open), rolled back whole on error.
    /// A failure still fails an enclosing transaction, as the failure of a
    /// one-statement write does.
    pub(crate) fn atomic<T>(&mut self, write: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let enclosing = self.engine.transaction.depth();
        self.open_level(true, true)?;
        match self.run_level(write) {
            Ok(value) => Ok(value),
            Err(error) => {
                if enclosing > 0 && !self.engine.transaction.is_failed() {
                    let engine_open = self.engine.backend.transaction_open();
                    self.engine
                        .transaction
                        .statement_failed(&error, engine_open);
                }
                Err(error)
            }
        }
    }

    fn check_unmanaged(&self, what: &str) -> Result<()> {
        if !self.engine.transaction.is_open() {
            return Err(Error::Misuse(format!("{what} without an open transaction")));
        }
        if self.engine.transaction.innermost_is_managed() {
            return Err(Error::Misuse(format!(
                "{what} inside session.transaction(...): return Ok to commit or Err to roll back"
            )));
        }
        Ok(())
    }

    /// Sends `BEGIN` (or `SAVEPOINT` inside a transaction) and opens a level.
    fn open_level(&mut self, managed: bool, internal: bool) -> Result<()> {
        let sql = self
            .engine
            .transaction
            .open_sql(self.engine.dialect, self.begin_immediate);
        self.execute(&sql, &[])?;
        self.engine.transaction.push(managed, internal);
        Ok(())
    }

    /// Ends the innermost level. A rollback empties the identity map: what
    /// was loaded or written inside may be gone. When the connection has
    /// no transaction left (the engine ended it), nothing is sent. These
    /// statements pass the failed-transaction gate: they are how it ends.
    fn close_level(&mut self, outcome: Outcome) -> Result<()> {
        let engine_open = self.engine.backend.transaction_open();
        let statements = self.engine.transaction.close_sql(outcome, engine_open);
        let rollback = outcome == Outcome::Rollback;
        if rollback {
            // Closed whatever the ROLLBACK answers: nothing more can be done
            // about a failed one.
            self.engine.identity.clear();
            self.engine.lazy_options.clear();
            self.engine.transaction.pop();
        }
        for sql in &statements {
            self.engine.log.record(sql, 0);
            if let Err(error) = self.engine.backend.execute(sql, &[]) {
                if !rollback {
                    // A failed COMMIT or RELEASE fails the level, which
                    // stays open for its rollback.
                    let engine_open = self.engine.backend.transaction_open();
                    self.engine
                        .transaction
                        .statement_failed(&error, engine_open);
                }
                return Err(error);
            }
        }
        if !rollback {
            let internal = self.engine.transaction.pop();
            if !self.engine.transaction.is_open() && !internal {
                self.committed();
            }
        }
        Ok(())
    }
}
