//! The one error type of the crate.

use std::fmt;

/// Everything that can go wrong in eagerly. Match on the variant to react;
/// the session stays usable after any of them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused a statement or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] DatabaseError),

    /// A value read from the database does not fit the mapped field type.
    #[error("cannot decode column {table}.{column}: expected {expected}, found {found}")]
    Decode {
        /// Table the row came from.
        table: &'static str,
        /// Column that held the value.
        column: &'static str,
        /// The Rust type the column is mapped to.
        expected: &'static str,
        /// What the database held instead.
        found: String,
    },

    /// A row that had to exist does not (`one()`, `update`, `delete`).
    #[error("no row found in table {table}")]
    NotFound {
        /// Table that was searched.
        table: &'static str,
    },

    /// `one()` found more than one row.
    #[error("more than one row found in table {table} where exactly one was expected")]
    MultipleRows {
        /// Table that was searched.
        table: &'static str,
    },

    /// Access to a relation whose strategy is `raise`.
    #[error("relation {entity}.{relation} is not loaded and its strategy is `raise`")]
    RelationRefused {
        /// The entity holding the relation.
        entity: &'static str,
        /// The relation's field.
        relation: &'static str,
    },

    /// A relation read without a session before it was loaded; load it with
    /// `session.load(RELATION, &object)`.
    #[error("relation {entity}.{relation} is not loaded: load it with session.load(...)")]
    NotLoaded {
        /// The entity holding the relation.
        entity: &'static str,
        /// The relation's field.
        relation: &'static str,
    },

    /// The N+1 guard refused another lazy `select` load of one relation.
    #[error("N+1: {entity}.{relation} was lazily loaded {loads} times one object at a time; use lazy = \"{suggestion}\" or a {suggestion}(...) option")]
    NPlusOne {
        /// The entity holding the relation.
        entity: &'static str,
        /// The relation's field.
        relation: &'static str,
        /// Loads already sent.
        loads: u32,
        /// The strategy that would load them all at once.
        suggestion: &'static str,
    },

    /// A non-nullable foreign key references a row that does not exist.
    #[error("relation {entity}.{relation}: no row has the referenced key {key}")]
    MissingRelated {
        /// The entity holding the relation.
        entity: &'static str,
        /// The relation's field.
        relation: &'static str,
        /// The dangling key, as debug text.
        key: String,
    },

    /// A statement of a transaction that already failed: after a failed
    /// statement the transaction can only be rolled back (PostgreSQL's
    /// "current transaction is aborted").
    #[error(
        "the transaction failed earlier and must be rolled back; its first error: {first_error}"
    )]
    TransactionAborted {
        /// The message of the statement that failed the transaction.
        first_error: String,
    },

    /// The API was used in a way that cannot work, such as committing
    /// without a transaction.
    #[error("misuse: {0}")]
    Misuse(String),
}

/// A failure reported by the database backend, with its message and source.
#[derive(Debug, Clone)]
pub struct DatabaseError {
    message: String,
    // Shared, so an error can be kept (a failed transaction's first error)
    // and handed out again.
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DatabaseError {
    /// Wraps a backend's error.
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        DatabaseError {
            message: source.to_string(),
            source: Some(std::sync::Arc::new(source)),
        }
    }

    /// The database's own message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Error::Database(DatabaseError::new(error))
    }
}

/// The result type of eagerly.
pub type Result<T, E = Error> = std::result::Result<T, E>;
