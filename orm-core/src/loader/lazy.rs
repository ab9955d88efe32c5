//! Loads on access: `select` (one object), `bulk` (every similar object in
//! the session), and the refusals `raise` and `noload`. Also the N+1 guard.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::{Cascade, OptionNode};
use crate::hash::FastMap;
use crate::relation::FILL;
use crate::relation::{Link, Loadable, Relation, RelationMeta, Strategy};
use crate::{Entity, Error, Result, Session};

/// What the session does when a lazy `select` load repeats for many objects
/// of one type: the N+1 problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NPlusOneGuard {
    /// Say nothing.
    Off,
    /// Emit a `tracing` warning (target `eagerly::n_plus_one`) when a
    /// relation has been lazily loaded `threshold` times since the last
    /// [`Session::reset_n_plus_one`], and again at each multiple of it.
    Warn {
        /// Loads of one relation that count as repeated.
        threshold: u32,
    },
    /// Refuse the load with [`Error::NPlusOne`] once `threshold` loads of
    /// one relation were sent.
    Refuse {
        /// Loads of one relation allowed before refusing.
        threshold: u32,
    },
}

impl Default for NPlusOneGuard {
    /// Warn at 20 repeated loads of one relation.
    fn default() -> Self {
        NPlusOneGuard::Warn { threshold: 20 }
    }
}

/// Lazy `select` loads sent, per relation.
#[derive(Default, Debug)]
pub(crate) struct NPlusOneCounter {
    pub(crate) guard: NPlusOneGuard,
    loads: FastMap<(TypeId, &'static str), u32>,
}

impl NPlusOneCounter {
    pub(crate) fn reset(&mut self) {
        self.loads.clear();
    }

    /// Counts one lazy load of `relation`, refusing it if the guard says so.
    fn check(&mut self, relation: &'static RelationMeta) -> Result<()> {
        if self.guard == NPlusOneGuard::Off {
            return Ok(());
        }
        let (entity, relation_name) = (relation.owner, relation.name);
        let suggestion = if relation.kind.is_to_one() {
            "bulk"
        } else {
            "selectin"
        };
        let loads = self
            .loads
            .entry(((relation.owner_type)(), relation_name))
            .or_insert(0);
        match self.guard {
            NPlusOneGuard::Off => {}
            NPlusOneGuard::Warn { threshold } => {
                *loads += 1;
                if threshold > 0 && (*loads).is_multiple_of(threshold) {
                    tracing::warn!(
                        target: "eagerly::n_plus_one",
                        entity,
                        relation = relation_name,
                        loads = *loads,
                        "N+1: {entity}.{relation_name} was lazily loaded one object at a time {} times; use lazy = \"{suggestion}\" or a {suggestion} option",
                        *loads
                    );
                }
            }
            NPlusOneGuard::Refuse { threshold } => {
                if *loads >= threshold {
                    return Err(Error::NPlusOne {
                        entity,
                        relation: relation_name,
                        loads: *loads,
                        suggestion,
                    });
                }
                *loads += 1;
            }
        }
        Ok(())
    }
}

impl Session {
    /// Sets the N+1 guard (by default it warns at 20 repeated loads).
    pub fn set_n_plus_one_guard(&mut self, guard: NPlusOneGuard) {
        self.n_plus_one.guard = guard;
    }

    /// Forgets the lazy loads counted by the N+1 guard.
    pub fn reset_n_plus_one(&mut self) {
        self.n_plus_one.reset();
    }

