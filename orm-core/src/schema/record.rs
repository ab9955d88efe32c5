//! The traits a mapped struct implements at this layer: its key, its row
//! decoding and its relation cells, which the identity map and the
//! collector reach without knowing the targets' types.

use crate::Handle;
use std::any::{Any, TypeId};
use std::fmt::Debug;
use std::hash::Hash;

use super::meta::{EntityMeta, RelationMeta};
use crate::{Result, Row, Value};

/// A struct mapped to a table, as the layers below the loaders see it: its
/// key, its columns and its relation cells. Implemented by
/// `#[derive(Entity)]` together with [`Entity`](crate::Entity), which adds
/// what the loaders need; code using eagerly names `Entity`. The generated
/// impl describes the table (names and structure); the `sql` layer renders
/// its statements from that for each dialect.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity",
    label = "not an entity",
    note = "an entity is a struct with #[derive(Entity)]; a reference to one, or the handle `Handle<E>` a session returns, is not itself an entity",
    note = "where an entity is taken by value, pass the one a handle points to: `(*handle).clone()`, changed as needed"
)]
pub trait Record: Sized + Send + Sync + 'static {
    /// The primary key: the key field's type, or a tuple of the key fields'
    /// types (in field order) for a composite key.
    type Key: Clone + Eq + Ord + Hash + Debug + Send + Sync + 'static;

    /// Table, columns and relations of this entity.
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

    /// Every relationship of the entity, as the identity map and the
    /// collector reach them.
    #[doc(hidden)]
    fn cells() -> &'static [&'static dyn RelationCell<Self>] {
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

/// A relation of entity `P` with its target type erased: what the layers
/// below the loaders do with a relation field. Implemented by the relation
/// constants; the derive lists them in [`Record::cells`].
#[doc(hidden)]
pub trait RelationCell<P: Record>: Send + Sync + 'static {
    /// The relation's metadata.
    fn meta(&self) -> &'static RelationMeta;
    /// Whether the relation of `parent` holds a loaded value.
    fn is_loaded_on(&self, parent: &P) -> bool;
    /// Fixes or expires the relation of `parent` after a written row.
    fn follow_write(&self, parent: &P, written: &Written<'_>);
    /// Makes the relation of `parent` unloaded.
    fn clear_on(&self, parent: &P);
    /// Reports each target the relation of `parent` holds, by address, and
    /// whether its list is shared with a reader.
    fn edges(&self, parent: &P, edge: &mut dyn FnMut(usize, bool));
    /// The session `parent` belongs to, as its relation field records it.
    fn owner_of(&self, parent: &P) -> Option<u32>;
    /// Records the session `parent` belongs to.
    fn set_owner_of(&self, parent: &P, owner: u32);
    /// Fixes or expires the relation of `parent` after an association row
    /// was written or deleted.
    fn follow_link(&self, parent: &P, linked: &Linked<'_>);
}

/// A row the session wrote: its entity, its key, and the row as it now is
/// (`None` after a delete). Nameable only inside the crate.
#[doc(hidden)]
pub struct Written<'a> {
    pub(crate) entity: TypeId,
    pub(crate) key: &'a dyn Any,
    pub(crate) row: Option<&'a dyn Any>,
}

/// An association row the session wrote or deleted, seen from one end:
/// the association table, the columns that hold that end's key, and the
/// object at the other end (`None` when the session has no handle for it,
/// which expires the relation). Nameable only inside the crate.
#[doc(hidden)]
pub struct Linked<'a> {
    pub(crate) secondary: &'static str,
    pub(crate) own_columns: &'static [&'static str],
    pub(crate) other: TypeId,
    pub(crate) other_key: &'a dyn Any,
    pub(crate) other_object: Option<&'a dyn Any>,
    pub(crate) added: bool,
}

impl<'a> Written<'a> {
    pub(crate) fn new<T: Record>(key: &'a T::Key, row: Option<&'a Handle<T>>) -> Self {
        Written {
            entity: TypeId::of::<T>(),
            key,
            row: row.map(|r| r as &dyn Any),
        }
    }
}
