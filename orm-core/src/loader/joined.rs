//! `joined`: the relation's rows come in the parent's statement through a
//! LEFT OUTER JOIN (INNER with `innerjoin`), nested joins included, so it
//! costs no statement of its own.

use std::sync::Arc;

use crate::Handle;

use super::selectin::Group;
use super::Entity;
use super::{build_joins, Cascade, JoinState, Pending};
use crate::engine::IdentityMap;
use crate::filter::Expr;
use crate::hash::{FastMap, FastSet};
use crate::options::OptionNode;
use crate::relation::FILL;
use crate::relation::{Link, Relation, RelationField};
use crate::schema::{RelationKind, RelationMeta};
use crate::sql::{JoinBuilder, JoinClause};
use crate::{Result, Row, ValueRef};

/// One joined relation's accumulator over the rows of a statement.
struct Joined<P: Entity, T: Entity, F> {
    relation: Relation<P, T, F>,
    /// Position of the target's first column in the row.
    offset: usize,
    /// The target column, relative to `offset`, that is NULL exactly when
    /// the outer join found no row.
    match_column: usize,
    /// A to-one is stored as each row arrives; a collection is gathered.
    to_one: bool,
    /// Collections being gathered, with an index by parent key and the
    /// group of the previous row (a parent's rows usually come together).
    groups: Vec<(Handle<P>, Group<T>)>,
    index: FastMap<P::Key, usize>,
    last: Option<usize>,
    /// To-one targets stored, for the cascade (only if it has work).
    stored: Vec<Handle<T>>,
    /// For a one-to-one, the parents it stored a row on in this statement,
    /// and how many of them matched another row as well.
    one_to_one: Option<(FastSet<P::Key>, usize)>,
    /// Whether the targets' level can load more (see `cascades`).
    cascades: bool,
    children: Vec<Box<dyn JoinState<T>>>,
    options: Vec<OptionNode>,
    deferred: Vec<&'static str>,
    /// Whether a filter in the join's ON clause loads part of each collection.
    partial: bool,
}