    /// Loads `relation` of `parent` if it is not loaded yet, by the strategy
    /// in force for that object, and returns it: a shared `Arc<[Arc<T>]>`
    /// for a `Many`, `Option<Arc<T>>` for a `One`.
    ///
    /// - loaded already: no SQL;
    /// - `select` (and an eager relation read before it was loaded): one
    ///   statement for this object; a many-to-one whose target is in the
    ///   identity map costs none;
    /// - `bulk`: one `IN` statement per chunk for every object of this type in
    ///   the session whose relation is not loaded, this one included;
    /// - `raise`: [`Error::RelationRefused`]; `noload`: empty, no SQL.
    ///
    /// A `Dynamic` relation does not compile here: it is a query, run with
    /// [`Session::dynamic`].
    pub fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
    ) -> Result<F::Loaded> {
        self.check_owner(parent, false)?;
        let field = relation.field(parent);
        if field.is_loaded() {
            return field.read();
        }
        let meta = relation.meta;
        let mut cascade = Cascade::default();
        // The mapping's strategy comes from the relation constant, so objects
        // built by hand (insert, update) follow it too.
        let strategy_of = |field: &F| field.mode().unwrap_or(meta.lazy);
        match strategy_of(field) {
            Strategy::Raise => {
                return Err(Error::RelationRefused {
                    entity: meta.owner,
                    relation: meta.name,
                })
            }
            Strategy::Noload | Strategy::Dynamic => return field.read(),
            Strategy::Bulk => {
                let mut live = self.identity.live::<P>();
                // The map hands objects out in hash order; in address order
                // (about the order they were loaded) the walk below stays
                // cache-friendly.
                live.sort_unstable_by_key(|p| Arc::as_ptr(p) as usize);
                let mut parents: Vec<&P> = live
                    .iter()
                    .map(|p| p.as_ref())
                    .filter(|p| {
                        let f = relation.field(p);
                        !f.is_loaded() && strategy_of(f) == Strategy::Bulk
                    })
                    .collect();
                parents.push(parent);
                let options = self.lazy_options.take::<P>(meta, &parents);
                relation.load_for(self, &parents, &options, &mut cascade)?;
                cascade.run(self)?;
            }
            Strategy::Select | Strategy::Joined | Strategy::Selectin => {
                // A many-to-one served by the identity map, with nothing to
                // cascade: store it and return without the loader's machinery.
                if let Link::ManyToOne { foreign_key } = relation.link {
                    let served = match foreign_key(parent) {
                        None => Some(None),
                        Some(key) => self.cached::<T>(&key).map(Some),
                    };
                    if let Some(target) = served {
                        if !has_eager_relations::<T>() && !self.lazy_options.has(meta) {
                            field.store_one(FILL, target);
                            return field.read();
                        }
                    }
                }
                if relation.needs_statement(self, parent) {
                    self.n_plus_one.check(meta)?;
                }
                let options = self.lazy_options.take::<P>(meta, &[parent]);
                relation.load_for(self, &[parent], &options, &mut cascade)?;
                cascade.run(self)?;
            }
        }
        relation.field(parent).read()
    }
}

/// Whether loading `T` objects can cascade to more loads.
fn has_eager_relations<T: Entity>() -> bool {
    T::relations().iter().any(|r| r.meta().lazy.is_eager())
}

impl<P: Entity, T: Entity, F> Relation<P, T, F> {
    /// Whether loading this relation for `parent` alone would send SQL: not
    /// for a many-to-one whose key is NULL or whose target is in the map.
    fn needs_statement(&self, session: &Session, parent: &P) -> bool {
        match self.link {
            Link::ManyToOne { foreign_key } => {
                foreign_key(parent).is_some_and(|key| session.cached::<T>(&key).is_none())
            }
            _ => true,
        }
    }
}

/// Options below a lazy step (`select(A::B).then(joined(B::C))`), kept per
/// object until its relation loads. Only objects loaded with such options
/// have an entry, so a session that uses none pays nothing.
#[derive(Default)]
pub(crate) struct LazyOptions {
    by_relation: FastMap<(TypeId, &'static str), Box<dyn Any + Send>>,
}

type OptionsByKey<P> = FastMap<<P as Entity>::Key, Vec<OptionNode>>;

impl LazyOptions {
    pub(crate) fn remember<P: Entity>(
        &mut self,
        relation: &'static RelationMeta,
        key: P::Key,
        options: &[OptionNode],
    ) {
        let entry = self
            .by_relation
            .entry(((relation.owner_type)(), relation.name))
            .or_insert_with(|| Box::new(OptionsByKey::<P>::default()));
        if let Some(map) = entry.downcast_mut::<OptionsByKey<P>>() {
            map.insert(key, options.to_vec());
        }
    }

    /// Whether options were recorded for `relation` on some object.
    pub(crate) fn has(&self, relation: &'static RelationMeta) -> bool {
        !self.by_relation.is_empty()
            && self
                .by_relation
                .contains_key(&((relation.owner_type)(), relation.name))
    }

    /// The options recorded for the first of `parents` that has some,
    /// forgetting those of every parent about to load.
    pub(crate) fn take<P: Entity>(
        &mut self,
        relation: &'static RelationMeta,
        parents: &[&P],
    ) -> Vec<OptionNode> {
        if self.by_relation.is_empty() {
            return Vec::new();
        }
        let Some(map) = self
            .by_relation
            .get_mut(&((relation.owner_type)(), relation.name))
            .and_then(|m| m.downcast_mut::<OptionsByKey<P>>())
        else {
            return Vec::new();
        };
        let mut found = None;
        for parent in parents {
            if let Some(options) = map.remove(&parent.key()) {
                found.get_or_insert(options);
            }
        }
        found.unwrap_or_default()
    }

    pub(crate) fn clear(&mut self) {
        self.by_relation.clear();
    }
}
