//! What the derive generates for each mapped struct.

use std::fmt::Debug;
use std::hash::Hash;

use crate::backend::Row;
use crate::query::quote_ident;
use crate::relation::{RelationKind, RelationMeta};
use crate::{Result, SqlType, Value};

/// A struct mapped to a table. Implemented by `#[derive(Entity)]`; the
/// generated impl carries its SQL as constant strings.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity",
    label = "not an entity",
    note = "add #[derive(Entity)] to `{Self}` to map it to a table"
)]
pub trait Entity: Sized + Send + Sync + 'static {
    /// The primary key: the key field's type, or a tuple of the key fields'
    /// types (in field order) for a composite key.
    type Key: Clone + Eq + Ord + Hash + Debug + Send + Sync + 'static;

    /// `Self`. Generated code names a relationship's target only as
    /// `<Target as Entity>::Itself`: for a type that is not an entity that
    /// projection fails once, where the target is written, and what is built
    /// on it stays silent instead of repeating the error.
    #[doc(hidden)]
    type Itself: Entity;

    /// Table, columns and SQL of this entity.
    const META: &'static EntityMeta;

    /// This object's primary key.
    fn key(&self) -> Self::Key;

    /// Binds a key's columns in primary-key order.
    fn key_values(key: &Self::Key, out: &mut Vec<Value>);

    /// Reads only the primary key from a row whose columns for this entity
    /// start at `offset`; the identity map is consulted before decoding more.
    fn key_from_row(row: &dyn Row, offset: usize) -> Result<Self::Key>;

    /// Reads a key whose columns stand side by side from `start` (the link
    /// columns of an association table).
    fn key_at(row: &dyn Row, start: usize) -> Result<Self::Key>;

    /// Every relationship of the entity, for the loaders.
    #[doc(hidden)]
    fn relations() -> &'static [&'static dyn crate::loader::ErasedRelation<Self>] {
        &[]
    }

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

    /// Whether the key field can hold the database-assigned key `id`.
    fn assigned_key_fits(_id: i64) -> bool {
        true
    }
}

/// Table-level metadata of an entity: `Author::META`. Built by the derive;
/// read through its methods.
#[derive(Debug)]
#[non_exhaustive]
pub struct EntityMeta {
    pub(crate) name: &'static str,
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [ColumnMeta],
    pub(crate) primary_key: &'static [usize],
    pub(crate) auto_key: bool,
    pub(crate) sql: EntitySql,
    pub(crate) relations: &'static [&'static RelationMeta],
}

/// A column of an entity.
#[derive(Debug)]
#[non_exhaustive]
pub struct ColumnMeta {
    pub(crate) name: &'static str,
    pub(crate) field: &'static str,
    pub(crate) sql_type: SqlType,
    pub(crate) nullable: bool,
    pub(crate) primary_key: bool,
}

/// The constant statements of an entity. Identifiers are double-quoted and
/// every value is a `?` placeholder.
#[derive(Debug)]
#[non_exhaustive]
pub struct EntitySql {
    pub(crate) select: &'static str,
    pub(crate) key_match: &'static str,
    pub(crate) count: &'static str,
    pub(crate) insert: &'static str,
    pub(crate) insert_without_key: &'static str,
    pub(crate) update: &'static str,
    pub(crate) delete: &'static str,
}

// The derive names every part, so the generated code reads like the data it
// is; the public types keep their fields private and can grow.

/// The parts of an [`EntityMeta`], as the derive writes them.
#[doc(hidden)]
pub struct EntityMetaParts {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [ColumnMeta],
    pub primary_key: &'static [usize],
    pub auto_key: bool,
    pub sql: EntitySqlParts,
    pub relations: &'static [&'static RelationMeta],
}

impl EntityMetaParts {
    /// The metadata.
    pub const fn build(self) -> EntityMeta {
        let EntityMetaParts {
            name,
            table,
            columns,
            primary_key,
            auto_key,
            sql,
            relations,
        } = self;
        EntityMeta {
            name,
            table,
            columns,
            primary_key,
            auto_key,
            sql: sql.build(),
            relations,
        }
    }
}

/// The parts of a [`ColumnMeta`], as the derive writes them.
#[doc(hidden)]
pub struct ColumnMetaParts {
    pub name: &'static str,
    pub field: &'static str,
    pub sql_type: SqlType,
    pub nullable: bool,
    pub primary_key: bool,
}