impl<P: Entity, T: Entity, F: RelationField<T>> Relation<P, T, F> {
    pub(crate) fn join_state(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        criteria: Option<&Arc<Expr>>,
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>> {
        let meta = self.meta;
        let target = T::META;
        let clause = match self.link {
            Link::ManyToOne { .. } => JoinClause::ManyToOne,
            Link::Remote { .. } => JoinClause::Remote,
            Link::Secondary => JoinClause::Secondary,
        };
        let (alias, offset) = builder.join(meta, clause, P::META, parent_alias, target, criteria);
        path.push(meta);
        let level = build_joins::<T>(builder, &alias, options, path);
        path.pop();
        Box::new(Joined {
            relation: *self,
            offset,
            match_column: match self.link {
                Link::Remote { .. } => target
                    .columns
                    .iter()
                    .position(|c| Some(&c.name) == meta.foreign_key.first())
                    .unwrap_or(target.primary_key[0]),
                _ => target.primary_key[0],
            },
            to_one: meta.kind.is_to_one(),
            groups: Vec::new(),
            index: FastMap::default(),
            last: None,
            stored: Vec::new(),
            one_to_one: (meta.kind == RelationKind::OneToOne).then(|| (FastSet::default(), 0)),
            cascades: super::cascades::<T>(options),
            children: level.states,
            options: options.to_vec(),
            deferred: level.deferred,
            partial: criteria.is_some(),
        })
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> Joined<P, T, F> {
    /// The group of `parent`, or `None` when its relation was loaded before
    /// this statement (never replaced).
    fn group_of(&mut self, parent: &Handle<P>) -> Option<usize> {
        if let Some(last) = self
            .last
            .filter(|&i| Handle::ptr_eq(&self.groups[i].0, parent))
        {
            return Some(last);
        }
        let position = match self.index.get(&parent.key()) {
            Some(&position) => position,
            // As the IN loader: a narrowed join replaces nothing loaded.
            None if self.partial && self.relation.field(parent).is_loaded() => return None,
            None if self.relation.field(parent).is_whole(FILL) => return None,
            None => {
                self.groups.push((Handle::clone(parent), Group::default()));
                self.index.insert(parent.key(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        self.last = Some(position);
        Some(position)
    }

    /// A NULL target key: no match for an outer join, which for a required
    /// many-to-one means the referenced row is missing.
    fn no_target(&self, parent: &P) -> Result<()> {
        if let (Link::ManyToOne { foreign_key }, false) =
            (self.relation.link, self.relation.meta.optional)
        {
            if let Some(key) = foreign_key(parent) {
                return Err(crate::Error::MissingRelated {
                    entity: self.relation.meta.owner,
                    relation: self.relation.meta.name,
                    key: format!("{key:?}"),
                });
            }
        }
        Ok(())
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> JoinState<P> for Joined<P, T, F> {
    fn on_row(
        &mut self,
        identity: &mut IdentityMap,
        row: &dyn Row,
        parent: &Handle<P>,
    ) -> Result<()> {
        // A collection loaded before this statement is not replaced; its
        // rows still feed the options below it.
        let (group, loaded_before) = if self.to_one {
            (None, false)
        } else {
            match self.group_of(parent) {
                Some(group) => (Some(group), false),
                None if self.options.is_empty() => return Ok(()),
                None => (None, true),
            }
        };
        // No match leaves every target column NULL. The column that tells is
        // the one the join matched on: the key, or for a one-to-many the
        // target's foreign key (a matched row with a NULL key is bad data,
        // reported by decoding it, as the other loaders do).
        if matches!(row.value(self.offset + self.match_column)?, ValueRef::Null) {
            if loaded_before {
                return Ok(());
            }
            self.no_target(parent)?;
            if self.to_one {
                self.relation.field(parent).store_one(FILL, None);
            }
            return Ok(());
        }
        let key = T::key_from_row(row, self.offset)?;
        let target = identity
            .typed_mut::<T>()
            .get_or_decode(key, || T::from_row(row, self.offset))?;
        match group {
            Some(group) => {
                self.groups[group].1.add(&target);
            }
            None if loaded_before => self.stored.push(Handle::clone(&target)),
            None => {
                let field = self.relation.field(parent);
                if field.store_one(FILL, Some(Handle::clone(&target))) {
                    if self.cascades {
                        self.stored.push(Handle::clone(&target));
                    }
                    if let Some((stored_on, _)) = &mut self.one_to_one {
                        stored_on.insert(parent.key());
                    }
                } else {
                    if !self.options.is_empty() {
                        // Loaded before (or on an earlier row): the options
                        // below still reach its target; a repeat is harmless.
                        self.stored.push(Handle::clone(&target));
                    }
                    if let Some((stored_on, several)) = &mut self.one_to_one {
                        // The first row (by the relation's order) was kept.
                        if stored_on.contains(&parent.key())
                            && !field.holds(FILL, &mut |held| held.key() == target.key())
                        {
                            stored_on.remove(&parent.key());
                            *several += 1;
                        }
                    }
                }
            }
        }
        // Rows repeat a target when it has joined collections of its own:
        // every row feeds the nested joins.
        for child in &mut self.children {
            child.on_row(identity, row, &target)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, cascade: &mut Cascade) {
        if let Some((_, several)) = self.one_to_one {
            super::warn_several_rows(self.relation.meta, several);
        }
        let Joined {
            relation,
            groups,
            index,
            stored,
            children,
            options,
            deferred,
            cascades,
            partial,
            ..
        } = *self;
        // Freed before the collections are stored: each store allocates its
        // shared list while the gathered ones still exist.
        drop(index);
        let mut targets = stored;
        for (parent, group) in groups {
            if cascades {
                targets.extend(group.targets.iter().cloned());
            }
            let field = relation.field(&parent);
            if partial {
                field.store_partial(FILL, group.targets);
            } else {
                field.store(FILL, group.targets);
            }
        }
        cascade.push(Pending::new(
            targets,
            &options,
            Some(relation.meta),
            deferred,
        ));
        for child in children {
            child.finish(cascade);
        }
    }

    fn explain(&self, sketch: &mut super::Sketch, statement: usize, parent: &super::Place) {
        super::explain::joined::<T>(
            sketch,
            statement,
            parent,
            self.relation.meta,
            &self.options,
            &self.deferred,
            &self.children,
        );
    }
}
