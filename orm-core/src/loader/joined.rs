//! `joined`: the relation's rows come in the parent's statement through a
//! LEFT OUTER JOIN (INNER with `innerjoin`), nested joins included, so it
//! costs no statement of its own.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{build_joins, qualified_columns, Cascade, JoinBuilder, JoinState, OptionNode, Pending};
use crate::backend::Row;
use crate::query::quote_ident;
use crate::relation::{Link, Relation, RelationField, RelationMeta};
use crate::session::IdentityMap;
use crate::{Entity, Result, ValueRef};

struct Group<P, T: Entity> {
    parent: Arc<P>,
    targets: Vec<Arc<T>>,
    seen: HashSet<T::Key>,
}

/// One joined relation's accumulator over the rows of a statement.
struct Joined<P: Entity, T: Entity, F> {
    relation: Relation<P, T, F>,
    /// Position of the target's first column in the row.
    offset: usize,
    groups: HashMap<P::Key, Group<P, T>>,
    children: Vec<Box<dyn JoinState<T>>>,
    options: Vec<OptionNode>,
    deferred: Vec<&'static str>,
}

fn key_columns(meta: &crate::EntityMeta, alias: &str) -> Vec<String> {
    meta.primary_key
        .iter()
        .map(|&i| format!("{alias}.{}", quote_ident(meta.columns[i].name)))
        .collect()
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
                    &key_columns(target, &alias),
                    &qualified(parent_alias, meta.foreign_key)
                )
            ),
            Link::Remote { .. } => format!(
                "{join}{table} AS {alias} ON {}",
                on_clause(
                    &qualified(&alias, meta.foreign_key),
                    &key_columns(P::META, parent_alias)
                )
            ),
            Link::Secondary => {
                let secondary_alias = format!("s{alias}");
                format!(
                    "{join}({} AS {secondary_alias} JOIN {table} AS {alias} ON {}) ON {}",
                    meta.secondary.unwrap_or("\"\""),
                    on_clause(
                        &key_columns(target, &alias),
                        &qualified(&secondary_alias, meta.target_foreign_key)
                    ),
                    on_clause(
                        &qualified(&secondary_alias, meta.foreign_key),
                        &key_columns(P::META, parent_alias)
                    ),
                )
            }
        };
        builder.from.push_str(&clause);
        builder.select.push_str(", ");
        builder.select.push_str(&qualified_columns(target, &alias));
        let offset = builder.columns;
        builder.columns += target.columns.len();
        builder.order.extend(
            meta.order_by.iter().map(|(column, desc)| {
                format!("{alias}.{column}{}", if *desc { " DESC" } else { "" })
            }),
        );
        path.push(meta);
        let level = build_joins::<T>(builder, &alias, options, path);
        path.pop();
        Box::new(Joined {
            relation: *self,
            offset,
            groups: HashMap::new(),
            children: level.states,
            options: options.to_vec(),
            deferred: level.deferred,
        })
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> JoinState<P> for Joined<P, T, F> {
    fn on_row(&mut self, identity: &mut IdentityMap, row: &dyn Row, parent: &Arc<P>) -> Result<()> {
        if self.relation.field(parent).is_loaded() {
            return Ok(()); // loaded before: never replaced
        }
        let group = self.groups.entry(parent.key()).or_insert_with(|| Group {
            parent: Arc::clone(parent),
            targets: Vec::new(),
            seen: HashSet::new(),
        });
        // An outer join with no match leaves the target's key NULL.
        let first_key_column = self.offset + T::META.primary_key[0];
        if matches!(row.value(first_key_column)?, ValueRef::Null) {
            // A required foreign key with no row behind it is an error, as
            // for the IN loader; a nullable one reads as absent.
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
            return Ok(());
        }
        let key = T::key_from_row(row, self.offset)?;
        let map = identity.typed_mut::<T>();
        let target = match map.get(&key) {
            Some(existing) => existing,
            None => {
                let fresh = Arc::new(T::from_row(row, self.offset)?);
                map.insert(key.clone(), &fresh);
                fresh
            }
        };
        if group.seen.insert(key) {
            group.targets.push(Arc::clone(&target));
        }
        for child in &mut self.children {
            child.on_row(identity, row, &target)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, cascade: &mut Cascade) {
        let mut distinct = HashSet::new();
        let mut targets = Vec::new();
        for group in self.groups.into_values() {
            for target in &group.targets {
                if distinct.insert(target.key()) {
                    targets.push(Arc::clone(target));
                }
            }
            self.relation.field(&group.parent).store(group.targets);
        }
        cascade.push(Pending {
            objects: targets,
            options: self.options,
            came_from: Some(self.relation.meta),
            deferred: self.deferred,
        });
        for child in self.children {
            child.finish(cascade);
        }
    }
}
