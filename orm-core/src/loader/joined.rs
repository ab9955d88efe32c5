//! `joined`: the relation's rows come in the parent's statement through a
//! LEFT OUTER JOIN (INNER with `innerjoin`), nested joins included, so it
//! costs no statement of its own.

use std::sync::Arc;

use super::selectin::Group;
use super::{build_joins, Cascade, JoinBuilder, JoinState, OptionNode, Pending};
use crate::backend::Row;
use crate::hash::FastMap;
use crate::query::quote_ident;
use crate::relation::FILL;
use crate::relation::{Link, Relation, RelationField, RelationMeta};
use crate::session::IdentityMap;
use crate::{Entity, Result, ValueRef};

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
    groups: Vec<(Arc<P>, Group<T>)>,
    index: FastMap<P::Key, usize>,
    last: Option<usize>,
    /// To-one targets stored, for the cascade (only if it has work).
    stored: Vec<Arc<T>>,
    /// Whether the targets' level can load more (see `cascades`).
    cascades: bool,
    children: Vec<Box<dyn JoinState<T>>>,
    options: Vec<OptionNode>,
    deferred: Vec<&'static str>,
}

fn on_clause(left: &[String], right: &[String]) -> String {
    left.iter()
        .zip(right)
        .map(|(l, r)| format!("{l} = {r}"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn qualified(alias: &str, columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| format!("{alias}.{c}")).collect()
}

impl<P: Entity, T: Entity, F: RelationField<T>> Relation<P, T, F> {
    pub(crate) fn join_state(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>> {
        let meta = self.meta;
        let alias = builder.next_alias();
        let (dot_alias, dot_parent) = (format!("{alias}."), format!("{parent_alias}."));
        let target = T::META;
        let table = quote_ident(target.table);
        // INNER only directly under the root: under an outer join it would
        // drop the outer row.
        let join = if meta.innerjoin && parent_alias == "t0" {
            " JOIN "
        } else {
            " LEFT OUTER JOIN "
        };
        let clause = match self.link {
            Link::ManyToOne { .. } => format!(
                "{join}{table} AS {alias} ON {}",
                on_clause(
                    &target.key_columns(&dot_alias),
                    &qualified(parent_alias, meta.foreign_key)
                )
            ),
            Link::Remote { .. } => format!(
                "{join}{table} AS {alias} ON {}",
                on_clause(
                    &qualified(&alias, meta.foreign_key),
                    &P::META.key_columns(&dot_parent)
                )
            ),
            // Two chained joins, not `LEFT JOIN (secondary JOIN target) ON
            // ...`: SQLite materializes that nested join and builds an
            // automatic index on it for every statement, where the chain
            // searches both tables by their keys. An association row whose
            // target is missing now yields a row with the target's columns
            // NULL, which `on_row` reads as no match, as before.
            Link::Secondary => {
                let secondary_alias = format!("s{alias}");
                format!(
                    "{join}{} AS {secondary_alias} ON {}{join}{table} AS {alias} ON {}",
                    meta.secondary.unwrap_or("\"\""),
                    on_clause(
                        &qualified(&secondary_alias, meta.foreign_key),
                        &P::META.key_columns(&dot_parent)
                    ),
                    on_clause(
                        &target.key_columns(&dot_alias),
                        &qualified(&secondary_alias, meta.target_foreign_key)
                    ),
                )
            }
        };
        builder.from.push_str(&clause);
        builder.select.push_str(", ");
        builder.select.push_str(&target.column_list(&dot_alias));
        let offset = builder.columns;
        builder.multiplies_rows |= !meta.kind.is_to_one();
        builder.columns += target.columns.len();
        builder.order.extend(meta.order_terms(&dot_alias));
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
                    .position(|c| {
                        Some(quote_ident(c.name).as_str()) == meta.foreign_key.first().copied()
                    })
                    .unwrap_or(target.primary_key[0]),
                _ => target.primary_key[0],
            },
            to_one: meta.kind.is_to_one(),
            groups: Vec::new(),
            index: FastMap::default(),
            last: None,
            stored: Vec::new(),
            cascades: super::cascades::<T>(options),
            children: level.states,
            options: options.to_vec(),
            deferred: level.deferred,
        })
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> Joined<P, T, F> {
    /// The group of `parent`, or `None` when its relation was loaded before
    /// this statement (never replaced).
    fn group_of(&mut self, parent: &Arc<P>) -> Option<usize> {
        if let Some(last) = self
            .last
            .filter(|&i| Arc::ptr_eq(&self.groups[i].0, parent))
        {
            return Some(last);
        }
        let position = match self.index.get(&parent.key()) {
            Some(&position) => position,
            None if self.relation.field(parent).is_loaded() => return None,
            None => {
                self.groups.push((Arc::clone(parent), Group::default()));
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
    fn on_row(&mut self, identity: &mut IdentityMap, row: &dyn Row, parent: &Arc<P>) -> Result<()> {
        let group = if self.to_one {
            None
        } else {
            match self.group_of(parent) {
                Some(group) => Some(group),
                None => return Ok(()),
            }
        };
        // No match leaves every target column NULL. The column that tells is
        // the one the join matched on: the key, or for a one-to-many the
        // target's foreign key (a matched row with a NULL key is bad data,
        // reported by decoding it, as the other loaders do).
        if matches!(row.value(self.offset + self.match_column)?, ValueRef::Null) {
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
            None => {
                if self
                    .relation
                    .field(parent)
                    .store_one(FILL, Some(Arc::clone(&target)))
                    && self.cascades
                {
                    self.stored.push(Arc::clone(&target));
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
        let Joined {
            relation,
            groups,
            stored,
            children,
            options,
            deferred,
            cascades,
            ..
        } = *self;
        let mut targets = stored;
        for (parent, group) in groups {
            if cascades {
                targets.extend(group.targets.iter().cloned());
            }
            relation.field(&parent).store(FILL, group.targets);
        }
        cascade.push(Pending {
            objects: targets,
            options,
            came_from: Some(relation.meta),
            deferred,
        });
        for child in children {
            child.finish(cascade);
        }
    }
}