impl ColumnMetaParts {
    /// The metadata.
    pub const fn build(self) -> ColumnMeta {
        let ColumnMetaParts {
            name,
            field,
            sql_type,
            nullable,
            primary_key,
        } = self;
        ColumnMeta {
            name,
            field,
            sql_type,
            nullable,
            primary_key,
        }
    }
}

/// The parts of an [`EntitySql`], as the derive writes them.
#[doc(hidden)]
pub struct EntitySqlParts {
    pub select: &'static str,
    pub key_match: &'static str,
    pub count: &'static str,
    pub insert: &'static str,
    pub insert_without_key: &'static str,
    pub update: &'static str,
    pub delete: &'static str,
}

impl EntitySqlParts {
    /// The statements.
    pub const fn build(self) -> EntitySql {
        let EntitySqlParts {
            select,
            key_match,
            count,
            insert,
            insert_without_key,
            update,
            delete,
        } = self;
        EntitySql {
            select,
            key_match,
            count,
            insert,
            insert_without_key,
            update,
            delete,
        }
    }
}

impl EntityMeta {
    /// The struct's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The table's name, unquoted.
    pub const fn table(&self) -> &'static str {
        self.table
    }

    /// Every mapped column, in field order.
    pub const fn columns(&self) -> &'static [ColumnMeta] {
        self.columns
    }

    /// Positions in [`columns`](Self::columns) of the primary-key columns,
    /// in field order.
    pub const fn primary_key(&self) -> &'static [usize] {
        self.primary_key
    }

    /// Whether the key is a single integer the database can assign on insert.
    pub const fn auto_key(&self) -> bool {
        self.auto_key
    }

    /// The statements of this entity, built by the derive.
    pub const fn sql(&self) -> &EntitySql {
        &self.sql
    }

    /// The entity's relationships, in field order.
    pub const fn relations(&self) -> &'static [&'static RelationMeta] {
        self.relations
    }
}

impl ColumnMeta {
    /// The column's name in the database, unquoted.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The Rust field it maps to.
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The declared SQL type.
    pub const fn sql_type(&self) -> SqlType {
        self.sql_type
    }

    /// Whether NULL is allowed (the field is an `Option`).
    pub const fn nullable(&self) -> bool {
        self.nullable
    }

    /// Whether the column is part of the primary key.
    pub const fn primary_key(&self) -> bool {
        self.primary_key
    }
}

impl EntitySql {
    /// `SELECT <columns> FROM <table>`.
    pub const fn select(&self) -> &'static str {
        self.select
    }

    /// `<key column> = ?` (joined by AND for a composite key), the condition
    /// every statement by key uses.
    pub const fn key_match(&self) -> &'static str {
        self.key_match
    }

    /// `SELECT COUNT(*) FROM <table>`.
    pub const fn count(&self) -> &'static str {
        self.count
    }

    /// `INSERT` of every column.
    pub const fn insert(&self) -> &'static str {
        self.insert
    }

    /// `INSERT` without the key column, for a key the database assigns
    /// (the same as [`insert`](Self::insert) when the key is never assigned).
    pub const fn insert_without_key(&self) -> &'static str {
        self.insert_without_key
    }

    /// `UPDATE ... SET <non-key columns> WHERE <key>`; empty when every
    /// column is part of the key.
    pub const fn update(&self) -> &'static str {
        self.update
    }

    /// `DELETE ... WHERE <key>`.
    pub const fn delete(&self) -> &'static str {
        self.delete
    }
}

impl EntityMeta {
    /// The DDL of this entity: `CREATE TABLE IF NOT EXISTS` with its primary
    /// key, NOT NULL for non-`Option` fields and a FOREIGN KEY per
    /// many-to-one; an index per foreign key; and the association table of
    /// each many-to-many. Built at run time because a column's SQL type comes
    /// from its [`ColumnType`](crate::ColumnType) impl, which the derive
    /// cannot see.
    pub fn schema_sql(&self) -> Vec<String> {
        let mut statements = Vec::new();
        let mut foreign_keys = Vec::new();
        for relation in self.relations {
            let target = (relation.target_meta)();
            match (relation.kind, relation.secondary) {
                (RelationKind::ManyToOne, _) => {
                    foreign_keys.push(format!(
                        "FOREIGN KEY ({}) REFERENCES {} ({})",
                        relation.foreign_key.join(", "),
                        quote_ident(target.table),
                        target.key_column_list()
                    ));
                }
                (RelationKind::ManyToMany, Some(secondary)) => {
                    statements.extend(association_table_sql(secondary, relation, self, target));
                }
                _ => {}
            }
        }
        statements.insert(0, self.create_table_sql(&foreign_keys));
        for relation in self
            .relations
            .iter()
            .filter(|r| r.kind == RelationKind::ManyToOne)
        {
            statements.push(index_sql(self.table, relation.foreign_key));
        }
        statements
    }

