//! Relation SQL, built once per relation from the constant SQL of both
//! entities and cached; at run time only IN lists are sized.

use crate::query::quote_ident;
use crate::relation::{RelationKind, RelationMeta};

/// The statements of one relation. `head` ends just before the IN list,
/// `tail` closes it and orders the rows.
#[derive(Debug)]
pub struct RelationSql {
    /// `SELECT <target columns> FROM ... WHERE <link> IN (` (simple form).
    pub(crate) head: String,
    /// `)` and ORDER BY, for the simple form.
    pub(crate) tail: String,
    /// Inner query of the joined form: target rows plus link columns.
    pub(crate) inner_head: String,
    /// ORDER BY terms of the collection, on the wrapped target alias `t0`.
    pub(crate) outer_order: String,
    /// How many link columns follow the target's columns (many-to-many).
    pub(crate) link_width: usize,
    /// How many values one key binds.
    pub(crate) key_width: usize,
    /// The statement for exactly one key, the shape of every lazy `select`.
    pub(crate) single: String,
}

impl RelationSql {
    /// Builds the statements of `relation`; called once, then cached.
    #[doc(hidden)]
    pub fn build(relation: &RelationMeta) -> RelationSql {
        let target = (relation.target_meta)();
        let target_table = quote_ident(target.table);
        let tuple = |cols: &[String]| -> String {
            if cols.len() == 1 {
                cols[0].clone()
            } else {
                format!("({})", cols.join(", "))
            }
        };
        let in_open = |width: usize| if width == 1 { " IN (" } else { " IN (VALUES " };
        let order_clause = |terms: Vec<String>| -> String {
            if terms.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", terms.join(", "))
            }
        };
        let fk: Vec<String> = relation.foreign_key.iter().map(|c| c.to_string()).collect();

        let (head, inner_head, link_width, key_width, simple_order) = match relation.kind {
            // The target's own columns hold the link: its key for a
            // many-to-one, its foreign key otherwise.
            RelationKind::ManyToOne | RelationKind::OneToMany | RelationKind::OneToOne => {
                let matched = if relation.kind == RelationKind::ManyToOne {
                    target.key_columns("")
                } else {
                    fk.clone()
                };
                let width = matched.len();
                let matcher = format!("{}{}", tuple(&matched), in_open(width));
                (
                    format!(
                        "SELECT {} FROM {target_table} WHERE {matcher}",
                        target.column_list("")
                    ),
                    format!("SELECT * FROM {target_table} WHERE {matcher}"),
                    0,
                    width,
                    relation.order_terms(""),
                )
            }
            RelationKind::ManyToMany => {
                let secondary = relation.secondary.unwrap_or("\"\"");
                let on = target
                    .key_columns("t.")
                    .iter()
                    .zip(relation.target_foreign_key)
                    .map(|(k, f)| format!("{k} = s.{f}"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let link: Vec<String> = fk.iter().map(|c| format!("s.{c}")).collect();
                let width = link.len();
                let matcher = format!("{}{}", tuple(&link), in_open(width));
                let from = format!(
                    "FROM {target_table} AS t JOIN {secondary} AS s ON {on} WHERE {matcher}"
                );
                let aliased_links = link
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{l} AS \"__link{i}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    format!(
                        "SELECT {}, {} {from}",
                        target.column_list("t."),
                        link.join(", ")
                    ),
                    format!("SELECT t.*, {aliased_links} {from}"),
                    width,
                    width,
                    relation.order_terms("t."),
                )
            }
        };
        let tail = format!("){}", order_clause(simple_order));
        let mut single = head.clone();
        push_key_placeholders(&mut single, 1, key_width);
        single.push_str(&tail);
        RelationSql {
            head,
            tail,
            inner_head,
            outer_order: relation.order_terms("t0.").join(", "),
            link_width,
            key_width,
            single,
        }
    }

    /// The simple-form statement for `keys` keys.
    pub(crate) fn for_keys(&self, keys: usize) -> std::borrow::Cow<'_, str> {
        if keys == 1 {
            return std::borrow::Cow::Borrowed(&self.single);
        }
        let mut sql =
            String::with_capacity(self.head.len() + self.tail.len() + keys * 3 * self.key_width);
        sql.push_str(&self.head);
        push_key_placeholders(&mut sql, keys, self.key_width);
        sql.push_str(&self.tail);
        std::borrow::Cow::Owned(sql)
    }
}

/// `?, ?, ?` for single-column keys, `(?, ?), (?, ?)` for composite ones.
pub(crate) fn push_key_placeholders(sql: &mut String, keys: usize, width: usize) {
    for i in 0..keys {
        if i > 0 {
            sql.push_str(", ");
        }
        if width == 1 {
            sql.push('?');
        } else {
            sql.push('(');
            for j in 0..width {
                sql.push_str(if j == 0 { "?" } else { ", ?" });
            }
            sql.push(')');
        }
    }
}
