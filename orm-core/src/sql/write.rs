//! The statements of partial and set-based writes: an UPDATE of some
//! columns of one row, an UPDATE or DELETE of every row a filter matches,
//! and the upsert (`INSERT ... ON CONFLICT (key) DO UPDATE`).

use super::{ClauseOptions, Dialect, Sql};
use crate::filter::Expr;
use crate::{EntityMeta, Value};

/// Appends `UPDATE "table" SET "a" = ?, "b" = ?`.
fn push_update_set(sql: &mut Sql<'_>, meta: &EntityMeta, set: &[&str]) {
    sql.push("UPDATE ");
    sql.ident(meta.table);
    sql.push(" SET ");
    sql.list(set.len(), |sql, i| {
        sql.ident(set[i]);
        sql.push(" = ");
        sql.param();
    });
}

/// `UPDATE "table" SET <set> = ?... WHERE <key> = ?...`: the columns `set`
/// of one row. The SET values bind first, then the key.
pub(crate) fn update_columns(meta: &EntityMeta, dialect: &dyn Dialect, set: &[&str]) -> String {
    let mut sql = Sql::new(dialect);
    push_update_set(&mut sql, meta, set);
    sql.push(" WHERE ");
    sql.equal_params("", &meta.key_names());
    sql.finish()
}

/// `UPDATE "table" SET <set> = ?... [WHERE <filter>]`: every row `filter`
/// matches (every row without one). The SET values bind first; the
/// filter's values are appended to `params`, after the caller's.
pub(crate) fn update_where(
    meta: &EntityMeta,
    dialect: &dyn Dialect,
    set: &[&str],
    filter: Option<&Expr>,
    params: &mut Vec<Value>,
) -> String {
    let mut sql = Sql::new(dialect);
    push_update_set(&mut sql, meta, set);
    push_where(&mut sql, filter, params);
    sql.finish()
}

/// `DELETE FROM "table" [WHERE <filter>]`, the filter's values appended to
/// `params`.
pub(crate) fn delete_where(
    meta: &EntityMeta,
    dialect: &dyn Dialect,
    filter: Option<&Expr>,
    params: &mut Vec<Value>,
) -> String {
    let mut sql = Sql::new(dialect);
    sql.push("DELETE FROM ");
    sql.ident(meta.table);
    push_where(&mut sql, filter, params);
    sql.finish()
}

/// ` WHERE <filter>`; columns stay unqualified and an `EXISTS` subquery
/// names the outer row by its table, which UPDATE and DELETE both accept.
fn push_where(sql: &mut Sql<'_>, filter: Option<&Expr>, params: &mut Vec<Value>) {
    ClauseOptions {
        filter,
        order: &[],
        limit: None,
        offset: None,
    }
    .push(sql, params);
}

/// `INSERT INTO "table" (<every column>) VALUES (?...) ON CONFLICT (<key>)
/// DO UPDATE SET "a" = excluded."a", ...` (`DO NOTHING` when every column
/// is part of the key): the row written as given, whether it existed or
/// not. SQLite (3.24 and later) and PostgreSQL spell it alike.
pub(crate) fn upsert(meta: &EntityMeta, dialect: &dyn Dialect, insert: &str) -> String {
    let mut sql = Sql::after_params(dialect, meta.columns.len());
    sql.push(insert);
    sql.push(" ON CONFLICT (");
    let key = meta.key_names();
    sql.list(key.len(), |sql, i| sql.ident(key[i]));
    sql.push(")");
    let non_key: Vec<&str> = meta
        .non_key_columns()
        .map(|i| meta.columns[i].name)
        .collect();
    if non_key.is_empty() {
        sql.push(" DO NOTHING");
    } else {
        sql.push(" DO UPDATE SET ");
        sql.list(non_key.len(), |sql, i| {
            sql.ident(non_key[i]);
            sql.push(" = excluded.");
            sql.ident(non_key[i]);
        });
    }
    sql.finish()
}
