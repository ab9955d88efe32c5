//! Every byte of SQL text the library sends: quoting, placeholders, key
//! lists, joins, DDL and transaction control. What differs between engines
//! is asked of a [`Dialect`]; the rest is written once here.
//!
//! The derive emits names and structure only (tables, columns, links). The
//! statements of an entity or a relation are rendered from that metadata
//! the first time a dialect needs them and then cached for the process:
//! rendered once per entity and dialect.

mod entity;
mod filter;
mod join;
mod relation;
mod sqlite;

use std::sync::{LazyLock, RwLock};

pub(crate) use entity::{link_insert, schema, target_indexes, EntityStatements};
pub(crate) use filter::{render_order, ClauseOptions};
pub use join::JoinBuilder;
pub(crate) use join::{wrap_with_joins, JoinClause};
pub(crate) use relation::RelationStatements;
pub use sqlite::Sqlite;

use crate::hash::FastMap;
use crate::SqlType;

/// What one database engine spells its own way. Implemented by [`Sqlite`]
/// (and PostgreSQL in its own backend); everything else about a statement is
/// the same on every engine.
pub trait Dialect: Send + Sync + 'static {
    /// A short name (`"sqlite"`), and the key of this dialect's statement caches.
    fn name(&self) -> &'static str;

    /// Appends the placeholder of parameter `number` (1-based, in the
    /// order parameters are bound): `?` on SQLite, `$1` on PostgreSQL.
    fn push_placeholder(&self, sql: &mut String, number: usize);

    /// Appends `"column" IN <list>` (or `NOT IN`) for one parameter that
    /// binds a whole list of values as an array; `column` is unquoted.
    fn push_in_array(&self, sql: &mut Sql<'_>, column: &str, negated: bool);

    /// The value bound as LIMIT when only OFFSET was asked for (SQLite needs
    /// a LIMIT before any OFFSET and reads -1 as none), or `None` when the
    /// engine takes OFFSET alone.
    fn limit_for_offset_only(&self) -> Option<i64>;

    /// The column type `CREATE TABLE` declares for `sql_type`.
    fn column_type(&self, sql_type: SqlType) -> &'static str;

    /// `BEGIN`, or the form that takes the write lock up front.
    fn begin(&self, immediate: bool) -> &'static str;
}

/// A statement being written: its text, and how many parameters it binds
/// so far (for numbered placeholders).
pub struct Sql<'d> {
    text: String,
    params: usize,
    dialect: &'d dyn Dialect,
}

impl<'d> Sql<'d> {
    pub(crate) fn new(dialect: &'d dyn Dialect) -> Self {
        Sql::with_capacity(dialect, 64)
    }

    pub(crate) fn with_capacity(dialect: &'d dyn Dialect, capacity: usize) -> Self {
        Sql {
            text: String::with_capacity(capacity),
            params: 0,
            dialect,
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends a double-quoted identifier, doubling embedded quotes, so
    /// keywords such as `order` and odd names are always legal.
    pub fn ident(&mut self, name: &str) {
        push_ident(&mut self.text, name);
    }

    /// Appends `alias."name"`, or `"name"` when `alias` is empty.
    pub(crate) fn qualified(&mut self, alias: &str, name: &str) {
        if !alias.is_empty() {
            self.text.push_str(alias);
            self.text.push('.');
        }
        self.ident(name);
    }

    /// Appends the next parameter's placeholder.
    pub fn param(&mut self) {
        self.params += 1;
        self.dialect.push_placeholder(&mut self.text, self.params);
    }

    /// Appends `a, b, c` with `each` writing item `i` of `count`.
    pub(crate) fn list(&mut self, count: usize, mut each: impl FnMut(&mut Self, usize)) {
        for i in 0..count {
            if i > 0 {
                self.text.push_str(", ");
            }
            each(self, i);
        }
    }

    /// Appends `"a" = ? AND "b" = ?` over `columns` qualified by `alias`.
    pub(crate) fn equal_params(&mut self, alias: &str, columns: &[&str]) {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                self.text.push_str(" AND ");
            }
            self.qualified(alias, column);
            self.text.push_str(" = ");
            self.param();
        }
    }

    /// Appends `?, ?, ?` for `keys` single-column keys, `(?, ?), (?, ?)`
    /// for composite ones of `width` columns.
    pub(crate) fn key_params(&mut self, keys: usize, width: usize) {
        self.list(keys, |sql, _| {
            if width == 1 {
                sql.param();
            } else {
                sql.push("(");
                sql.list(width, |sql, _| sql.param());
                sql.push(")");
            }
        });
    }

    pub(crate) fn dialect(&self) -> &'d dyn Dialect {
        self.dialect
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn finish(self) -> String {
        self.text
    }
}

/// Appends `name` double-quoted, embedded quotes doubled.
pub(crate) fn push_ident(sql: &mut String, name: &str) {
    sql.push('"');
    for part in name.split_inclusive('"') {
        sql.push_str(part);
        if part.ends_with('"') {
            sql.push('"');
        }
    }
    sql.push('"');
}

/// `name` double-quoted, embedded quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    push_ident(&mut quoted, name);
    quoted
}

/// The savepoint of nesting level `depth` (1 inside the outer transaction).
fn savepoint_name(depth: usize) -> String {
    format!("eagerly_sp{depth}")
}

/// Opens transaction level `depth` (0 is the outer transaction).
pub(crate) fn open_level(dialect: &dyn Dialect, depth: usize, immediate: bool) -> String {
    match depth {
        0 => dialect.begin(immediate).to_owned(),
        depth => format!("SAVEPOINT {}", savepoint_name(depth)),
    }
}

/// Commits transaction level `depth` (0 is the outer transaction).
pub(crate) fn commit_level(depth: usize) -> Vec<String> {
    match depth {
        0 => vec!["COMMIT".to_owned()],
        depth => vec![format!("RELEASE SAVEPOINT {}", savepoint_name(depth))],
    }
}

/// Rolls transaction level `depth` back (0 is the outer transaction); a
/// savepoint is released too, so the level is gone either way.
pub(crate) fn rollback_level(depth: usize) -> Vec<String> {
    match depth {
        0 => vec!["ROLLBACK".to_owned()],
        depth => {
            let name = savepoint_name(depth);
            vec![
                format!("ROLLBACK TO SAVEPOINT {name}"),
                format!("RELEASE SAVEPOINT {name}"),
            ]
        }
    }
}

/// Rendered statements of one kind, by the address of the static metadata
/// they were rendered from and the dialect's name. Entries live as long as
/// the process, as the metadata does: one per entity (or relation) and
/// dialect.
pub(crate) struct Cache<T: 'static> {
    entries: LazyLock<RwLock<FastMap<(usize, &'static str), &'static T>>>,
}

impl<T: Send + Sync + 'static> Cache<T> {
    pub(crate) const fn new() -> Self {
        Cache {
            entries: LazyLock::new(|| RwLock::new(FastMap::default())),
        }
    }

    /// The statements rendered from `source` for `dialect`, rendering them
    /// with `render` the first time.
    pub(crate) fn get<S>(
        &'static self,
        source: &'static S,
        dialect: &dyn Dialect,
        render: impl FnOnce() -> T,
    ) -> &'static T {
        let key = (source as *const S as usize, dialect.name());
        // A poisoned lock only means a render panicked; the map is intact.
        if let Some(found) = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return found;
        }
        let rendered = render();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries
            .entry(key)
            .or_insert_with(|| Box::leak(Box::new(rendered)))
    }
}
