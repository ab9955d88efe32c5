//! The `IN` loader: `selectin` runs it right after the parents, `bulk` on
//! first access for every unloaded object of the type, `select` for one
//! object. Keys are de-duplicated, sorted and sent in chunks; rows are
//! grouped as they stream in.

use std::sync::Arc;

use super::Entity;
use super::{build_joins, run_graph, Cascade, OptionNode, Pending};
use crate::engine::Engine;
use crate::hash::{FastMap, FastSet};
use crate::relation::FILL;
use crate::relation::{Link, Relation, RelationField};
use crate::sql::{wrap_with_joins, JoinBuilder, RelationStatements};
use crate::{Error, Result, Value};

/// Groups smaller than this check for a repeated target by scanning; larger
/// ones keep a set.
const SCAN_LIMIT: usize = 16;

/// The targets gathered for one owner, each once: a duplicated association
/// row, or a joined collection of the target, repeats a target's row.
pub(crate) struct Group<T: Entity> {
    pub(crate) targets: Vec<Arc<T>>,
    // Boxed: most groups never need it, and every group is kept until the
    // load ends.
    index: Option<Box<FastSet<T::Key>>>,
}

impl<T: Entity> Default for Group<T> {
    fn default() -> Self {
        Group {
            targets: Vec::new(),
            index: None,
        }
    }
}

