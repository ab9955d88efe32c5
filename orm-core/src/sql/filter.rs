//! Filters, ORDER BY and LIMIT/OFFSET, rendered with bound parameters.

use super::{Dialect, Sql};
use crate::filter::{CompareOp, Expr, INLINE_LIST_MAX};
use crate::schema::{RelationKind, RelationMeta};
use crate::Value;

/// The clauses of a query after its FROM, as names and values.
pub(crate) struct ClauseOptions<'a> {
    pub(crate) filter: Option<&'a Expr>,
    /// ORDER BY terms: unquoted column and "descending".
    pub(crate) order: &'a [(&'static str, bool)],
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
}

impl ClauseOptions<'_> {
    /// Appends WHERE, ORDER BY, LIMIT and OFFSET to `sql`, binding values
    /// to `params`.
    pub(crate) fn push(&self, sql: &mut Sql<'_>, params: &mut Vec<Value>) {
        if let Some(filter) = self.filter {
            sql.push(" WHERE ");
            render_filter(filter, sql, params);
        }
        for (i, (column, descending)) in self.order.iter().enumerate() {
            sql.push(if i == 0 { " ORDER BY " } else { ", " });
            render_order(sql, "", column, *descending);
        }
        push_limit_offset(self.limit, self.offset, sql, params);
    }
}

/// Appends one ORDER BY term on `column` qualified by `alias`.
pub(crate) fn render_order(sql: &mut Sql<'_>, alias: &str, column: &str, descending: bool) {
    sql.qualified(alias, column);
    if descending {
        sql.push(" DESC");
    }
}

/// Appends `LIMIT ? OFFSET ?` as needed, both bound.
fn push_limit_offset(
    limit: Option<u64>,
    offset: Option<u64>,
    sql: &mut Sql<'_>,
    params: &mut Vec<Value>,
) {
    let limit = match (limit, offset) {
        (None, None) => return,
        (Some(limit), _) => Some(clamp_to_i64(limit)),
        (None, Some(_)) => sql.dialect().limit_for_offset_only(),
    };
    if let Some(limit) = limit {
        sql.push(" LIMIT ");
        sql.param();
        params.push(Value::Integer(limit));
    }
    if let Some(offset) = offset {
        sql.push(" OFFSET ");
        sql.param();
        params.push(Value::Integer(clamp_to_i64(offset)));
    }
}

fn clamp_to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => " = ",
        CompareOp::Ne => " <> ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Like => " LIKE ",
    }
}

