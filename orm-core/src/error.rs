//! The one error type of the crate.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Everything that can go wrong in eagerly. Match on the variant to react;
/// the session stays usable after any of them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused a statement or could not be reached; its
    /// [`kind`](DatabaseError::kind) says why. Display and `source()` are the
    /// [`DatabaseError`]'s own, so a report shows its message once.
    #[error(transparent)]
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

    /// An object used with a session that did not load it: loaded by
    /// another session, expunged, or built by hand.
    #[error("this {entity} object does not belong to this session (it was loaded by another session, expunged, or built by hand): get it through this session first")]
    ForeignObject {
        /// The object's entity.
        entity: &'static str,
    },

    /// The API was used in a way that cannot work, such as committing
    /// without a transaction.
    #[error("misuse: {0}")]
    Misuse(String),
}

/// Why the database refused a statement, for a caller to branch on:
///
/// ```
/// # extern crate orm_core as eagerly;
/// use eagerly::{DatabaseErrorKind, Error};
///
/// /// Whether the insert happened: a duplicate is no failure here.
/// fn inserted(result: eagerly::Result<()>) -> eagerly::Result<bool> {
///     match result {
///         Ok(()) => Ok(true),
///         Err(Error::Database(db)) if db.kind() == DatabaseErrorKind::UniqueViolation => Ok(false),
///         Err(other) => Err(other),
///     }
/// }
/// ```
///
/// New kinds may be added; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatabaseErrorKind {
    /// A primary key or UNIQUE constraint (or unique index) was violated.
    UniqueViolation,
    /// A foreign key constraint was violated: a row references a key that
    /// does not exist, or a referenced row was deleted.
    ForeignKeyViolation,
    /// NULL was written to a NOT NULL column.
    NotNullViolation,
    /// A CHECK constraint was violated.
    CheckViolation,
    /// The database (or a table) is locked by another connection; retrying
    /// the whole transaction may succeed.
    Busy,
    /// A serializable transaction could not commit because of a concurrent
    /// one; retry the transaction. PostgreSQL reports it (SQLSTATE 40001);
    /// SQLite never does (it reports [`Busy`](DatabaseErrorKind::Busy)).
    SerializationFailure,
    /// The transaction was chosen as the victim of a deadlock and rolled
    /// back; retry it. PostgreSQL reports it (SQLSTATE 40P01).
    Deadlock,
    /// Anything else: syntax errors, missing tables, I/O errors, limits...
    Other,
}

impl fmt::Display for DatabaseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatabaseErrorKind::UniqueViolation => "unique violation",
            DatabaseErrorKind::ForeignKeyViolation => "foreign key violation",
            DatabaseErrorKind::NotNullViolation => "not null violation",
            DatabaseErrorKind::CheckViolation => "check violation",
            DatabaseErrorKind::Busy => "busy",
            DatabaseErrorKind::SerializationFailure => "serialization failure",
            DatabaseErrorKind::Deadlock => "deadlock",
            DatabaseErrorKind::Other => "other",
        })
    }
}

/// A failure reported by the database backend: its
/// [`kind`](DatabaseError::kind), the database's own
/// [`message`](DatabaseError::message), the constraint, table and columns
/// when the engine names them, and the driver's original error.
///
/// Display reads `database error: {kind} on {names}: {message}`, the names
/// being `table.column`, `table (column, column)` or the constraint, and
/// ` on {names}` left out when the engine gave none: `database error:
/// unique violation on authors.name: UNIQUE constraint failed:
/// authors.name`, `database error: foreign key violation: FOREIGN KEY
/// constraint failed`. For [`DatabaseErrorKind::Other`] it is `database
/// error: {message}`. A [hint](DatabaseError::hint) follows in parentheses.
///
/// What SQLite names: a unique or primary key violation names the table and
/// columns ("UNIQUE constraint failed: authors.name, authors.x"), or the
/// index when it is on expressions; a NOT NULL violation names the table
/// and column; a CHECK violation names the constraint, or its expression
/// when the constraint has no name ("CHECK constraint failed: price > 0"),
/// but not the table; a foreign key violation names nothing.
///
/// `source()` is the engine's result [`code`](DatabaseError::code) when
/// there is one, never the driver's error: that one displays the same
/// message again. The driver's error is at
/// [`driver_error`](DatabaseError::driver_error).
#[derive(Clone)]
pub struct DatabaseError(Box<Details>);

/// Boxed so that `Result<T>` stays small on the paths that succeed.
#[derive(Clone)]
struct Details {
    kind: DatabaseErrorKind,
    message: String,
    constraint: Option<String>,
    table: Option<String>,
    columns: Vec<String>,
    code: Option<EngineCode>,
    hint: Option<Cow<'static, str>>,
    relation: Option<String>,
    // Shared, so an error can be kept (a failed transaction's first error)
    // and handed out again.
    driver: Arc<dyn std::error::Error + Send + Sync + 'static>,
}

