//! `dynamic`: the relation is never loaded; it is a query of the targets
//! that the caller filters, orders, counts and pages, and can append to.

use std::sync::Arc;

use crate::query::{quote_ident, Expr, Query};
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
                let columns: Vec<String> = meta
                    .foreign_key
                    .iter()
                    .map(|c| format!("{c} = ?"))
                    .collect();
                Expr::Raw {
                    sql: format!("({})", columns.join(" AND ")),
                    params: key,
                }
            }
            Link::Secondary => {
                P::key_values(&parent.key(), &mut key);
                let target_key: Vec<String> = T::META
                    .primary_key
                    .iter()
                    .map(|&i| quote_ident(T::META.columns[i].name))
                    .collect();
                let matches: Vec<String> = meta
                    .foreign_key
                    .iter()
                    .map(|c| format!("{c} = ?"))
                    .collect();
                Expr::Raw {
                    sql: format!(
                        "({}) IN (SELECT {} FROM {} WHERE {})",
                        target_key.join(", "),
                        meta.target_foreign_key.join(", "),
                        meta.secondary.unwrap_or("\"\""),
                        matches.join(" AND ")
                    ),
                    params: key,
                }
            }
            Link::ManyToOne { foreign_key } => match foreign_key(parent) {
                Some(target) => {
                    T::key_values(&target, &mut key);
                    let target_key: Vec<String> = T::META
                        .primary_key
                        .iter()
                        .map(|&i| format!("{} = ?", quote_ident(T::META.columns[i].name)))
                        .collect();
                    Expr::Raw {
                        sql: format!("({})", target_key.join(" AND ")),
                        params: key,
                    }
                }
                None => Expr::Raw {
                    sql: "1 = 0".into(),
                    params: Vec::new(),
                },
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
        match relation.link {
            Link::Remote {
                set_foreign_key, ..
            } => {
                set_foreign_key(&mut child, &parent.key());
                self.insert(child)
            }
            Link::Secondary => {
                let meta = relation.meta;
                let child = self.insert(child)?;
                let mut params = Vec::new();
                P::key_values(&parent.key(), &mut params);
                T::key_values(&child.key(), &mut params);
                let columns: Vec<&str> = meta
                    .foreign_key
                    .iter()
                    .chain(meta.target_foreign_key)
                    .copied()
                    .collect();
                let marks = vec!["?"; columns.len()].join(", ");
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({marks})",
                    meta.secondary.unwrap_or("\"\""),
                    columns.join(", ")
                );
                self.execute(&sql, &params)?;
                Ok(child)
            }
            Link::ManyToOne { .. } => Err(Error::Misuse(format!(
                "{} is a to-one relation; set its foreign key instead of appending",
                relation.meta.path()
            ))),
        }
    }
}
