//! `dynamic`: the relation is never loaded; it is a query of the targets
//! that the caller filters, orders, counts and pages, and can append to.
//! This file builds the condition that restricts the query to one parent's
//! targets; the session runs it.

use crate::filter::Expr;
use crate::relation::{Link, Relation};
use crate::Entity;

/// The condition selecting the targets of `relation` for `parent`, on
/// unqualified columns of the target table.
pub(crate) fn condition<P: Entity, T: Entity, F>(relation: Relation<P, T, F>, parent: &P) -> Expr {
    let mut key = Vec::new();
    let meta = relation.meta;
    match relation.link {
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
    }
}
