//! The identity map: within one session, one row is one instance.
//!
//! Like SQLAlchemy's, the map holds weak references, so an object the caller
//! has dropped leaves it and a long-lived session does not grow without
//! bound. Objects of entities with relations are also *tracked* until they
//! die, whether the map still lists them or not (expired, replaced,
//! expunged): a loaded graph can hold itself alive through its relations
//! (`Author.books` and `Book.author`), and the collector
//! (`engine::collector`) needs every such object to break those cycles.

use crate::handle::{Handle, Slab, WeakHandle};
use crate::hash::FastMap;
use std::any::{Any, TypeId};

use super::collector::Graph;
use crate::schema::{Record, RelationMeta, Written};

/// Dead entries are swept when a map grows past this many entries, then past
/// two (or, while nearly everything stays alive, four) times its live size,
/// so sweeping costs amortized O(1) per insert.
pub(crate) const FIRST_SWEEP_AT: usize = 1024;

trait AnyEntityMap: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn as_any(&self) -> &dyn Any;
    fn live_len(&self) -> usize;
    /// Fixes or expires the relations of this map's objects that
    /// `written` touches.
    fn follow_write(&self, written: &Written<'_>);
    /// Makes unloaded every relation of this map's objects whose target is
    /// the entity with type id `target`.
    fn clear_relations_to(&self, target: TypeId);
    /// Makes unloaded every relation of this map's objects that goes
    /// through the association table `secondary`.
    fn clear_relations_over(&self, secondary: &str);
    /// Whether this map's rows change when a row of `target` is deleted:
    /// a many-to-one to it whose foreign key is `on_delete` cascade or set
    /// null.
    fn deleted_with(&self, target: TypeId) -> bool;
    /// Moves every entry to the tracked-only list: the map forgets them.
    fn forget_all(&mut self);
    /// Forgets every entry and marks it as no longer the session's.
    fn detach_all(&mut self);
    /// How many objects are listed or tracked, dead ones included.
    fn tracked_len(&self) -> usize;
    /// Adds the tracked objects, their strong counts and relation edges to
    /// `graph`.
    fn gather(&self, graph: &mut Graph);
    /// Adds to `links` an (entity, target entity) pair for each relation
    /// loaded on at least one tracked object: the type-level graph that
    /// any cycle of objects must follow.
    fn loaded_links(&self, links: &mut Vec<(TypeId, TypeId)>);
    /// Empties the relations of the tracked objects `graph` found
    /// unreachable.
    fn sweep(&mut self, graph: &Graph);
    /// Forgets dead entries and dead tracked objects.
    fn forget_dead(&mut self);
    /// Sweeps dead entries if the map has grown past its threshold.
    fn sweep_if_due(&mut self);
}

pub(crate) struct EntityMap<E: Record> {
    /// The session whose objects these are, marked on each (0: none).
    owner: u32,
    entries: FastMap<E::Key, WeakHandle<E>>,
    /// Objects the map no longer lists that may still be alive, kept for
    /// the collector; only for entities with relations (others cannot be
    /// part of a cycle).
    retired: Vec<WeakHandle<E>>,
    sweep_at: usize,
    /// Where the objects this map decodes are placed, side by side.
    slab: Slab<E>,
}

