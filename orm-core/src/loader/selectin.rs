//! The `IN` loader: `selectin` runs it right after the parents, `bulk` on
//! first access for every unloaded object of the type, `select` for one
//! object. Keys are de-duplicated, sorted and sent in chunks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{build_joins, run_graph, wrap_with_joins, Cascade, JoinBuilder, OptionNode, Pending};
use crate::relation::{Link, Relation, RelationField};
use crate::{Entity, Error, Result, Session, Value};

/// Objects a load fetched, with the owner key each row linked to (for
/// many-to-many, read from the secondary's columns).
struct Fetched<T: Entity, K> {
    rows: Vec<(Arc<T>, Option<K>)>,
    deferred: Vec<&'static str>,
}

impl<P: Entity, T: Entity, F: RelationField<T>> Relation<P, T, F> {
    /// Loads this relation for every parent in `parents` not loaded yet.
    pub(crate) fn load_for(
        &self,
        session: &mut Session,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        let mut seen = HashSet::new();
        let pending: Vec<&P> = parents
            .iter()
            .copied()
            .filter(|p| !self.field(p).is_loaded() && seen.insert(p.key()))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        match self.link {
            Link::ManyToOne { foreign_key } => {
                self.load_many_to_one(session, &pending, foreign_key, options, cascade)
            }
            Link::Remote { foreign_key, .. } => {
                let keys = sorted_keys(pending.iter().map(|p| p.key()));
                let fetched = self.fetch(session, &keys, P::key_values, options, cascade)?;
                let mut groups: HashMap<P::Key, Vec<Arc<T>>> = HashMap::new();
                let mut distinct = HashSet::new();
                let mut targets = Vec::new();
                for (target, _) in fetched.rows {
                    if !distinct.insert(target.key()) {
                        continue; // the same row again, through a joined collection
                    }
                    if let Some(owner) = foreign_key(&target) {
                        groups.entry(owner).or_default().push(Arc::clone(&target));
                    }
                    targets.push(target);
                }
                for parent in &pending {
                    self.field(parent)
                        .store(groups.remove(&parent.key()).unwrap_or_default());
                }
                self.queue(cascade, targets, options, fetched.deferred);
                Ok(())
            }
            Link::Secondary => {
                let keys = sorted_keys(pending.iter().map(|p| p.key()));
                let fetched = self.fetch(session, &keys, P::key_values, options, cascade)?;
                let mut groups: HashMap<P::Key, Vec<Arc<T>>> = HashMap::new();
                // A duplicated association row, or a joined collection, repeats
                // a pair: each target is loaded once per owner.
                let mut pairs = HashSet::new();
                let mut distinct = HashSet::new();
                let mut targets = Vec::new();
                for (target, owner) in fetched.rows {
                    let Some(owner) = owner else { continue };
                    if !pairs.insert((owner.clone(), target.key())) {
                        continue;
                    }
                    if distinct.insert(target.key()) {
                        targets.push(Arc::clone(&target));
                    }
                    groups.entry(owner).or_default().push(target);
                }
                for parent in &pending {
                    self.field(parent)
                        .store(groups.remove(&parent.key()).unwrap_or_default());
                }
                self.queue(cascade, targets, options, fetched.deferred);
                Ok(())
            }
        }
    }

    fn load_many_to_one(
        &self,
        session: &mut Session,
        pending: &[&P],
        foreign_key: fn(&P) -> Option<T::Key>,
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        let mut targets = Vec::new();
        let mut waiting = Vec::new();
        for parent in pending {
            match foreign_key(parent) {
                None => {
                    self.field(parent).store(Vec::new());
                }
                // Targets already in the identity map cost no SQL.
                Some(key) => match session.cached::<T>(&key) {
                    Some(target) => {
                        self.field(parent).store(vec![Arc::clone(&target)]);
                        targets.push(target);
                    }
                    None => waiting.push((*parent, key)),
                },
            }
        }
        let mut deferred = Vec::new();
        if !waiting.is_empty() {
            let keys = sorted_keys(waiting.iter().map(|(_, k)| k.clone()));
            let fetched = self.fetch(session, &keys, T::key_values, options, cascade)?;
            deferred = fetched.deferred;
            let mut found: HashMap<T::Key, Arc<T>> = HashMap::with_capacity(fetched.rows.len());
            for (target, _) in fetched.rows {
                found.entry(target.key()).or_insert(target);
            }
            let mut dangling = None;
            for (parent, key) in waiting {
                match found.get(&key) {
                    Some(target) => {
                        self.field(parent).store(vec![Arc::clone(target)]);
                    }
                    // A dangling nullable key reads as absent.
                    None if self.meta.optional => {
                        self.field(parent).store(Vec::new());
                    }
                    None => dangling = Some(key),
                }
            }
            targets.extend(found.into_values());
            if let Some(key) = dangling {
                self.queue(cascade, targets, options, deferred);
                return Err(Error::MissingRelated {
                    entity: self.meta.owner,
                    relation: self.meta.name,
                    key: format!("{key:?}"),
                });
            }
        }
        self.queue(cascade, targets, options, deferred);
        Ok(())
    }

    /// Fills a many-to-one from the identity map alone: the way back along a
    /// path that just loaded the targets. Objects whose target is not in the
    /// map stay unloaded.
    pub(crate) fn fill_many_to_one_from_map(&self, session: &Session, parents: &[&P]) {
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
                    field.store(Vec::new());
                }
                Some(key) => {
                    if let Some(target) = session.cached::<T>(&key) {
                        field.store(vec![target]);
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
    /// target's joined relations in the same statements.
    fn fetch<K>(
        &self,
        session: &mut Session,
        keys: &[K],
        bind: fn(&K, &mut Vec<Value>),
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<Fetched<T, P::Key>> {
        let sql = (self.sql)();
        let mut builder = JoinBuilder::starting_at(T::META.columns.len() + sql.link_width);
        let mut path = vec![self.meta];
        let mut level = build_joins::<T>(&mut builder, "t0", options, &mut path);
        let link_offset = T::META.columns.len();
        let links_in_row = sql.link_width > 0;
        let mut rows = Vec::new();
        let mut params = Vec::new();
        for chunk in keys.chunks(self.meta.chunk_size.max(1)) {
            params.clear();
            for key in chunk {
                bind(key, &mut params);
            }
            let statement = if level.states.is_empty() {
                sql.for_keys(chunk.len())
            } else {
                let mut inner = sql.inner_head.clone();
                super::sql::push_key_placeholders(&mut inner, chunk.len(), sql.key_width);
                inner.push(')');
                let links: String = (0..sql.link_width)
                    .map(|i| format!(", t0.\"__link{i}\""))
                    .collect();
                let order: Vec<String> = if sql.outer_order.is_empty() {
                    Vec::new()
                } else {
                    vec![sql.outer_order.clone()]
                };
                std::borrow::Cow::Owned(wrap_with_joins::<T>(&inner, &links, &builder, &order))
            };
            run_graph::<T>(
                session,
                &statement,
                &params,
                &mut level.states,
                &mut |object, row| {
                    let owner = if links_in_row {
                        Some(P::key_at(row, link_offset)?)
                    } else {
                        None
                    };
                    rows.push((Arc::clone(object), owner));
                    Ok(())
                },
            )?;
        }
        for state in level.states {
            state.finish(cascade);
        }
        Ok(Fetched {
            rows,
            deferred: level.deferred,
        })
    }
}

/// Keys de-duplicated and sorted, so the SQL and its parameters are
/// deterministic.
fn sorted_keys<K: Ord>(keys: impl Iterator<Item = K>) -> Vec<K> {
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}
