//! Static metadata of entities, their columns and their relations, as the
//! derive writes it: unquoted names and structure, no SQL.

use std::any::TypeId;

use crate::SqlType;

/// When a relationship's rows are loaded; the meanings are SQLAlchemy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// On first access, one SELECT per object (the default).
    Select,
    /// In the parent's statement, through a LEFT OUTER JOIN.
    Joined,
    /// Right after the parents, one `IN` statement per chunk of parents.
    Selectin,
    /// Never: the relation is a query.
    Dynamic,
    /// On first access, for every object of the type in the session whose
    /// relation is not loaded yet, one `IN` statement per chunk.
    Bulk,
    /// Never: access is an error naming the relation.
    Raise,
    /// Never: the relation reads as empty.
    Noload,
    /// On access, only when no statement is needed (a many-to-one found in
    /// the identity map); a load that would send SQL is refused.
    RaiseOnSql,
}

impl Strategy {
    pub(crate) fn code(self) -> u8 {
        self as u8 + 1
    }

    pub(crate) fn from_code(code: u8) -> Option<Strategy> {
        const ALL: [Strategy; 8] = [
            Strategy::Select,
            Strategy::Joined,
            Strategy::Selectin,
            Strategy::Dynamic,
            Strategy::Bulk,
            Strategy::Raise,
            Strategy::Noload,
            Strategy::RaiseOnSql,
        ];
        ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// Whether the strategy loads without being asked (joined, selectin).
    pub fn is_eager(self) -> bool {
        matches!(self, Strategy::Joined | Strategy::Selectin)
    }
}

/// The shape of a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `One<T>`, foreign key on this table.
    ManyToOne,
    /// `Many<T>`, foreign key on the target table.
    OneToMany,
    /// `One<T>`, foreign key on the target table.
    OneToOne,
    /// `Many<T>` through an association (`secondary`) table.
    ManyToMany,
}

impl RelationKind {
    /// Whether the relation holds at most one object.
    pub fn is_to_one(self) -> bool {
        matches!(self, RelationKind::ManyToOne | RelationKind::OneToOne)
    }
}

/// Everything the derive knows about one relationship (`Author::BOOKS.meta()`).
/// Column and table names are stored unquoted. Built by the derive;
/// read through its methods.
#[derive(Debug)]
#[non_exhaustive]
pub struct RelationMeta {
    pub(crate) owner: &'static str,
    pub(crate) name: &'static str,
    pub(crate) target: &'static str,
    pub(crate) kind: RelationKind,
    pub(crate) lazy: Strategy,
    pub(crate) innerjoin: bool,
    pub(crate) chunk_size: usize,
    pub(crate) chunk_size_explicit: bool,
    pub(crate) join_depth: usize,
    pub(crate) order_by: &'static [(&'static str, bool)],
    pub(crate) foreign_key: &'static [&'static str],
    pub(crate) secondary: Option<&'static str>,
    pub(crate) target_foreign_key: &'static [&'static str],
    pub(crate) optional: bool,
    pub(crate) cascade_delete: bool,
    pub(crate) delete_orphan: bool,
    pub(crate) on_delete: OnDelete,
    pub(crate) owner_meta: fn() -> &'static EntityMeta,
    pub(crate) target_meta: fn() -> &'static EntityMeta,
    pub(crate) owner_type: fn() -> TypeId,
    pub(crate) target_type: fn() -> TypeId,
}

/// The parts of a [`RelationMeta`], as the derive writes them: named, so
/// the generated code reads like the data it is.
/// What the database does with the rows that hold a foreign key when the
/// row it references is deleted (`on_delete` on a many-to-one), as
/// `create_all` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The delete is refused while rows point at the row (the default).
    NoAction,
    /// `ON DELETE CASCADE`: those rows are deleted with it.
    Cascade,
    /// `ON DELETE SET NULL`: their foreign key becomes NULL.
    SetNull,
}

impl OnDelete {
    /// The clause `create_all` appends to the foreign key.
    pub(crate) fn clause(self) -> &'static str {
        match self {
            OnDelete::NoAction => "",
            OnDelete::Cascade => " ON DELETE CASCADE",
            OnDelete::SetNull => " ON DELETE SET NULL",
        }
    }
}