impl<E: Record> AnyEntityMap for EntityMap<E> {
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
        let mut affected = E::cells()
            .iter()
            .filter(|r| (r.meta().target_type)() == written.entity)
            .peekable();
        if affected.peek().is_none() {
            return;
        }
        let affected: Vec<_> = affected.collect();
        for object in self.entries.values().filter_map(WeakHandle::upgrade) {
            for relation in &affected {
                relation.follow_write(&object, written);
            }
        }
    }
    fn clear_relations_to(&self, target: TypeId) {
        self.clear_relations_where(&|meta| (meta.target_type)() == target);
    }
    fn clear_relations_over(&self, secondary: &str) {
        self.clear_relations_where(&|meta| meta.secondary == Some(secondary));
    }
    fn deleted_with(&self, target: TypeId) -> bool {
        E::cells().iter().any(|r| {
            let meta = r.meta();
            meta.kind == crate::RelationKind::ManyToOne
                && (meta.target_type)() == target
                && meta.on_delete != crate::OnDelete::NoAction
        })
    }
    fn detach_all(&mut self) {
        for object in self.entries.values().filter_map(WeakHandle::upgrade) {
            Self::mark_owner(&object, 0);
        }
        self.forget_all();
    }
    fn forget_all(&mut self) {
        let tracked = Self::tracked();
        for (_, weak) in self.entries.drain() {
            if tracked && weak.strong_count() > 0 {
                self.retired.push(weak);
            }
        }
    }
    fn tracked_len(&self) -> usize {
        if Self::tracked() {
            self.entries.len() + self.retired.len()
        } else {
            0
        }
    }
    fn gather(&self, graph: &mut Graph) {
        if !Self::tracked() {
            return;
        }
        for object in self.tracked_objects() {
            graph.add_node(object, |object, edge| {
                for relation in E::cells() {
                    relation.edges(object, edge);
                }
            });
        }
    }
    fn loaded_links(&self, links: &mut Vec<(TypeId, TypeId)>) {
        for relation in E::cells() {
            if self
                .tracked_objects()
                .any(|object| relation.is_loaded_on(&object))
            {
                links.push((TypeId::of::<E>(), (relation.meta().target_type)()));
            }
        }
    }
    fn sweep(&mut self, graph: &Graph) {
        if !Self::tracked() {
            return;
        }
        for object in self.tracked_objects() {
            if graph.is_garbage(&object) {
                for relation in E::cells() {
                    relation.clear_on(&object);
                }
            }
        }
    }
    fn forget_dead(&mut self) {
        self.sweep_dead();
    }
    fn sweep_if_due(&mut self) {
        EntityMap::sweep_if_due(self);
    }
}

/// One map per entity type, keyed by primary key.
pub struct IdentityMap {
    maps: FastMap<TypeId, Box<dyn AnyEntityMap>>,
    /// The session the objects belong to (0: none).
    owner: u32,
}

impl Default for IdentityMap {
    fn default() -> Self {
        IdentityMap::owned_by(0)
    }
}

impl IdentityMap {
    /// An empty map whose objects belong to session `owner`.
    pub(crate) fn owned_by(owner: u32) -> Self {
        IdentityMap {
            maps: FastMap::default(),
            owner,
        }
    }

    fn typed<E: Record>(&self) -> Option<&EntityMap<E>> {
        self.maps
            .get(&TypeId::of::<E>())
            .and_then(|m| m.as_any().downcast_ref())
    }

    pub(crate) fn typed_mut<E: Record>(&mut self) -> &mut EntityMap<E> {
        let owner = self.owner;
        let map = self.maps.entry(TypeId::of::<E>()).or_insert_with(|| {
            Box::new(EntityMap::<E> {
                owner,
                entries: FastMap::default(),
                retired: Vec::new(),
                sweep_at: FIRST_SWEEP_AT,
                slab: Slab::default(),
            })
        });
        // The entry for TypeId::of::<E>() only ever holds an EntityMap<E>.
        match map.as_any_mut().downcast_mut() {
            Some(typed) => typed,
            None => unreachable!("identity map entry of the wrong type"),
        }
    }

    /// Whether `object` is a row this session holds: the handle its
    /// identity map gives for the key, or an older version it returned
    /// (marked as this session's). [`Error::ForeignObject`] for another
    /// session's object; `false` for a value built by hand.
    pub(crate) fn holds<E: Record>(&self, object: &Handle<E>) -> crate::Result<bool> {
        if self
            .get::<E>(&object.key())
            .is_some_and(|held| Handle::ptr_eq(&held, object))
        {
            return Ok(true);
        }
        match E::cells().iter().find_map(|r| r.owner_of(object)) {
            None | Some(0) => Ok(false),
            Some(owner) if owner == self.owner => Ok(true),
            Some(_) => Err(crate::Error::ForeignObject {
                entity: E::META.name,
            }),
        }
    }

    /// Registers a row the session wrote: loaded relations it touches are
    /// fixed or expired, and `object` becomes the key's handle.
    pub(crate) fn register_write<E: Record>(&mut self, object: &Handle<E>) {
        let key = object.key();
        self.follow_write(&crate::schema::Written::new::<E>(&key, Some(object)));
        self.typed_mut::<E>().insert(key, object);
    }

    pub(crate) fn get<E: Record>(&self, key: &E::Key) -> Option<Handle<E>> {
        self.typed::<E>()?.get(key)
    }

    pub(crate) fn remove<E: Record>(&mut self, key: &E::Key) {
        if let Some(map) = self.maps.get_mut(&TypeId::of::<E>()) {
            if let Some(typed) = map.as_any_mut().downcast_mut::<EntityMap<E>>() {
                if let Some(weak) = typed.entries.remove(key) {
                    typed.retire(weak);
                }
            }
        }
    }