/// A piece of pending work for [`render_filter`].
enum Step<'a> {
    Expr(&'a Expr),
    Text(&'static str),
    /// The end of an `EXISTS` subquery: its alias goes out of scope.
    LeaveScope,
}

/// Appends `expr` with its columns qualified by `alias` (a table alias of
/// the statement, or empty), pushing its values to `params`.
pub(crate) fn render_filter_at(
    expr: &Expr,
    alias: &str,
    sql: &mut Sql<'_>,
    params: &mut Vec<Value>,
) {
    let outside = sql.set_column_alias(alias.to_owned());
    render_filter(expr, sql, params);
    sql.set_column_alias(outside);
}

/// Appends `expr` to `sql`, pushing its values to `params`. Trees can be
/// arbitrarily deep, so this walks an explicit stack instead of recursing.
pub(crate) fn render_filter(expr: &Expr, sql: &mut Sql<'_>, params: &mut Vec<Value>) {
    let mut steps = vec![Step::Expr(expr)];
    // The aliases of the `EXISTS` subqueries being written, innermost last;
    // outside them the row is the queried table's own, named by its table.
    // Inside them columns are the subquery's own, unqualified; outside,
    // qualified by the writer's column alias (a joined or aliased target).
    let mut scopes: Vec<String> = Vec::new();
    let mut outside_alias = Vec::new();
    let mut aliases = 0;
    while let Some(step) = steps.pop() {
        let expr = match step {
            Step::Text(text) => {
                sql.push(text);
                continue;
            }
            Step::LeaveScope => {
                scopes.pop();
                if let Some(alias) = outside_alias.pop() {
                    sql.set_column_alias(alias);
                }
                continue;
            }
            Step::Expr(expr) => expr,
        };
        match expr {
            Expr::Compare { column, op, value } => {
                sql.column(column);
                match (op, value) {
                    (CompareOp::Eq, Value::Null) => sql.push(" IS NULL"),
                    (CompareOp::Ne, Value::Null) => sql.push(" IS NOT NULL"),
                    _ => {
                        sql.push(operator(*op));
                        sql.param();
                        params.push(value.clone());
                    }
                }
            }
            Expr::In {
                column,
                values,
                negated,
                null,
            } => render_in(column, values, *negated, *null, sql, params),
            Expr::Null { column, negated } => {
                sql.column(column);
                sql.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::And(parts) | Expr::Or(parts) => {
                let joiner = if matches!(expr, Expr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                sql.push("(");
                steps.push(Step::Text(")"));
                for (i, part) in parts.iter().enumerate().rev() {
                    steps.push(Step::Expr(part));
                    if i > 0 {
                        steps.push(Step::Text(joiner));
                    }
                }
            }
            Expr::Not(inner) => {
                sql.push("NOT (");
                steps.push(Step::Text(")"));
                steps.push(Step::Expr(inner));
            }
            Expr::Equal {
                columns,
                values,
                grouped,
            } => {
                if *grouped {
                    sql.push("(");
                }
                let alias = sql.column_alias().to_owned();
                sql.equal_params(&alias, columns);
                params.extend(values.iter().cloned());
                if *grouped {
                    sql.push(")");
                }
            }
            Expr::Linked {
                keys,
                table,
                selected,
                matched,
                values,
            } => {
                sql.push("(");
                sql.list(keys.len(), |sql, i| sql.column(keys[i]));
                sql.push(") IN (SELECT ");
                sql.list(selected.len(), |sql, i| sql.ident(selected[i]));
                sql.push(" FROM ");
                sql.ident(table);
                sql.push(" WHERE ");
                sql.equal_params("", matched);
                sql.push(")");
                params.extend(values.iter().cloned());
            }
            Expr::Nothing => sql.push("1 = 0"),
            Expr::Always => sql.push("1 = 1"),
            Expr::Exists { relation, inner } => {
                aliases += 1;
                let alias = format!("x{aliases}");
                let outer = match scopes.last() {
                    Some(scope) => scope.clone(),
                    None if !sql.column_alias().is_empty() => sql.column_alias().to_owned(),
                    None => super::quote_ident(relation.owner_meta().table()),
                };
                push_exists(sql, relation, &alias, &outer);
                scopes.push(alias);
                outside_alias.push(sql.set_column_alias(String::new()));
                steps.push(Step::LeaveScope);
                steps.push(Step::Text(")"));
                if !matches!(**inner, Expr::Always) {
                    sql.push(" AND (");
                    steps.push(Step::Text(")"));
                    steps.push(Step::Expr(inner));
                }
            }
        }
    }
}

/// `column IN (...)` and its variants. A NULL in the list matches NULL
/// rows, as `eq(None)` does; in a NOT IN it excludes them. Without one, SQL
/// semantics hold: NOT IN never matches a NULL row.
fn render_in(
    column: &str,
    values: &[Value],
    negated: bool,
    null: bool,
    sql: &mut Sql<'_>,
    params: &mut Vec<Value>,
) {
    if values.is_empty() {
        if null {
            sql.column(column);
            sql.push(if negated { " IS NOT NULL" } else { " IS NULL" });
        } else {
            sql.push(if negated { "1 = 1" } else { "1 = 0" });
        }
        return;
    }
    if null {
        sql.push("(");
    }
    if values.len() > INLINE_LIST_MAX {
        sql.dialect().push_in_array(sql, column, negated);
        params.push(Value::List(values.to_vec()));
    } else {
        sql.column(column);
        sql.push(if negated { " NOT IN (" } else { " IN (" });
        sql.list(values.len(), |sql, _| sql.param());
        sql.push(")");
        params.extend(values.iter().cloned());
    }
    if null {
        sql.push(if negated { " AND " } else { " OR " });
        sql.column(column);
        sql.push(if negated {
            " IS NOT NULL)"
        } else {
            " IS NULL)"
        });
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SQL says it best, and rendering it does not recurse.
        let dialect: &dyn Dialect = &super::Sqlite;
        let mut sql = Sql::new(dialect);
        let mut params = Vec::new();
        render_filter(self, &mut sql, &mut params);
        f.debug_struct("Filter")
            .field("sql", &sql.as_str())
            .field("params", &params)
            .finish()
    }
}

/// `EXISTS (SELECT 1 FROM <target> AS <alias> WHERE <link>`, the link
/// between a target row and the row named `outer` (the queried table, or
/// the enclosing subquery's alias); the caller closes it. The condition on
/// the target follows unqualified: inside the subquery a column resolves to
/// the innermost table that has it, the target (typed filters name only
/// its columns).
fn push_exists(sql: &mut Sql<'_>, relation: &RelationMeta, alias: &str, outer: &str) {
    let target = relation.target_meta();
    let owner = relation.owner_meta();
    let pairs = |sql: &mut Sql<'_>, left: (&str, &[&str]), right: (&str, &[&str])| {
        for (i, (l, r)) in left.1.iter().zip(right.1).enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            sql.qualified(left.0, l);
            sql.push(" = ");
            sql.qualified(right.0, r);
        }
    };
    sql.push("EXISTS (SELECT 1 FROM ");
    sql.ident(target.table());
    sql.push(" AS ");
    sql.push(alias);
    sql.push(" WHERE ");
    match (relation.kind(), relation.secondary()) {
        (RelationKind::ManyToOne, _) => pairs(
            sql,
            (alias, &target.key_names()),
            (outer, relation.foreign_key()),
        ),
        (RelationKind::ManyToMany, Some(secondary)) => {
            let link = format!("{alias}s");
            let keys = target.key_names();
            if keys.len() > 1 {
                sql.push("(");
            }
            sql.list(keys.len(), |sql, i| sql.qualified(alias, keys[i]));
            if keys.len() > 1 {
                sql.push(")");
            }
            sql.push(" IN (SELECT ");
            let selected = relation.target_foreign_key();
            sql.list(selected.len(), |sql, i| sql.qualified(&link, selected[i]));
            sql.push(" FROM ");
            sql.ident(secondary);
            sql.push(" AS ");
            sql.push(&link);
            sql.push(" WHERE ");
            pairs(
                sql,
                (&link, relation.foreign_key()),
                (outer, &owner.key_names()),
            );
            sql.push(")");
        }
        _ => pairs(
            sql,
            (alias, relation.foreign_key()),
            (outer, &owner.key_names()),
        ),
    }
}
