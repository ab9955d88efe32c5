//! What the derive generates for each mapped struct.

use std::fmt::Debug;
use std::hash::Hash;

use crate::backend::Row;
use crate::relation::RelationMeta;
use crate::{Result, SqlType, Value};

/// A struct mapped to a table. Implemented by `#[derive(Entity)]`; the
/// generated impl describes the table (names and structure), and the `sql`
/// layer renders its statements from that for each dialect.
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
            relations,
        } = self;
        EntityMeta {
            name,
            table,
            columns,
            primary_key,
            auto_key,
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

impl EntityMeta {
    /// The primary key's column names, in key order.
    pub(crate) fn key_names(&self) -> Vec<&'static str> {
        self.primary_key
            .iter()
            .map(|&i| self.columns[i].name)
            .collect()
    }

    /// Column positions that are not part of the primary key.
    pub(crate) fn non_key_columns(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.columns.len()).filter(|i| !self.primary_key.contains(i))
    }
}
