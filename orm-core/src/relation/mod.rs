//! Relationships: their field types, their metadata, and the typed relation
//! constants (`Author::BOOKS`) that loader options and loads take.

mod coherence;
mod field;

pub(crate) use coherence::Written;

use std::any::TypeId;
use std::marker::PhantomData;

pub use field::{Dynamic, LoadState, Loadable, Many, One, RelationField};
pub(crate) use field::{Fill, FILL};

use crate::{Entity, EntityMeta};

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
}

impl Strategy {
    pub(crate) fn code(self) -> u8 {
        self as u8 + 1
    }

    pub(crate) fn from_code(code: u8) -> Option<Strategy> {
        const ALL: [Strategy; 7] = [
            Strategy::Select,
            Strategy::Joined,
            Strategy::Selectin,
            Strategy::Dynamic,
            Strategy::Bulk,
            Strategy::Raise,
            Strategy::Noload,
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
    pub(crate) join_depth: usize,
    pub(crate) order_by: &'static [(&'static str, bool)],
    pub(crate) foreign_key: &'static [&'static str],
    pub(crate) secondary: Option<&'static str>,
    pub(crate) target_foreign_key: &'static [&'static str],
    pub(crate) optional: bool,
    pub(crate) owner_meta: fn() -> &'static EntityMeta,
    pub(crate) target_meta: fn() -> &'static EntityMeta,
    pub(crate) owner_type: fn() -> TypeId,
    pub(crate) target_type: fn() -> TypeId,
}

/// The parts of a [`RelationMeta`], as the derive writes them: named, so
/// the generated code reads like the data it is.
#[doc(hidden)]
pub struct RelationMetaParts {
    pub owner: &'static str,
    pub name: &'static str,
    pub target: &'static str,
    pub kind: RelationKind,
    pub lazy: Strategy,
    pub innerjoin: bool,
    pub chunk_size: usize,
    pub join_depth: usize,
    pub order_by: &'static [(&'static str, bool)],
    pub foreign_key: &'static [&'static str],
    pub secondary: Option<&'static str>,
    pub target_foreign_key: &'static [&'static str],
    pub optional: bool,
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
            join_depth,
            order_by,
            foreign_key,
            secondary,
            target_foreign_key,
            optional,
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
            join_depth,
            order_by,
            foreign_key,
            secondary,
            target_foreign_key,
            optional,
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

    /// How many keys go in one `IN` list.
    pub const fn chunk_size(&self) -> usize {
        self.chunk_size
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

/// How the two ends of a relation are joined, as typed accessors the derive
/// generates (the compiler checks that key types agree).
pub enum Link<P: Entity, T: Entity> {
    /// The owner holds the target's key.
    ManyToOne {
        /// The owner's foreign key, `None` when NULL.
        foreign_key: fn(&P) -> Option<T::Key>,
    },
    /// The target holds the owner's key (one-to-many and one-to-one).
    Remote {
        /// The target's foreign key, `None` when NULL.
        foreign_key: fn(&T) -> Option<P::Key>,
        /// Writes the owner's key into a target (dynamic `append`).
        set_foreign_key: fn(&mut T, &P::Key),
    },
    /// Through the secondary table.
    Secondary,
}

/// A relation constant, such as `Author::BOOKS`: the relation's metadata,
/// how to reach its field, and how its ends link. `F` is the field type, so
/// loads return `&[Arc<T>]` for `Many` and `Option<&Arc<T>>` for `One`.
pub struct Relation<P: Entity, T: Entity, F> {
    pub(crate) meta: &'static RelationMeta,
    pub(crate) field: fn(&P) -> &F,
    pub(crate) link: Link<P, T>,
    _types: PhantomData<fn() -> (P, T)>,
}

impl<P: Entity, T: Entity, F> Relation<P, T, F> {
    /// Used by the derive.
    #[doc(hidden)]
    pub const fn new(meta: &'static RelationMeta, field: fn(&P) -> &F, link: Link<P, T>) -> Self {
        Relation {
            meta,
            field,
            link,
            _types: PhantomData,
        }
    }

    /// The relation's metadata.
    pub const fn meta(&self) -> &'static RelationMeta {
        self.meta
    }

    /// The field of `parent` this relation fills.
    pub fn field<'p>(&self, parent: &'p P) -> &'p F {
        (self.field)(parent)
    }
}

impl<P: Entity, T: Entity, F> Clone for Relation<P, T, F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Entity, T: Entity, F> Copy for Relation<P, T, F> {}

impl<P: Entity, T: Entity> Clone for Link<P, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Entity, T: Entity> Copy for Link<P, T> {}

impl<P: Entity, T: Entity, F> std::fmt::Debug for Relation<P, T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relation({})", self.meta.path())
    }
}

/// A foreign-key field that can reference a key of type `K`: `K` itself, or
/// `Option<K>` for a nullable key.
#[diagnostic::on_unimplemented(
    message = "a foreign key of type `{Self}` cannot reference a key of type `{K}`",
    label = "the foreign key's type must be `{K}` or `Option<{K}>`"
)]
pub trait ForeignKey<K> {
    /// The referenced key, `None` when NULL.
    fn referenced_key(&self) -> Option<K>;
    /// Sets the foreign key to `key`.
    fn set_key(&mut self, key: &K);
}

impl<K: Clone> ForeignKey<K> for K {
    fn referenced_key(&self) -> Option<K> {
        Some(self.clone())
    }
    fn set_key(&mut self, key: &K) {
        *self = key.clone();
    }
}

impl<K: Clone> ForeignKey<K> for Option<K> {
    fn referenced_key(&self) -> Option<K> {
        self.clone()
    }
    fn set_key(&mut self, key: &K) {
        *self = Some(key.clone());
    }
}
