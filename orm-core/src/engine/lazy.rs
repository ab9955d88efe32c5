//! State the loaders keep in the session between loads: per-object
//! options below a lazy step, and the N+1 guard's counts.

use std::any::{Any, TypeId};

use crate::hash::FastMap;
use crate::options::{Narrowing, OptionNode};
use crate::schema::{Record, RelationMeta};
use crate::{Error, Result};

/// What the session does when a lazy `select` load repeats for many objects
/// of one type: the N+1 problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NPlusOneGuard {
    /// Say nothing.
    Off,
    /// Emit a `tracing` warning (target `eagerly::n_plus_one`) when a
    /// relation has been lazily loaded `threshold` times since the last
    /// [`Session::reset_n_plus_one`](crate::Session::reset_n_plus_one), and again at each multiple of it.
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
    loads: FastMap<(TypeId, &'static str), (u32, &'static RelationMeta)>,
}

/// A relation loaded lazily one object at a time, each load a statement
/// of its own: from [`Session::lazy_loads`](crate::Session::lazy_loads).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LazyLoads {
    /// The entity holding the relation.
    pub entity: &'static str,
    /// The relation.
    pub relation: &'static str,
    /// Statements its lazy loads sent.
    pub loads: u32,
    /// The strategy that would have loaded it for every object in one
    /// statement: `bulk` for a to-one, `selectin` for a collection.
    pub suggestion: &'static str,
}

fn suggestion(relation: &RelationMeta) -> &'static str {
    if relation.kind.is_to_one() {
        "bulk"
    } else {
        "selectin"
    }
}

impl NPlusOneCounter {
    pub(crate) fn reset(&mut self) {
        self.loads.clear();
    }

    /// The relations lazily loaded more than once, most loads first.
    pub(crate) fn report(&self) -> Vec<LazyLoads> {
        let mut report: Vec<LazyLoads> = self
            .loads
            .values()
            .filter(|(loads, _)| *loads > 1)
            .map(|&(loads, relation)| LazyLoads {
                entity: relation.owner,
                relation: relation.name,
                loads,
                suggestion: suggestion(relation),
            })
            .collect();
        report.sort_by(|a, b| {
            b.loads
                .cmp(&a.loads)
                .then_with(|| (a.entity, a.relation).cmp(&(b.entity, b.relation)))
        });
        report
    }

    /// Counts one lazy load of `relation` (each sends a statement),
    /// refusing it if the guard says so.
    pub(crate) fn check(&mut self, relation: &'static RelationMeta) -> Result<()> {
        let (entity, relation_name) = (relation.owner, relation.name);
        let suggestion = suggestion(relation);
        let (loads, _) = self
            .loads
            .entry(((relation.owner_type)(), relation_name))
            .or_insert((0, relation));
        match self.guard {
            NPlusOneGuard::Off => *loads += 1,
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

/// Options below a lazy step (`select(A::B).then(joined(B::C))`), kept per
/// object until its relation loads. Only objects loaded with such options
/// have an entry, so a session that uses none pays nothing.
#[doc(hidden)]
#[derive(Default)]
pub struct LazyOptions {
    by_relation: FastMap<(TypeId, &'static str), Box<dyn Any + Send>>,
}

/// Per object: what narrows its relation's targets, and the options below.
type OptionsByKey<P> = FastMap<<P as Record>::Key, (Narrowing, Vec<OptionNode>)>;

impl LazyOptions {
    pub(crate) fn remember<P: Record>(
        &mut self,
        relation: &'static RelationMeta,
        key: P::Key,
        narrowing: &Narrowing,
        options: &[OptionNode],
    ) {
        let entry = self
            .by_relation
            .entry(((relation.owner_type)(), relation.name))
            .or_insert_with(|| Box::new(OptionsByKey::<P>::default()));
        if let Some(map) = entry.downcast_mut::<OptionsByKey<P>>() {
            map.insert(key, (narrowing.clone(), options.to_vec()));
        }
    }

    /// Whether options were recorded for `relation` on some object.
    pub(crate) fn has(&self, relation: &'static RelationMeta) -> bool {
        !self.by_relation.is_empty()
            && self
                .by_relation
                .contains_key(&((relation.owner_type)(), relation.name))
    }

    /// The narrowing and options recorded for the first of `parents` that
    /// has some, forgetting those of every parent about to load.
    pub(crate) fn take<P: Record>(
        &mut self,
        relation: &'static RelationMeta,
        parents: &[&P],
    ) -> (Narrowing, Vec<OptionNode>) {
        if self.by_relation.is_empty() {
            return Default::default();
        }
        let Some(map) = self
            .by_relation
            .get_mut(&((relation.owner_type)(), relation.name))
            .and_then(|m| m.downcast_mut::<OptionsByKey<P>>())
        else {
            return Default::default();
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