    /// Indexes on the foreign keys this entity's one-to-many and one-to-one
    /// relations hold on their targets' tables, for targets in `created`
    /// (tables that exist once `create_all` made them): without one, every
    /// `WHERE fk IN (...)` load scans the whole target table, and loading a
    /// self-referential tree level by level costs quadratic time.
    pub(crate) fn target_index_sql(&self, created: &[&str]) -> Vec<String> {
        self.relations
            .iter()
            .filter(|r| {
                matches!(r.kind, RelationKind::OneToMany | RelationKind::OneToOne)
                    && r.secondary.is_none()
                    && created.contains(&(r.target_meta)().table)
            })
            .map(|r| index_sql((r.target_meta)().table, r.foreign_key))
            .collect()
    }

    fn key_column_list(&self) -> String {
        self.key_columns("").join(", ")
    }

    /// The quoted key columns, each prefixed with `qualifier` (`"t0."` or `""`).
    pub(crate) fn key_columns(&self, qualifier: &str) -> Vec<String> {
        self.primary_key
            .iter()
            .map(|&i| format!("{qualifier}{}", quote_ident(self.columns[i].name)))
            .collect()
    }

    /// Every quoted column, each prefixed with `qualifier`, comma-separated.
    pub(crate) fn column_list(&self, qualifier: &str) -> String {
        self.columns
            .iter()
            .map(|c| format!("{qualifier}{}", quote_ident(c.name)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn create_table_sql(&self, foreign_keys: &[String]) -> String {
        let single_key = self.primary_key.len() == 1;
        let mut sql = format!("CREATE TABLE IF NOT EXISTS {} (", quote_ident(self.table));
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&quote_ident(column.name));
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
            sql.push_str(&format!(", PRIMARY KEY ({})", self.key_column_list()));
        }
        for foreign_key in foreign_keys {
            sql.push_str(", ");
            sql.push_str(foreign_key);
        }
        sql.push(')');
        sql
    }

    /// Column positions that are not part of the primary key.
    pub(crate) fn non_key_columns(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.columns.len()).filter(|i| !self.primary_key.contains(i))
    }
}

/// `CREATE INDEX IF NOT EXISTS` on already-quoted `columns` of `table`.
fn index_sql(table: &str, columns: &[&str]) -> String {
    let bare: Vec<String> = columns
        .iter()
        .map(|c| c.trim_matches('"').replace("\"\"", "\""))
        .collect();
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        quote_ident(&format!("ix_{}_{}", table, bare.join("_"))),
        quote_ident(table),
        columns.join(", ")
    )
}

/// The association table of a many-to-many, keyed by both foreign keys.
fn association_table_sql(
    secondary: &str,
    relation: &RelationMeta,
    owner: &EntityMeta,
    target: &EntityMeta,
) -> Vec<String> {
    let typed = |columns: &[&str], meta: &EntityMeta| -> Vec<String> {
        columns
            .iter()
            .zip(meta.primary_key)
            .map(|(c, &k)| format!("{c} {} NOT NULL", meta.columns[k].sql_type.ddl_name()))
            .collect()
    };
    let mut columns = typed(relation.foreign_key, owner);
    columns.extend(typed(relation.target_foreign_key, target));
    let all: Vec<&str> = relation
        .foreign_key
        .iter()
        .chain(relation.target_foreign_key)
        .copied()
        .collect();
    let bare_table = secondary.trim_matches('"').replace("\"\"", "\"");
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {secondary} ({}, PRIMARY KEY ({}), FOREIGN KEY ({}) REFERENCES {} ({}), FOREIGN KEY ({}) REFERENCES {} ({}))",
            columns.join(", "),
            all.join(", "),
            relation.foreign_key.join(", "),
            quote_ident(owner.table),
            owner.key_column_list(),
            relation.target_foreign_key.join(", "),
            quote_ident(target.table),
            target.key_column_list(),
        ),
        index_sql(&bare_table, relation.target_foreign_key),
    ]
}
