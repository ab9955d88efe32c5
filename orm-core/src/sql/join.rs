//! The join tree of `joined`: the select list, the joins and the ORDER BY of
//! one statement, built as the loaders walk the relations to join.

use super::entity::{key_columns, push_columns};
use super::filter::render_filter_at;
use super::qualified;
use super::relation::order_terms;
use super::{Dialect, Sql};
use crate::filter::Expr;
use crate::schema::{RelationKind, RelationMeta};
use crate::EntityMeta;
use crate::Value;
use std::sync::Arc;

/// SQL fragments of a join tree under construction.
#[doc(hidden)]
pub struct JoinBuilder {
    dialect: &'static dyn Dialect,
    select: String,
    /// The joins, and the filters their ON clauses end with (rendered when
    /// the statement is, numbered after the parameters before them).
    from: Vec<FromPart>,
    order: Vec<String>,
    /// Columns in the row so far: where the next joined target's start.
    columns: usize,
    aliases: usize,
    /// Whether a joined collection repeats its parents' rows.
    multiplies_rows: bool,
}

enum FromPart {
    Text(String),
    Criteria { alias: String, expr: Arc<Expr> },
}

/// How a joined relation's ends meet.
pub(crate) enum JoinClause {
    /// The parent holds the target's key.
    ManyToOne,
    /// The target holds the parent's key.
    Remote,
    /// Through the association table: two chained joins.
    Secondary,
}

impl JoinBuilder {
    /// A tree over rows whose first `columns` columns are the root's (and
    /// its link columns).
    pub(crate) fn starting_at(dialect: &'static dyn Dialect, columns: usize) -> JoinBuilder {
        JoinBuilder {
            dialect,
            select: String::new(),
            from: Vec::new(),
            order: Vec::new(),
            columns,
            aliases: 0,
            multiplies_rows: false,
        }
    }

    /// How many tables are joined so far.
    pub(crate) fn joined_tables(&self) -> usize {
        self.aliases
    }

    /// Whether a joined collection repeats its parents' rows.
    pub(crate) fn multiplies_rows(&self) -> bool {
        self.multiplies_rows
    }

    /// Joins `relation` (from `parent`, at `parent_alias`, to `target`,
    /// its ON clause ending with `criteria` on the target) and selects the
    /// target's columns; returns the target's alias and the position of its
    /// first column in the row.
    pub(crate) fn join(
        &mut self,
        relation: &RelationMeta,
        clause: JoinClause,
        parent: &EntityMeta,
        parent_alias: &str,
        target: &EntityMeta,
        criteria: Option<&Arc<Expr>>,
    ) -> (String, usize) {
        self.aliases += 1;
        let alias = format!("j{}", self.aliases);
        let table = qualified("", target.table);
        // INNER only directly under the root: under an outer join it would
        // drop the outer row.
        let join = if relation.innerjoin && parent_alias == "t0" {
            " JOIN "
        } else {
            " LEFT OUTER JOIN "
        };
        let on = |left: &[String], right: &[String]| {
            left.iter()
                .zip(right)
                .map(|(l, r)| format!("{l} = {r}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let columns_of = |alias: &str, columns: &[&str]| -> Vec<String> {
            columns.iter().map(|c| qualified(alias, c)).collect()
        };
        let text = match clause {
            JoinClause::ManyToOne => format!(
                "{join}{table} AS {alias} ON {}",
                on(
                    &key_columns(&alias, target),
                    &columns_of(parent_alias, relation.foreign_key)
                )
            ),
            JoinClause::Remote => format!(
                "{join}{table} AS {alias} ON {}",
                on(
                    &columns_of(&alias, relation.foreign_key),
                    &key_columns(parent_alias, parent)
                )
            ),
            // Two chained joins, not `LEFT JOIN (secondary JOIN target) ON
            // ...`: SQLite materializes that nested join and builds an
            // automatic index on it for every statement, where the chain
            // searches both tables by their keys. An association row whose
            // target is missing yields a row with the target's columns
            // NULL, which the loader reads as no match.
            JoinClause::Secondary => {
                let secondary_alias = format!("s{alias}");
                format!(
                    "{join}{} AS {secondary_alias} ON {}{join}{table} AS {alias} ON {}",
                    qualified("", relation.secondary.unwrap_or("")),
                    on(
                        &columns_of(&secondary_alias, relation.foreign_key),
                        &key_columns(parent_alias, parent)
                    ),
                    on(
                        &key_columns(&alias, target),
                        &columns_of(&secondary_alias, relation.target_foreign_key)
                    ),
                )
            }
        };
        self.from.push(FromPart::Text(text));
        if let Some(expr) = criteria {
            self.from.push(FromPart::Criteria {
                alias: alias.clone(),
                expr: Arc::clone(expr),
            });
        }
        let mut select = Sql::new(self.dialect);
        push_columns(&mut select, &alias, target);
        self.select.push_str(", ");
        self.select.push_str(select.as_str());
        let offset = self.columns;
        // A one-to-one may match several rows too; only a many-to-one
        // names one row by its key.
        self.multiplies_rows |= relation.kind != RelationKind::ManyToOne;
        self.columns += target.columns.len();
        self.order.extend(order_terms(relation, &alias));
        (alias, offset)
    }
}

/// Wraps an inner statement producing rows of `root` as alias `t0` and adds
/// the join tree: `SELECT t0.<cols>[, extra][, joined cols] FROM (inner) AS
/// t0 ...`, ordered by `root_order`, then (when collections are joined) the
/// root's key and the collections' own order, so a parent's rows stay
/// together and in the parents' order.
pub(crate) fn wrap_with_joins(
    root: &EntityMeta,
    inner: &str,
    extra_columns: &str,
    builder: &JoinBuilder,
    root_order: &[String],
    params: &mut Vec<Value>,
) -> String {
    let mut sql = Sql::new(builder.dialect);
    sql.push("SELECT ");
    push_columns(&mut sql, "t0", root);
    let mut sql = sql.finish();
    sql.push_str(extra_columns);
    sql.push_str(&builder.select);
    sql.push_str(" FROM (");
    sql.push_str(inner);
    sql.push_str(") AS t0");
    let mut joins = Sql::after_params(builder.dialect, params.len());
    for part in &builder.from {
        match part {
            FromPart::Text(text) => joins.push(text),
            FromPart::Criteria { alias, expr } => {
                joins.push(" AND (");
                render_filter_at(expr, alias, &mut joins, params);
                joins.push(")");
            }
        }
    }
    sql.push_str(joins.as_str());
    let root_key: Vec<String> = if builder.order.is_empty() {
        Vec::new()
    } else {
        key_columns("t0", root)
    };
    let order: Vec<&str> = root_order
        .iter()
        .chain(&root_key)
        .chain(&builder.order)
        .map(String::as_str)
        .collect();
    if !order.is_empty() {
        sql.push_str(" ORDER BY ");
        sql.push_str(&order.join(", "));
    }
    sql
}
