//! `dynamic`: the relation is never loaded; it is a query of the targets
//! that the caller filters, orders, counts and pages, and can append to.

use std::sync::Arc;

use crate::filter::Expr;
use crate::query::Query;
use crate::relation::{Dynamic, Link, Relation};
use crate::{Entity, Error, Result, Session};

impl Session {
    /// The query behind a `dynamic` relation of `parent`: its targets, to
    /// filter, order, limit, count or load like any query.
    pub fn dynamic<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, Dynamic<T>>,
        parent: &P,
    ) -> Query<'_, T> {
        let mut key = Vec::new();
        let meta = relation.meta;
        let condition = match relation.link {
            Link::Remote { .. } => {
                P::key_values(&parent.key(), &mut key);
                Expr::Equal {
                    columns: meta.foreign_key.to_vec(),
                    values: key,
                    grouped: true,
                }
            }
            Link::Secondary => {
                P::key_values(&parent.key(), &mut key);
                Expr::Linked {
                    keys: T::META.key_names(),
                    table: meta.secondary.unwrap_or(""),
                    selected: meta.target_foreign_key,
                    matched: meta.foreign_key,
                    values: key,
                }
            }
            Link::ManyToOne { foreign_key } => match foreign_key(parent) {
                Some(target) => {
                    T::key_values(&target, &mut key);
                    Expr::Equal {
                        columns: T::META.key_names(),
                        values: key,
                        grouped: true,
                    }
                }
                None => Expr::Nothing,
            },
        };
        Query::with_condition(self, condition)
    }

    /// Adds `child` to a `dynamic` relation of `parent`: sets its foreign
    /// key (or inserts the association row) and inserts it.
    pub fn append<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, Dynamic<T>>,
        parent: &P,
        mut child: T,
    ) -> Result<Arc<T>> {
        self.check_owner(parent, false)?;
        match relation.link {
            Link::Remote {
                set_foreign_key, ..
            } => {
                set_foreign_key(&mut child, &parent.key());
                self.insert(child)
            }
            Link::Secondary => {
                let meta = relation.meta;
                let sql = crate::sql::link_insert(meta, self.dialect());
                // The row, then its link: both or neither.
                let child = self.atomic(|s| {
                    let child = s.insert(child)?;
                    let mut params = Vec::new();
                    P::key_values(&parent.key(), &mut params);
                    T::key_values(&child.key(), &mut params);
                    s.execute(&sql, &params)?;
                    Ok(child)
                })?;
                // The parent's collections over the same association table
                // gained a member.
                for other in P::relations() {
                    if other.meta().secondary == meta.secondary {
                        other.clear_on(parent);
                    }
                }
                Ok(child)
            }
            Link::ManyToOne { .. } => Err(Error::Misuse(format!(
                "{} is a to-one relation; set its foreign key instead of appending",
                relation.meta.path()
            ))),
        }
    }
}