#[doc(hidden)]
pub struct RelationMetaParts {
    pub owner: &'static str,
    pub name: &'static str,
    pub target: &'static str,
    pub kind: RelationKind,
    pub lazy: Strategy,
    pub innerjoin: bool,
    pub chunk_size: usize,
    pub chunk_size_explicit: bool,
    pub join_depth: usize,
    pub order_by: &'static [(&'static str, bool)],
    pub foreign_key: &'static [&'static str],
    pub secondary: Option<&'static str>,
    pub target_foreign_key: &'static [&'static str],
    pub optional: bool,
    pub cascade_delete: bool,
    pub delete_orphan: bool,
    pub on_delete: OnDelete,
    pub owner_meta: fn() -> &'static EntityMeta,
    pub target_meta: fn() -> &'static EntityMeta,
    pub owner_type: fn() -> TypeId,
    pub target_type: fn() -> TypeId,
}

impl RelationMetaParts {
    /// The metadata.
    pub const fn build(self) -> RelationMeta {
        let RelationMetaParts {
            owner,
            name,
            target,
            kind,
            lazy,
            innerjoin,
            chunk_size,
            chunk_size_explicit,
            join_depth,
            order_by,
            foreign_key,
            secondary,
            target_foreign_key,
            optional,
            cascade_delete,
            delete_orphan,
            on_delete,
            owner_meta,
            target_meta,
            owner_type,
            target_type,
        } = self;
        RelationMeta {
            owner,
            name,
            target,
            kind,
            lazy,
            innerjoin,
            chunk_size,
            chunk_size_explicit,
            join_depth,
            order_by,
            foreign_key,
            secondary,
            target_foreign_key,
            optional,
            cascade_delete,
            delete_orphan,
            on_delete,
            owner_meta,
            target_meta,
            owner_type,
            target_type,
        }
    }
}

impl RelationMeta {
    /// The struct holding the relation.
    pub const fn owner(&self) -> &'static str {
        self.owner
    }

    /// The field's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The target struct.
    pub const fn target(&self) -> &'static str {
        self.target
    }

    /// The relationship's shape.
    pub const fn kind(&self) -> RelationKind {
        self.kind
    }

    /// The mapping's default strategy.
    pub const fn lazy(&self) -> Strategy {
        self.lazy
    }

    /// `joined` with an INNER JOIN instead of LEFT OUTER.
    pub const fn innerjoin(&self) -> bool {
        self.innerjoin
    }

    /// How many keys go in one `IN` list: the mapping's `chunk_size`, else
    /// 500. Where the dialect binds a key list as one array (PostgreSQL),
    /// only a `chunk_size` written in the mapping chunks
    /// ([`chunk_size_explicit`](Self::chunk_size_explicit)).
    pub const fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Whether the mapping wrote `chunk_size`, rather than taking the
    /// default.
    pub const fn chunk_size_explicit(&self) -> bool {
        self.chunk_size_explicit
    }

    /// For a self-referential `joined` relation, how many levels one
    /// statement joins.
    pub const fn join_depth(&self) -> usize {
        self.join_depth
    }

    /// ORDER BY of a collection: target columns and "descending".
    pub const fn order_by(&self) -> &'static [(&'static str, bool)] {
        self.order_by
    }

    /// The key columns of the link: for many-to-one, on the owner
    /// table and referencing the target's key; for one-to-many and
    /// one-to-one, on the target table and referencing the owner's key; for
    /// many-to-many, on the secondary table and referencing the owner's key.
    pub const fn foreign_key(&self) -> &'static [&'static str] {
        self.foreign_key
    }

    /// The association table of a many-to-many.
    pub const fn secondary(&self) -> Option<&'static str> {
        self.secondary
    }

    /// For many-to-many, the secondary's columns referencing the
    /// target's key.
    pub const fn target_foreign_key(&self) -> &'static [&'static str] {
        self.target_foreign_key
    }

    /// Whether the foreign key is nullable, so the target may be absent.
    pub const fn optional(&self) -> bool {
        self.optional
    }

    /// Whether deleting the owner deletes the targets first (`cascade =
    /// "delete"` on a one-to-many or one-to-one).
    pub const fn cascade_delete(&self) -> bool {
        self.cascade_delete
    }

    /// Whether a target unlinked from its owner is deleted (`cascade =
    /// "delete-orphan"`).
    pub const fn delete_orphan(&self) -> bool {
        self.delete_orphan
    }

    /// The action of the foreign key a many-to-one holds (`on_delete`).
    pub const fn on_delete(&self) -> OnDelete {
        self.on_delete
    }

    /// The owner's metadata.
    pub fn owner_meta(&self) -> &'static EntityMeta {
        (self.owner_meta)()
    }

    /// The target's metadata.
    pub fn target_meta(&self) -> &'static EntityMeta {
        (self.target_meta)()
    }
}

