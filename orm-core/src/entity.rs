//! What the derive generates for each mapped struct.

use std::fmt::Debug;
use std::hash::Hash;

use crate::backend::Row;
use crate::{Result, SqlType, Value};

/// A struct mapped to a table. Implemented by `#[derive(Entity)]`; the
/// generated impl carries its SQL as constant strings.
pub trait Entity: Sized + Send + Sync + 'static {
    /// The primary key: the key field's type, or a tuple of the key fields'
    /// types (in field order) for a composite key.
    type Key: Clone + Eq + Hash + Debug + Send + Sync + 'static;

    /// Table, columns and SQL of this entity.
    const META: &'static EntityMeta;

    /// This object's primary key.
    fn key(&self) -> Self::Key;

    /// Binds a key's columns in primary-key order.
    fn key_values(key: &Self::Key, out: &mut Vec<Value>);

    /// Reads only the primary key from a row whose columns for this entity
    /// start at `offset`; the identity map is consulted before decoding more.
    fn key_from_row(row: &dyn Row, offset: usize) -> Result<Self::Key>;

    /// Decodes a whole object from a row whose columns for this entity start
    /// at `offset`, in [`EntityMeta::columns`] order.
    fn from_row(row: &dyn Row, offset: usize) -> Result<Self>;

    /// Every column's value, in [`EntityMeta::columns`] order.
    fn column_values(&self, out: &mut Vec<Value>);

    /// Whether the database should assign the key on insert: true for a
    /// single integer primary key whose value is 0.
    fn key_unassigned(&self) -> bool {
        false
    }

    /// Stores the key the database assigned on insert.
    fn assign_key(&mut self, _id: i64) -> Result<()> {
        Ok(())
    }
}

/// Table-level metadata of an entity.
#[derive(Debug)]
pub struct EntityMeta {
    /// The struct's name.
    pub name: &'static str,
    /// The table's name.
    pub table: &'static str,
    /// Every mapped column, in field order.
    pub columns: &'static [ColumnMeta],
    /// Positions in `columns` of the primary-key columns.
    pub primary_key: &'static [usize],
    /// Whether the key is a single integer the database can assign.
    pub auto_key: bool,
    /// The statements of this entity, built by the derive.
    pub sql: EntitySql,
}

/// A column of an entity.
#[derive(Debug)]
pub struct ColumnMeta {
    /// The column's name in the database.
    pub name: &'static str,
    /// The Rust field it maps to.
    pub field: &'static str,
    /// The declared SQL type.
    pub sql_type: SqlType,
    /// Whether NULL is allowed (the field is an `Option`).
    pub nullable: bool,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

/// The constant statements of an entity. Identifiers are double-quoted and
/// every value is a `?` placeholder.
#[derive(Debug)]
pub struct EntitySql {
    /// `SELECT <columns> FROM <table>`.
    pub select: &'static str,
    /// `SELECT <columns> FROM <table> WHERE <key> = ?`.
    pub select_by_key: &'static str,
    /// `SELECT COUNT(*) FROM <table>`.
    pub count: &'static str,
    /// `INSERT` of every column.
    pub insert: &'static str,
    /// `INSERT` without the key column, for a key the database assigns
    /// (the same as `insert` when the key is never assigned).
    pub insert_without_key: &'static str,
    /// `UPDATE ... SET <non-key columns> WHERE <key>`; empty when every
    /// column is part of the key.
    pub update: &'static str,
    /// `DELETE ... WHERE <key>`.
    pub delete: &'static str,
}

impl EntityMeta {
    /// `CREATE TABLE IF NOT EXISTS` for this entity. Built at run time because
    /// a column's SQL type comes from its [`ColumnType`](crate::ColumnType)
    /// impl, which the derive cannot see.
    pub fn create_table_sql(&self) -> String {
        let quote = crate::query::quote_ident;
        let single_key = self.primary_key.len() == 1;
        let mut sql = format!("CREATE TABLE IF NOT EXISTS {} (", quote(self.table));
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&quote(column.name));
            sql.push(' ');
            sql.push_str(column.sql_type.ddl_name());
            if single_key && column.primary_key {
                // A single INTEGER PRIMARY KEY column is SQLite's rowid alias.
                sql.push_str(" PRIMARY KEY");
            }
            if !column.nullable {
                sql.push_str(" NOT NULL");
            }
        }
        if !single_key {
            let key: Vec<String> = self
                .primary_key
                .iter()
                .map(|&i| quote(self.columns[i].name))
                .collect();
            sql.push_str(&format!(", PRIMARY KEY ({})", key.join(", ")));
        }
        sql.push(')');
        sql
    }

    /// Column positions that are not part of the primary key.
    pub(crate) fn non_key_columns(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.columns.len()).filter(|i| !self.primary_key.contains(i))
    }
}