    /// How many entries, dead ones included, the map of `E` lists.
    #[cfg(test)]
    pub(crate) fn entry_count<E: Record>(&self) -> usize {
        self.typed::<E>().map_or(0, |m| m.entries.len())
    }

    /// Sweeps the maps that have grown past their threshold. Run before a
    /// load rather than per decoded row: what a load decodes stays alive
    /// until it ends, so sweeping in the middle of one found nothing to
    /// forget and touched every object (a cache miss each).
    pub(crate) fn sweep_due(&mut self) {
        for map in self.maps.values_mut() {
            map.sweep_if_due();
        }
    }

    /// Forgets every object, then breaks the reference cycles among those
    /// nothing outside holds.
    pub(crate) fn clear(&mut self) {
        for map in self.maps.values_mut() {
            map.forget_all();
        }
        self.collect();
    }

    /// Forgets every object and marks it as no longer the session's
    /// (`expunge_all`), then collects cycles.
    pub(crate) fn detach_all(&mut self) {
        for map in self.maps.values_mut() {
            map.detach_all();
        }
        self.collect();
    }

    /// Forgets one object and marks it as no longer the session's.
    pub(crate) fn detach<E: Record>(&mut self, key: &E::Key) {
        if let Some(object) = self.get::<E>(key) {
            EntityMap::<E>::mark_owner(&object, 0);
        }
        self.remove::<E>(key);
    }

    /// Forgets every object of the entity with this type id.
    pub(crate) fn clear_type(&mut self, entity: TypeId) {
        if let Some(map) = self.maps.get_mut(&entity) {
            map.forget_all();
        }
    }

    /// How many objects of entities with relations are listed or tracked.
    pub(crate) fn tracked_len(&self) -> usize {
        self.maps.values().map(|m| m.tracked_len()).sum()
    }

    /// Breaks every reference cycle among tracked objects that nothing
    /// outside the session's graph holds (see `session::collector`), and
    /// forgets the dead; answers how many stay tracked.
    pub(crate) fn collect(&mut self) -> usize {
        if !self.may_hold_cycles() {
            for map in self.maps.values_mut() {
                map.forget_dead();
            }
            return self.tracked_len();
        }
        let mut graph = Graph::default();
        for map in self.maps.values() {
            map.gather(&mut graph);
        }
        graph.mark();
        for map in self.maps.values_mut() {
            map.sweep(&graph);
        }
        // The graph held every object alive: release them, then forget
        // what died.
        drop(graph);
        for map in self.maps.values_mut() {
            map.forget_dead();
        }
        self.tracked_len()
    }

    /// Whether the relations loaded on tracked objects lead from some entity
    /// back to itself. Objects can only form a cycle along such a loop of
    /// types, so without one (books loaded with their authors, the authors'
    /// books not loaded) there is nothing to collect, and the walk over
    /// every object is skipped.
    fn may_hold_cycles(&self) -> bool {
        let mut links = Vec::new();
        for map in self.maps.values() {
            map.loaded_links(&mut links);
        }
        super::collector::has_cycle(&links)
    }

    /// Forgets `object` if it is the instance registered under its key.
    pub(crate) fn remove_instance<E: Record>(&mut self, object: &E) {
        let key = object.key();
        if self
            .get::<E>(&key)
            .is_some_and(|held| std::ptr::eq(Handle::as_ptr(&held), object))
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

    /// Expires every object of the entity with type id `entity` and every
    /// loaded relation in the session whose target it is: after a write
    /// to rows the session cannot name (an UPDATE or DELETE by filter),
    /// nothing it holds of that entity is served again without a read.
    pub(crate) fn expire_entity(&mut self, entity: TypeId) {
        self.clear_type(entity);
        for map in self.maps.values() {
            map.clear_relations_to(entity);
        }
    }

    /// Makes unloaded every loaded relation through the association table
    /// `secondary`: after its rows changed in ways the session cannot
    /// follow one by one.
    pub(crate) fn expire_association(&mut self, secondary: &str) {
        for map in self.maps.values() {
            map.clear_relations_over(secondary);
        }
    }

    /// Expires the entities whose rows the database changes when a row of
    /// `target` is deleted (`on_delete` on their foreign key to it).
    pub(crate) fn expire_deleted_with(&mut self, target: TypeId) {
        let dependents: Vec<TypeId> = self
            .maps
            .iter()
            .filter(|(_, map)| map.deleted_with(target))
            .map(|(entity, _)| *entity)
            .collect();
        for entity in dependents {
            self.expire_entity(entity);
        }
    }

    /// Every live object of `E`, for `bulk`.
    pub(crate) fn live<E: Record>(&self) -> Vec<Handle<E>> {
        self.typed::<E>()
            .map(|m| m.entries.values().filter_map(WeakHandle::upgrade).collect())
            .unwrap_or_default()
    }
}

impl<E: Record> EntityMap<E> {
    /// Makes unloaded the relations `affected` picks on every object.
    fn clear_relations_where(&self, affected: &dyn Fn(&RelationMeta) -> bool) {
        let affected: Vec<_> = E::cells().iter().filter(|r| affected(r.meta())).collect();
        if affected.is_empty() {
            return;
        }
        for object in self.entries.values().filter_map(WeakHandle::upgrade) {
            for relation in &affected {
                relation.clear_on(&object);
            }
        }
    }

