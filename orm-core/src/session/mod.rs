//! The session: a connection, its identity map and its statement log.

mod cascade;
mod committed;
mod freshness;
mod link;
mod load;
mod query;
mod raw;
mod retry;
mod transaction;
mod write;

use crate::Handle;

use crate::engine::Engine;
pub use crate::engine::{LoggedStatement, DEFAULT_LOG_CAPACITY};
#[cfg(feature = "async")]
pub(crate) use load::dynamic_query;
pub use raw::FromSqlRow;
pub use retry::{RetryEvent, RetryPolicy};
pub use transaction::TransactionOptions;

use crate::backend::Backend;
use crate::query::Query;
use crate::{Entity, EntityMeta, Result, Value};

/// A unit of work with one database connection.
///
/// Queries return shared handles (`Handle<E>`); within a session the same row is
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
    #[cfg(feature = "sqlite")]
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Session> {
        Session::from_connection(rusqlite::Connection::open(path)?)
    }

    /// Opens a private in-memory SQLite database.
    #[cfg(feature = "sqlite")]
    pub fn in_memory() -> Result<Session> {
        Session::from_connection(rusqlite::Connection::open_in_memory()?)
    }

    /// Wraps an existing SQLite connection. Eagerly turns on foreign-key
    /// enforcement and the query planner's stability guarantee on it.
    /// The connection type is re-exported as
    /// [`backend::sqlite::Connection`](crate::backend::sqlite::Connection).
    #[cfg(feature = "sqlite")]
    pub fn from_connection(connection: rusqlite::Connection) -> Result<Session> {
        Ok(Session::with_backend(Box::new(
            crate::backend::sqlite::SqliteBackend::new(connection)?,
        )))
    }

    /// Connects to a PostgreSQL server:
    /// `Session::connect("postgres://user@localhost:5432/database")` (or
    /// the `key=value` form), without TLS. Prepared statements are cached
    /// on the connection (see [`backend::postgres`](crate::backend::postgres)).
    #[cfg(feature = "postgres")]
    pub fn connect(url: &str) -> Result<Session> {
        Ok(Session::with_backend(Box::new(
            crate::backend::postgres::PostgresBackend::connect(url)?,
        )))
    }

    /// Connects to the PostgreSQL server named by the environment variable
    /// `DATABASE_URL` (see [`connect`](Session::connect));
    /// [`Error::Misuse`](crate::Error::Misuse) when it is not set.
    #[cfg(feature = "postgres")]
    pub fn from_env() -> Result<Session> {
        match std::env::var("DATABASE_URL") {
            Ok(url) => Session::connect(&url),
            Err(_) => Err(crate::Error::Misuse(
                "DATABASE_URL is not set: set it to a PostgreSQL URL such as \
                 postgres://user@localhost:5432/database"
                    .into(),
            )),
        }
    }

    /// A session on a connection borrowed from an r2d2 pool (feature
    /// `r2d2`), given back when the session drops:
    /// `Session::from_pool(&pool)` over a
    /// [`PostgresManager`](crate::backend::pool::PostgresManager) (see
    /// [`backend::pool`](crate::backend::pool)). When the pool has no
    /// connection to give within its timeout, the error is an
    /// [`Error::Database`](crate::Error::Database) of kind `Other`.
    #[cfg(feature = "r2d2")]
    pub fn from_pool<M>(pool: &r2d2::Pool<M>) -> Result<Session>
    where
        M: r2d2::ManageConnection,
        M::Connection: Backend,
    {
        match pool.get() {
            Ok(connection) => Ok(Session::with_backend(Box::new(connection))),
            Err(error) => Err(crate::Error::Database(crate::DatabaseError::new(
                crate::DatabaseErrorKind::Other,
                format!("no connection from the pool: {error}"),
                Box::new(error),
            ))),
        }
    }

    /// A session over any [`Backend`].
    pub fn with_backend(backend: Box<dyn Backend>) -> Session {
        Session {
            engine: Engine::new(backend),
            begin_immediate: false,
            expire_on_commit: true,
        }
    }

    /// A fresh unit of work on the same connection, for pools: an open
    /// transaction is rolled back, then the identity map, statement log
    /// and N+1 counts start anew under a new session number, so objects
    /// loaded before belong to another session. The settings stay (BEGIN
    /// IMMEDIATE, expire on commit, the log's capacity and value budget,
    /// the N+1 guard): the pool's opener makes them once per connection.
    #[cfg(feature = "deadpool")]
    pub(crate) fn renew(&mut self) -> Result<()> {
        if self.in_transaction() {
            self.rollback()?;
        }
        let backend =
            std::mem::replace(&mut self.engine.backend, Box::new(crate::backend::Detached));
        let mut renewed = Session::with_backend(backend);
        renewed.engine.log = self.engine.log.emptied();
        renewed.engine.n_plus_one.guard = self.engine.n_plus_one.guard;
        renewed.begin_immediate = self.begin_immediate;
        renewed.expire_on_commit = self.expire_on_commit;
        *self = renewed;
        Ok(())
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

    /// Round trips to the database since the session opened (or
    /// [`reset_statements`](Session::reset_statements)): one per statement,
    /// but one for a batch of statements pipelined together (PostgreSQL:
    /// the sibling relations of a level, the chunks of a key list).
    pub fn round_trip_count(&self) -> u64 {
        self.engine.log.round_trips()
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

    /// Records the values bound to each logged statement, up to `bytes`
    /// per statement (8 for a number, a text's or blob's length; a long
    /// one is cut), in [`LoggedStatement::values`] and the `tracing`
    /// event; 0 (the default) records none. Values can be secrets: turn
    /// it on to debug, not in production logs.
    pub fn set_logged_values(&mut self, bytes: usize) {
        self.engine.log.set_value_budget(bytes);
    }

    /// How many statements the log keeps; 0 keeps none but still counts.
    pub fn set_statement_log_capacity(&mut self, capacity: usize) {
        self.engine.log.set_capacity(capacity);
    }

    // ----- schema ---------------------------------------------------------

    /// Creates the tables of the given entities if they do not exist:
    /// `session.create_all(&[Author::META, Book::META])`. Tables come
    /// first, each after the tables its foreign keys reference among the
    /// given entities, then the association tables of the many-to-many
    /// relations, then an index on every foreign key and on every
    /// `#[orm(index)]` column. PostgreSQL checks a foreign key's table when
    /// it creates the constraint: both ends of a many-to-many must be
    /// created in the same call (or exist), and a cycle of many-to-one
    /// references between two tables is not supported there yet.
    ///
    /// A one-to-one's foreign key gets a unique index
    /// (`uq_<table>_<columns>`) instead of the plain one, so a second row
    /// for the same parent is a
    /// [`UniqueViolation`](crate::DatabaseErrorKind::UniqueViolation): the
    /// relation holds one object, and the database says so. Tables made
    /// another way may hold several; the relation then keeps the first by
    /// its `order_by` and logs a warning.
    pub fn create_all(&mut self, entities: &[&EntityMeta]) -> Result<()> {
        let schemas: Vec<_> = referenced_first(entities)
            .into_iter()
            .map(|meta| crate::sql::schema(meta, self.engine.dialect))
            .collect();
        for schema in &schemas {
            self.execute(&schema.table, &[])?;
        }
        // Then the indexes a one-to-many needs on its target's foreign key,
        // once every table of the call exists. Both ends of a relation (and
        // of a many-to-many) name the same table or index: each is sent once.
        let created: Vec<&str> = entities.iter().map(|m| m.table).collect();
        let target_indexes: Vec<(String, Option<String>)> = entities
            .iter()
            .flat_map(|meta| crate::sql::target_indexes(meta, &created))
            .collect();
        // A one-to-one's unique index stands for the plain one.
        let mut sent: std::collections::HashSet<&str> = target_indexes
            .iter()
            .filter_map(|(_, superseded)| superseded.as_deref())
            .collect();
        let rest = schemas
            .iter()
            .flat_map(|s| &s.associations)
            .chain(schemas.iter().flat_map(|s| &s.indexes))
            .chain(target_indexes.iter().map(|(index, _)| index));
        for statement in rest {
            if sent.insert(statement.as_str()) {
                self.execute(statement, &[])?;
            }
        }
        Ok(())
    }

    /// Drops the tables of the given entities and their association tables,
    /// where they exist: `session.drop_all(&[Author::META, Book::META])`.
    /// One `DROP TABLE IF EXISTS` per table, each table after those that
    /// reference it among the given entities (association tables first),
    /// all in one transaction (a savepoint inside an open one): both
    /// engines roll DDL back, so a failed drop leaves every table in place.
    /// A table that is not there is no error; a table still referenced by
    /// one not given is (the database refuses the drop, PostgreSQL always,
    /// SQLite when the referencing table holds rows). The identity map is
    /// left alone: objects loaded from the dropped tables stay valid handles.
    pub fn drop_all(&mut self, entities: &[&EntityMeta]) -> Result<()> {
        let mut ordered = referenced_first(entities);
        ordered.reverse();
        // Association tables reference both ends: they go before any entity's.
        let associations = ordered
            .iter()
            .flat_map(|meta| meta.relations.iter().filter_map(|r| r.secondary));
        let mut tables: Vec<&str> = Vec::new();
        for table in associations.chain(ordered.iter().map(|meta| meta.table)) {
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        let statements: Vec<String> = tables.into_iter().map(crate::sql::drop_table).collect();
        self.atomic(|session| {
            for statement in &statements {
                session.execute(statement, &[])?;
            }
            Ok(())
        })
    }

    // ----- reads ----------------------------------------------------------

    /// The object with this primary key: from the identity map without SQL
    /// when it is there, else one SELECT.
    pub fn get<E: Entity>(&mut self, key: E::Key) -> Result<Option<Handle<E>>> {
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
    pub fn cached<E: Entity>(&self, key: &E::Key) -> Option<Handle<E>> {
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
    /// [`Error::ForeignObject`](crate::Error::ForeignObject) (query them again).
    pub fn expunge_all(&mut self) {
        self.engine.expunge_all();
    }
}

/// `entities` in an order where each comes after the targets of its
/// many-to-one relations among them, otherwise in the given order; the
/// entities of a cycle stay in the given order.
fn referenced_first<'m>(entities: &[&'m EntityMeta]) -> Vec<&'m EntityMeta> {
    // By table: one entity's metadata need not have one address.
    let references = |meta: &EntityMeta, other: &EntityMeta| {
        meta.table != other.table
            && meta.relations.iter().any(|r| {
                r.kind == crate::schema::RelationKind::ManyToOne
                    && (r.target_meta)().table == other.table
            })
    };
    let mut left: Vec<&EntityMeta> = entities.to_vec();
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        // The first entity referencing none of those still left, else
        // (a cycle) the first one.
        let next = (0..left.len())
            .find(|&i| !left.iter().any(|other| references(left[i], other)))
            .unwrap_or(0);
        ordered.push(left.remove(next));
    }
    ordered
}
