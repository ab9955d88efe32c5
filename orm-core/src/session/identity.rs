//! The identity map: within one session, one row is one instance.
//!
//! Like SQLAlchemy's, the map holds weak references, so an object the caller
//! has dropped leaves it and a long-lived session does not grow without bound.

use crate::hash::FastMap;
use std::any::{Any, TypeId};
use std::sync::{Arc, Weak};

use crate::relation::Written;
use crate::Entity;

/// Dead entries are swept when a map grows past this many entries, then past
/// two (or, while nearly everything stays alive, four) times its live size,
/// so sweeping costs amortized O(1) per insert.
const FIRST_SWEEP_AT: usize = 1024;

trait AnyEntityMap: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn as_any(&self) -> &dyn Any;
    fn live_len(&self) -> usize;
    /// Fixes or expires the relations of this map's objects that
    /// `written` touches.
    fn follow_write(&self, written: &Written<'_>);
}

pub(crate) struct EntityMap<E: Entity> {
    entries: FastMap<E::Key, Weak<E>>,
    sweep_at: usize,
}

impl<E: Entity> AnyEntityMap for EntityMap<E> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn live_len(&self) -> usize {
        self.entries
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }
    fn follow_write(&self, written: &Written<'_>) {
        let mut affected = E::relations()
            .iter()
            .filter(|r| (r.meta().target_type)() == written.entity)
            .peekable();
        if affected.peek().is_none() {
            return;
        }
        let affected: Vec<_> = affected.collect();
        for object in self.entries.values().filter_map(Weak::upgrade) {
            for relation in &affected {
                relation.follow_write(&object, written);
            }
        }
    }
}

/// One map per entity type, keyed by primary key.
#[derive(Default)]
pub struct IdentityMap {
    maps: FastMap<TypeId, Box<dyn AnyEntityMap>>,
}

impl IdentityMap {
    fn typed<E: Entity>(&self) -> Option<&EntityMap<E>> {
        self.maps
            .get(&TypeId::of::<E>())
            .and_then(|m| m.as_any().downcast_ref())
    }

    pub(crate) fn typed_mut<E: Entity>(&mut self) -> &mut EntityMap<E> {
        let map = self.maps.entry(TypeId::of::<E>()).or_insert_with(|| {
            Box::new(EntityMap::<E> {
                entries: FastMap::default(),
                sweep_at: FIRST_SWEEP_AT,
            })
        });
        // The entry for TypeId::of::<E>() only ever holds an EntityMap<E>.
        match map.as_any_mut().downcast_mut() {
            Some(typed) => typed,
            None => unreachable!("identity map entry of the wrong type"),
        }
    }

    pub(crate) fn get<E: Entity>(&self, key: &E::Key) -> Option<Arc<E>> {
        self.typed::<E>()?.get(key)
    }

    pub(crate) fn remove<E: Entity>(&mut self, key: &E::Key) {
        if let Some(map) = self.maps.get_mut(&TypeId::of::<E>()) {
            if let Some(typed) = map.as_any_mut().downcast_mut::<EntityMap<E>>() {
                typed.entries.remove(key);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.maps.clear();
    }

    /// Forgets every object of the entity with this type id.
    pub(crate) fn clear_type(&mut self, entity: TypeId) {
        self.maps.remove(&entity);
    }

    /// Forgets `object` if it is the instance registered under its key.
    pub(crate) fn remove_instance<E: Entity>(&mut self, object: &E) {
        let key = object.key();
        if self
            .get::<E>(&key)
            .is_some_and(|held| std::ptr::eq(Arc::as_ptr(&held), object))
        {
            self.remove::<E>(&key);
        }
    }

    pub(crate) fn live_len(&self) -> usize {
        self.maps.values().map(|m| m.live_len()).sum()
    }

    /// Fixes or expires every loaded relation in the session that
    /// `written` touches (see `relation::coherence`). It walks the objects
    /// of every entity with a relation to the written one: a write costs
    /// time in proportion to what the session holds.
    pub(crate) fn follow_write(&self, written: &Written<'_>) {
        for map in self.maps.values() {
            map.follow_write(written);
        }
    }

    /// Every live object of `E`, for `bulk`.
    pub(crate) fn live<E: Entity>(&self) -> Vec<Arc<E>> {
        self.typed::<E>()
            .map(|m| m.entries.values().filter_map(Weak::upgrade).collect())
            .unwrap_or_default()
    }
}

impl<E: Entity> EntityMap<E> {
    pub(crate) fn get(&self, key: &E::Key) -> Option<Arc<E>> {
        self.entries.get(key).and_then(Weak::upgrade)
    }

    /// The live object for `key`, or a new one from `decode`, registered.
    /// Rows of objects already in the map are not decoded again.
    pub(crate) fn get_or_decode(
        &mut self,
        key: E::Key,
        decode: impl FnOnce() -> crate::Result<E>,
    ) -> crate::Result<Arc<E>> {
        if let Some(existing) = self.get(&key) {
            return Ok(existing);
        }
        let fresh = Arc::new(decode()?);
        self.insert(key, &fresh);
        Ok(fresh)
    }

    /// Registers `object`, replacing whatever the key held.
    pub(crate) fn insert(&mut self, key: E::Key, object: &Arc<E>) {
        if self.entries.len() >= self.sweep_at {
            let before = self.entries.len();
            self.entries.retain(|_, weak| weak.strong_count() > 0);
            let live = self.entries.len();
            // A sweep that found little to remove means a growing session:
            // wait longer before touching every object again.
            let factor = if live * 4 > before * 3 { 4 } else { 2 };
            self.sweep_at = (live * factor).max(FIRST_SWEEP_AT);
        }
        self.entries.insert(key, Arc::downgrade(object));
    }
}