impl RelationMeta {
    /// `Owner.relation`, for messages.
    pub fn path(&self) -> String {
        format!("{}.{}", self.owner, self.name)
    }

    /// The table holding the link columns and the columns themselves:
    /// two relations with the same link and swapped ends are each other's
    /// reverse (`Author.books` and `Book.author`).
    pub(crate) fn link(&self) -> (&'static str, &'static [&'static str]) {
        match (self.kind, self.secondary) {
            (_, Some(secondary)) => (secondary, self.foreign_key),
            (RelationKind::ManyToOne, None) => ((self.owner_meta)().table, self.foreign_key),
            (_, None) => ((self.target_meta)().table, self.foreign_key),
        }
    }

    /// Whether `other` is this very relation.
    pub(crate) fn is_same(&self, other: &RelationMeta) -> bool {
        (self.owner_type)() == (other.owner_type)() && self.name == other.name
    }

    /// Whether the relation points back at its own entity.
    pub(crate) fn is_self_referential(&self) -> bool {
        (self.owner_type)() == (self.target_type)()
    }

    /// Whether `other` walks the same link back.
    pub(crate) fn is_reverse_of(&self, other: &RelationMeta) -> bool {
        (self.owner_type)() == (other.target_type)()
            && (self.target_type)() == (other.owner_type)()
            && {
                let (mine, theirs) = (self.link(), other.link());
                match (self.secondary, other.secondary) {
                    (Some(_), Some(_)) => {
                        mine.0 == theirs.0 && self.foreign_key == other.target_foreign_key
                    }
                    // One end holds the key, the other is pointed at: a
                    // self-referential relation is not its own way back.
                    (None, None) => {
                        mine == theirs
                            && (self.kind == RelationKind::ManyToOne)
                                != (other.kind == RelationKind::ManyToOne)
                    }
                    _ => false,
                }
            }
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
    pub(crate) unique: Option<&'static str>,
    pub(crate) index: bool,
    pub(crate) default: Option<&'static str>,
    pub(crate) check: Option<&'static str>,
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
    pub unique: Option<&'static str>,
    pub index: bool,
    pub default: Option<&'static str>,
    pub check: Option<&'static str>,
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
            unique,
            index,
            default,
            check,
        } = self;
        ColumnMeta {
            name,
            field,
            sql_type,
            nullable,
            primary_key,
            unique,
            index,
            default,
            check,
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

    /// The UNIQUE constraint the column belongs to (`#[orm(unique)]`):
    /// `uq_<table>_<column>` for a column unique alone, the name given in
    /// `#[orm(unique = "name")]` for the columns sharing one constraint.
    pub const fn unique(&self) -> Option<&'static str> {
        self.unique
    }

    /// Whether `create_all` indexes the column (`#[orm(index)]`).
    pub const fn index(&self) -> bool {
        self.index
    }

    /// The SQL expression of the column's DEFAULT (`#[orm(default = "...")]`).
    pub const fn default(&self) -> Option<&'static str> {
        self.default
    }

    /// The SQL boolean expression of the column's CHECK constraint
    /// (`#[orm(check = "...")]`), named `ck_<table>_<column>`.
    pub const fn check(&self) -> Option<&'static str> {
        self.check
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