impl<T: Entity> Group<T> {
    /// Adds `target` unless the group has it; true when added.
    pub(crate) fn add(&mut self, target: &Arc<T>) -> bool {
        if self.index.is_none() && self.targets.len() >= SCAN_LIMIT {
            self.index = Some(Box::new(self.targets.iter().map(|t| t.key()).collect()));
        }
        let new = match &mut self.index {
            Some(index) => index.insert(target.key()),
            None => !self.targets.iter().any(|t| Arc::ptr_eq(t, target)),
        };
        if new {
            self.targets.push(Arc::clone(target));
        }
        new
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> Relation<P, T, F> {
    /// Loads this relation for every parent in `parents` not loaded yet.
    pub(crate) fn load_for(
        &self,
        engine: &mut Engine,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        // A parent listed twice is harmless: keys are de-duplicated before
        // the IN list, and a relation is stored once.
        if let Link::ManyToOne { foreign_key } = self.link {
            // It passes over the parents itself, leaving out loaded ones,
            // without a list of its own.
            return self.load_many_to_one(engine, parents, foreign_key, options, cascade);
        }
        let pending: Vec<&P> = parents
            .iter()
            .copied()
            .filter(|p| !self.field(p).is_loaded())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        self.load_collections(engine, &pending, options, cascade)
    }

    /// One-to-many, one-to-one and many-to-many: rows are grouped by the
    /// owner key read from the target (or from the association table).
    fn load_collections(
        &self,
        engine: &mut Engine,
        pending: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        let keys = sorted_keys(pending.iter().map(|p| p.key()));
        let mut groups: FastMap<P::Key, Group<T>> = FastMap::default();
        groups.reserve(keys.len());
        let cascades = super::cascades::<T>(options);
        let mut targets = Vec::new();
        let link = self.link;
        let deferred = self.fetch(
            engine,
            &keys,
            P::key_values,
            options,
            cascade,
            &mut |target, owner| {
                let owner = match (link, owner) {
                    (_, Some(owner)) => owner,
                    (Link::Remote { foreign_key, .. }, None) => match foreign_key(target) {
                        Some(owner) => owner,
                        None => return,
                    },
                    _ => return,
                };
                if groups.entry(owner).or_default().add(target) && cascades {
                    targets.push(Arc::clone(target));
                }
            },
        )?;
        for parent in pending {
            let group = groups.remove(&parent.key()).unwrap_or_default();
            self.field(parent).store(FILL, group.targets);
        }
        self.queue(cascade, targets, options, deferred);
        Ok(())
    }

    fn load_many_to_one(
        &self,
        engine: &mut Engine,
        parents: &[&P],
        foreign_key: fn(&P) -> Option<T::Key>,
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        let cascades = super::cascades::<T>(options);
        // Each distinct key once, however many parents name it: its target
        // from the identity map (stored on the parents at once), or one the
        // statement is to find. Only distinct keys are collected and
        // sorted, not one per parent.
        let mut by_key: FastMap<T::Key, Target<T>> = FastMap::default();
        let mut missing = Vec::new();
        let map = engine.identity.typed_mut::<T>();
        for parent in parents {
            if self.field(parent).is_loaded() {
                continue;
            }
            let target = match foreign_key(parent) {
                None => None,
                Some(key) => {
                    let entry = by_key.entry(key).or_insert_with_key(|key| {
                        let found = map.get(key);
                        if found.is_none() {
                            missing.push(key.clone());
                        }
                        Target {
                            from_map: found.is_some(),
                            found,
                        }
                    });
                    if !entry.from_map {
                        continue;
                    }
                    entry.found.clone()
                }
            };
            // Targets already in the identity map cost no SQL.
            self.field(parent).store_one(FILL, target);
        }
        let mut deferred = Vec::new();
        let mut dangling = None;
        if !missing.is_empty() {
            missing.sort_unstable();
            deferred = self.fetch(
                engine,
                &missing,
                T::key_values,
                options,
                cascade,
                &mut |target, _| {
                    if let Some(entry) = by_key.get_mut(&target.key()) {
                        entry.found.get_or_insert_with(|| Arc::clone(target));
                    }
                },
            )?;
            // Parents still unloaded now are those waiting for the statements
            // (the others were loaded before or served by the map above).
            for parent in parents {
                if self.field(parent).is_loaded() {
                    continue;
                }
                let Some(key) = foreign_key(parent) else {
                    continue;
                };
                let Some(entry) = by_key.get(&key).filter(|e| !e.from_map) else {
                    continue;
                };
                match &entry.found {
                    Some(target) => {
                        self.field(parent).store_one(FILL, Some(Arc::clone(target)));
                    }
                    // A dangling nullable key reads as absent.
                    None if self.meta.optional => {
                        self.field(parent).store_one(FILL, None);
                    }
                    None => dangling = Some(key),
                }
            }
        }
        let targets = if cascades {
            by_key.into_values().filter_map(|e| e.found).collect()
        } else {
            Vec::new()
        };
        self.queue(cascade, targets, options, deferred);
        if let Some(key) = dangling {
            return Err(Error::MissingRelated {
                entity: self.meta.owner,
                relation: self.meta.name,
                key: format!("{key:?}"),
            });
        }
        Ok(())
    }

    /// Fills a many-to-one from the identity map alone: the way back along a
    /// path that just loaded the targets. Objects whose target is not in the
    /// map stay unloaded.
    pub(crate) fn fill_many_to_one_from_map(&self, engine: &Engine, parents: &[&P]) {
        let Link::ManyToOne { foreign_key } = self.link else {
            return;
        };
        for parent in parents {
            let field = self.field(parent);
            if field.is_loaded() {
                continue;
            }
            match foreign_key(parent) {
                None => {
                    field.store_one(FILL, None);
                }
                Some(key) => {
                    if let Some(target) = engine.cached::<T>(&key) {
                        field.store_one(FILL, Some(target));
                    }
                }
            }
        }
    }

    fn queue(
        &self,
        cascade: &mut Cascade,
        objects: Vec<Arc<T>>,
        options: &[OptionNode],
        deferred: Vec<&'static str>,
    ) {
        cascade.push(Pending {
            objects,
            options: options.to_vec(),
            came_from: Some(self.meta),
            deferred,
        });
    }

    /// Sends the IN statements for `keys`, `chunk_size` keys each, with the
    /// target's joined relations in the same statements, handing each row's
    /// target (and, for many-to-many, the owner key from the association
    /// table) to `on_target`. Returns the joined relations cut off by
    /// `join_depth`.
    fn fetch<K>(
        &self,
        engine: &mut Engine,
        keys: &[K],
        bind: fn(&K, &mut Vec<Value>),
        options: &[OptionNode],
        cascade: &mut Cascade,
        on_target: &mut OnTarget<'_, T, P::Key>,
    ) -> Result<Vec<&'static str>> {
        let dialect = engine.dialect;
        let sql = RelationStatements::of(self.meta, dialect);
        let mut builder = JoinBuilder::starting_at(dialect, T::META.columns.len() + sql.link_width);
        let mut path = vec![self.meta];
        let mut level = build_joins::<T>(&mut builder, "t0", options, &mut path);
        let link_offset = T::META.columns.len();
        let links_in_row = sql.link_width > 0;
        let mut params = Vec::new();
        for chunk in keys.chunks(self.meta.chunk_size.max(1)) {
            params.clear();
            for key in chunk {
                bind(key, &mut params);
            }
            let statement = if level.states.is_empty() {
                sql.for_keys(chunk.len())
            } else {
                let order: Vec<String> = if sql.outer_order.is_empty() {
                    Vec::new()
                } else {
                    vec![sql.outer_order.clone()]
                };
                std::borrow::Cow::Owned(wrap_with_joins(
                    T::META,
                    &sql.inner_for_keys(chunk.len()),
                    &sql.outer_links(),
                    &builder,
                    &order,
                ))
            };
            run_graph::<T>(
                engine,
                &statement,
                &params,
                &mut level.states,
                &mut |object, row| {
                    let owner = if links_in_row {
                        Some(P::key_at(row, link_offset)?)
                    } else {
                        None
                    };
                    on_target(&object, owner);
                    Ok(())
                },
            )?;
        }
        for state in level.states {
            state.finish(cascade);
        }
        Ok(level.deferred)
    }
}

/// The target of one distinct many-to-one key.
struct Target<T> {
    /// Found in the identity map before any statement (and stored on the
    /// parents then); otherwise what the statement found, if anything.
    from_map: bool,
    found: Option<Arc<T>>,
}

/// What a load does with each fetched target and, for many-to-many, the
/// owner key read from the association table.
type OnTarget<'a, T, K> = dyn FnMut(&Arc<T>, Option<K>) + 'a;

/// Keys de-duplicated and sorted, so the SQL and its parameters are
/// deterministic.
fn sorted_keys<K: Ord>(keys: impl Iterator<Item = K>) -> Vec<K> {
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}
