//! Relationships: their field types, their metadata, and the typed relation
//! constants (`Author::BOOKS`) that loader options and loads take.

mod coherence;
mod field;
pub(crate) mod registry;

use std::marker::PhantomData;

pub use field::{Collection, Dynamic, LoadState, Loadable, Many, One, RelationField};
pub(crate) use field::{Fill, FILL};

use crate::filter::Filter;
use crate::schema::{Linked, Record, RelationCell, RelationMeta, Written};

/// How the two ends of a relation are joined, as typed accessors the derive
/// generates (the compiler checks that key types agree).
pub enum Link<P: Record, T: Record> {
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
/// loads return `&[Handle<T>]` for `Many` and `Option<&Handle<T>>` for `One`.
pub struct Relation<P: Record, T: Record, F> {
    pub(crate) meta: &'static RelationMeta,
    pub(crate) field: fn(&P) -> &F,
    pub(crate) link: Link<P, T>,
    _types: PhantomData<fn() -> (P, T)>,
}

impl<P: Record, T: Record, F> Relation<P, T, F> {
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

impl<P: Record, T: Record, F: RelationField<T>> RelationCell<P> for Relation<P, T, F> {
    fn meta(&self) -> &'static RelationMeta {
        self.meta
    }
    fn is_loaded_on(&self, parent: &P) -> bool {
        self.field(parent).is_loaded()
    }
    fn follow_write(&self, parent: &P, written: &Written<'_>) {
        Relation::follow_write(self, parent, written)
    }
    fn clear_on(&self, parent: &P) {
        Relation::clear_on(self, parent)
    }
    fn edges(&self, parent: &P, edge: &mut dyn FnMut(usize, bool)) {
        self.field(parent).visit(FILL, edge)
    }
    fn owner_of(&self, parent: &P) -> Option<u32> {
        self.field(parent).owner(FILL)
    }
    fn set_owner_of(&self, parent: &P, owner: u32) {
        self.field(parent).set_owner(FILL, owner)
    }
    fn follow_link(&self, parent: &P, linked: &Linked<'_>) {
        Relation::follow_link(self, parent, linked)
    }
}

impl<P: Record, T: Record> Relation<P, T, Many<T>> {
    /// Rows with at least one target meeting `filter`:
    /// `Author::BOOKS.any(Book::TITLE.like("%war%"))`, an `EXISTS` subquery
    /// (SQLAlchemy's `any`).
    pub fn any(self, filter: Filter<T>) -> Filter<P> {
        Filter::exists(self.meta, Some(filter))
    }

    /// Rows with at least one target.
    pub fn exists(self) -> Filter<P> {
        Filter::exists::<T>(self.meta, None)
    }
}

impl<P: Record, T: Record> Relation<P, T, Dynamic<T>> {
    /// Rows with at least one target meeting `filter` (see
    /// [`Relation::any`](Relation#method.any)).
    pub fn any(self, filter: Filter<T>) -> Filter<P> {
        Filter::exists(self.meta, Some(filter))
    }

    /// Rows with at least one target.
    pub fn exists(self) -> Filter<P> {
        Filter::exists::<T>(self.meta, None)
    }
}

impl<P: Record, T: Record> Relation<P, T, One<T>> {
    /// Rows whose target meets `filter`:
    /// `Book::AUTHOR.has(Author::NAME.eq("Ann"))`, an `EXISTS` subquery
    /// (SQLAlchemy's `has`).
    pub fn has(self, filter: Filter<T>) -> Filter<P> {
        Filter::exists(self.meta, Some(filter))
    }

    /// Rows that have a target (a NULL or dangling key has none).
    pub fn exists(self) -> Filter<P> {
        Filter::exists::<T>(self.meta, None)
    }
}

impl<P: Record, T: Record, F> Clone for Relation<P, T, F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Record, T: Record, F> Copy for Relation<P, T, F> {}

impl<P: Record, T: Record> Clone for Link<P, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Record, T: Record> Copy for Link<P, T> {}

impl<P: Record, T: Record, F> std::fmt::Debug for Relation<P, T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relation({})", self.meta.path())
    }
}

/// A foreign-key field that can reference a key of type `K`: `K` itself, or
/// `Option<K>` for a nullable key.
#[diagnostic::on_unimplemented(
    message = "a foreign key of type `{Self}` cannot reference a key of type `{K}`",
    label = "the foreign key's type must be `{K}` or `Option<{K}>`",
    note = "where `{K}` is a tuple (a composite key), name one field per key column, in the key's order: `foreign_key = \"a_id, b_id\"`"
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