    /// Whether objects of `E` can hold others (and so be part of a cycle).
    fn tracked() -> bool {
        !E::cells().is_empty()
    }

    /// Marks `object` as belonging to session `owner` (0: none), on its
    /// relation fields: an entity without relations carries no mark.
    fn mark_owner(object: &E, owner: u32) {
        for relation in E::cells() {
            relation.set_owner_of(object, owner);
        }
    }

    fn retire(&mut self, weak: WeakHandle<E>) {
        if Self::tracked() && weak.strong_count() > 0 {
            self.retired.push(weak);
        }
    }

    fn tracked_objects(&self) -> impl Iterator<Item = Handle<E>> + '_ {
        self.entries
            .values()
            .chain(&self.retired)
            .filter_map(WeakHandle::upgrade)
    }

    pub(crate) fn get(&self, key: &E::Key) -> Option<Handle<E>> {
        self.entries.get(key).and_then(WeakHandle::upgrade)
    }

    /// The live object for `key`, or a new one from `decode`, registered.
    /// Rows of objects already in the map are not decoded again. One probe
    /// of the map serves both the lookup and the registration.
    pub(crate) fn get_or_decode(
        &mut self,
        key: E::Key,
        decode: impl FnOnce() -> crate::Result<E>,
    ) -> crate::Result<Handle<E>> {
        use std::collections::hash_map::Entry;
        let owner = self.owner;
        let vacant = match self.entries.entry(key) {
            Entry::Occupied(entry) => match entry.get().upgrade() {
                Some(existing) => return Ok(existing),
                // The key's object died: its entry takes the new one (the
                // dead one needs no tracking).
                None => Err(entry),
            },
            Entry::Vacant(entry) => Ok(entry),
        };
        let object = self.slab.alloc(decode()?);
        if owner != 0 {
            Self::mark_owner(&object, owner);
        }
        let weak = Handle::downgrade(&object);
        match vacant {
            Ok(entry) => {
                entry.insert(weak);
            }
            Err(mut entry) => {
                entry.insert(weak);
            }
        }
        Ok(object)
    }

    /// Registers `object`, replacing whatever the key held (which stays
    /// tracked while it lives).
    pub(crate) fn insert(&mut self, key: E::Key, object: &Handle<E>) {
        self.sweep_if_due();
        if self.owner != 0 {
            Self::mark_owner(object, self.owner);
        }
        if let Some(previous) = self.entries.insert(key, Handle::downgrade(object)) {
            if !std::ptr::eq(previous.as_ptr(), Handle::as_ptr(object)) {
                self.retire(previous);
            }
        }
    }

    /// Sweeps dead entries once the map has grown past `sweep_at`.
    fn sweep_if_due(&mut self) {
        if self.entries.len() + self.retired.len() >= self.sweep_at {
            let before = self.entries.len() + self.retired.len();
            self.sweep_dead();
            let live = self.entries.len() + self.retired.len();
            // A sweep that found little to remove means a growing session:
            // wait longer before touching every object again.
            let factor = if live * 4 > before * 3 { 4 } else { 2 };
            self.sweep_at = (live * factor).max(FIRST_SWEEP_AT);
        }
    }

    /// Forgets dead entries and dead tracked objects.
    fn sweep_dead(&mut self) {
        self.entries.retain(|_, weak| weak.strong_count() > 0);
        self.retired.retain(|weak| weak.strong_count() > 0);
    }
}