impl DatabaseError {
    /// An error of `kind` with the database's `message` and the driver's
    /// error, for a [`Backend`](crate::backend::Backend) to return; add the
    /// names the engine gave with the `with_` methods. A statement quoted in
    /// `message` should go through
    /// [`abbreviate_sql`](crate::backend::abbreviate_sql) first.
    pub fn new(
        kind: DatabaseErrorKind,
        message: impl Into<String>,
        driver: Box<dyn std::error::Error + Send + Sync + 'static>,
    ) -> Self {
        DatabaseError(Box::new(Details {
            kind,
            message: message.into(),
            constraint: None,
            table: None,
            columns: Vec::new(),
            code: None,
            hint: None,
            relation: None,
            driver: Arc::from(driver),
        }))
    }

    /// Names the violated constraint (or index).
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        self.0.constraint = Some(constraint.into());
        self
    }

    /// Names the table the failure is about.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.0.table = Some(table.into());
        self
    }

    /// Names the columns the failure is about, in the engine's order.
    pub fn with_columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.0.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Records the engine's code for the failure (see
    /// [`code`](DatabaseError::code)).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(EngineCode(code.into()));
        self
    }

    /// Adds advice on how to avoid the failure, shown after the message.
    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Names the relation the failure is about, as `Owner.field`: the
    /// session sets it on a delete refused because rows still point at
    /// the deleted one through that relation.
    pub fn with_relation(mut self, relation: impl Into<String>) -> Self {
        self.0.relation = Some(relation.into());
        self
    }

    /// The relation the failure is about (`User.posts`), when the session
    /// can tell: set on a foreign-key violation of a delete.
    pub fn relation(&self) -> Option<&str> {
        self.0.relation.as_deref()
    }

    /// Why the database refused the statement.
    pub fn kind(&self) -> DatabaseErrorKind {
        self.0.kind
    }

    /// The database's own message, with any statement it quotes cut to a
    /// few hundred characters.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The violated constraint when the engine names it: on SQLite the
    /// CHECK constraint's name (or its expression when it has no name), or
    /// the index of a unique violation on expressions. `None` for a
    /// foreign key violation, which SQLite does not name.
    pub fn constraint(&self) -> Option<&str> {
        self.0.constraint.as_deref()
    }

    /// The table when the engine names it: on SQLite for unique, primary
    /// key and NOT NULL violations.
    pub fn table(&self) -> Option<&str> {
        self.0.table.as_deref()
    }

    /// The columns when the engine names them (empty otherwise): on SQLite
    /// every column of a violated unique or primary key, the column of a NOT
    /// NULL violation.
    pub fn columns(&self) -> &[String] {
        &self.0.columns
    }

    /// The engine's code for the failure: on SQLite the name of its
    /// extended result code, such as `SQLITE_CONSTRAINT_UNIQUE` or
    /// `SQLITE_BUSY_SNAPSHOT`. `None` for failures the driver reports
    /// without one (a parameter it cannot bind, a wrong parameter count).
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_ref().map(|code| code.0.as_str())
    }

    /// Advice on how to avoid the failure, when the backend has some: on
    /// SQLite, for [`Busy`](DatabaseErrorKind::Busy), to begin transactions
    /// with `BEGIN IMMEDIATE`.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The driver's original error, to downcast for what this type does not
    /// carry (the [SQLite backend](crate::backend::sqlite) says which type).
    /// It is not in the `source()` chain because it displays the same
    /// message.
    pub fn driver_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.driver.as_ref()
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("database error: ")?;
        if self.0.kind != DatabaseErrorKind::Other {
            write!(f, "{}", self.0.kind)?;
            match (&self.0.table, self.0.columns.as_slice(), &self.0.constraint) {
                (Some(table), [column], _) => write!(f, " on {table}.{column}")?,
                (Some(table), columns @ [_, _, ..], _) => {
                    write!(f, " on {table} ({})", columns.join(", "))?
                }
                (_, _, Some(constraint)) => write!(f, " on {constraint}")?,
                (Some(table), _, _) => write!(f, " on {table}")?,
                (None, _, None) => {}
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.0.message)?;
        if let Some(hint) = &self.0.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

// By hand, without the driver's error: its Debug can hold the whole
// statement, which the message already quotes cut short.
impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("DatabaseError");
        debug
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("constraint", &self.0.constraint)
            .field("table", &self.0.table)
            .field("columns", &self.0.columns)
            .field("code", &self.code())
            .field("hint", &self.hint());
        // Shown only when set: most errors are not about a relation.
        if let Some(relation) = &self.0.relation {
            debug.field("relation", relation);
        }
        debug.finish_non_exhaustive()
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .code
            .as_ref()
            .map(|code| code as &(dyn std::error::Error + 'static))
    }
}

/// The engine's code as the end of a `source()` chain: it says what the
/// message does not (which code), without repeating the message.
#[derive(Debug, Clone)]
struct EngineCode(String);

impl fmt::Display for EngineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "database code {}", self.0)
    }
}

impl std::error::Error for EngineCode {}

/// The result type of eagerly.
pub type Result<T, E = Error> = std::result::Result<T, E>;
