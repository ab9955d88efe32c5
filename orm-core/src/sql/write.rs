//! The statements of partial and set-based writes: an UPDATE of some
//! columns of one row, an UPDATE or DELETE of every row a filter matches,
//! and the upsert (`INSERT ... ON CONFLICT (key) DO UPDATE`).

use super::{ClauseOptions, Dialect, Sql};
use crate::filter::Expr;
use crate::{EntityMeta, SqlType, Value};

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

/// The most rows one multi-row `INSERT ... VALUES` carries where each value
/// is its own placeholder (SQLite): at most 500, and never more parameters
/// than SQLite binds in one statement (32 766).
pub(crate) fn rows_per_insert(columns: usize) -> usize {
    (32_766 / columns.max(1)).clamp(1, 500)
}

/// Whether an insert of `rows` rows binds one array per column (dialects
/// that bind a list as an array: PostgreSQL) instead of one placeholder per
/// value; [`insert_rows`] writes the matching statement.
pub(crate) fn inserts_rows_as_arrays(dialect: &dyn Dialect, rows: usize) -> bool {
    rows > 1 && dialect.key_lists_as_array()
}

/// `INSERT INTO "table" ("a", "b") VALUES (?, ?), (?, ?)` for `rows` rows,
/// with ` RETURNING "key"` when `returning` names a key the database
/// assigns. Where [`inserts_rows_as_arrays`], every column is one array
/// parameter instead, so one statement shape serves any number of rows:
/// `SELECT c1, c2 FROM unnest($1::TEXT[], $2::BIGINT[]) WITH ORDINALITY AS
/// r(c1, c2, n) ORDER BY n`; the rows are inserted in that order, so the
/// keys an identity column assigns ascend with it.
pub(crate) fn insert_rows(
    dialect: &dyn Dialect,
    table: &str,
    columns: &[(&str, SqlType)],
    rows: usize,
    returning: Option<&str>,
) -> String {
    let mut sql = Sql::new(dialect);
    sql.push("INSERT INTO ");
    sql.ident(table);
    sql.push(" (");
    sql.list(columns.len(), |sql, i| sql.ident(columns[i].0));
    sql.push(")");
    if inserts_rows_as_arrays(dialect, rows) {
        sql.push(" SELECT ");
        sql.list(columns.len(), |sql, i| sql.push(&format!("c{}", i + 1)));
        sql.push(" FROM unnest(");
        sql.list(columns.len(), |sql, i| {
            sql.param();
            sql.push("::");
            sql.push(dialect.column_type(columns[i].1));
            sql.push("[]");
        });
        sql.push(") WITH ORDINALITY AS r(");
        sql.list(columns.len(), |sql, i| sql.push(&format!("c{}", i + 1)));
        sql.push(", n) ORDER BY n");
    } else {
        sql.push(" VALUES ");
        sql.list(rows, |sql, _| {
            sql.push("(");
            sql.list(columns.len(), |sql, _| sql.param());
            sql.push(")");
        });
    }
    if let Some(key) = returning {
        sql.push(" RETURNING ");
        sql.ident(key);
    }
    sql.finish()
}

/// The parameters of [`insert_rows`] for `rows` (each row's values at
/// `columns`): one array per column where [`inserts_rows_as_arrays`], else
/// every value in row order.
pub(crate) fn insert_rows_params(
    dialect: &dyn Dialect,
    rows: &[&[Value]],
    columns: &[usize],
) -> Vec<Value> {
    if inserts_rows_as_arrays(dialect, rows.len()) {
        columns
            .iter()
            .map(|&c| Value::List(rows.iter().map(|row| row[c].clone()).collect()))
            .collect()
    } else {
        rows.iter()
            .flat_map(|row| columns.iter().map(|&c| row[c].clone()))
            .collect()
    }
}

/// The columns of `relation`'s association table with the types of the
/// keys they hold: the owner's key columns, then the target's.
pub(crate) fn association_columns(relation: &crate::RelationMeta) -> Vec<(&'static str, SqlType)> {
    let owner = relation.owner_meta();
    let target = relation.target_meta();
    let typed = |names: &'static [&'static str], meta: &'static EntityMeta| {
        names
            .iter()
            .zip(meta.primary_key)
            .map(move |(name, &i)| (*name, meta.columns[i].sql_type))
    };
    typed(relation.foreign_key, owner)
        .chain(typed(relation.target_foreign_key, target))
        .collect()
}

/// How many rows of `columns` columns one [`insert_rows`] statement takes
/// when `rows` are to be written: all of them where the dialect binds
/// arrays, else [`rows_per_insert`].
pub(crate) fn rows_per_statement(dialect: &dyn Dialect, rows: usize, columns: usize) -> usize {
    if inserts_rows_as_arrays(dialect, rows) {
        rows
    } else {
        rows_per_insert(columns)
    }
}

/// How many keys of `columns` columns one [`push_keys_in`] list takes when
/// `keys` are to be listed: all of them where the dialect binds a
/// single-column list as one array, else as many as one placeholder each
/// allows ([`rows_per_insert`]'s bound).
pub(crate) fn keys_per_statement(dialect: &dyn Dialect, keys: usize, columns: usize) -> usize {
    if columns == 1 && dialect.key_lists_as_array() {
        keys.max(1)
    } else {
        rows_per_insert(columns)
    }
}

/// Appends `<columns> IN <keys>` and binds the keys: one array parameter
/// for a single column where the dialect binds arrays (`= ANY($1)`), one
/// placeholder per value otherwise, row values for a composite key.
pub(crate) fn push_keys_in(
    sql: &mut Sql<'_>,
    columns: &[&str],
    keys: &[Vec<Value>],
    params: &mut Vec<Value>,
) {
    let dialect = sql.dialect();
    if let [column] = columns {
        let quoted = super::quote_ident(column);
        if dialect.key_lists_as_array() {
            dialect.push_key_array(sql, &quoted);
            params.push(Value::List(keys.iter().map(|k| k[0].clone()).collect()));
        } else {
            sql.push(&quoted);
            sql.push(" IN (");
            sql.key_params(keys.len(), 1);
            sql.push(")");
            params.extend(keys.iter().map(|k| k[0].clone()));
        }
        return;
    }
    sql.push("(");
    sql.list(columns.len(), |sql, i| sql.ident(columns[i]));
    sql.push(")");
    sql.push(dialect.row_list_open());
    sql.key_params(keys.len(), columns.len());
    sql.push(")");
    params.extend(keys.iter().flatten().cloned());
}

/// `SELECT <select> FROM "table" WHERE <columns> IN <keys>`.
pub(crate) fn select_where_keys(
    dialect: &dyn Dialect,
    table: &str,
    select: &[&str],
    columns: &[&str],
    keys: &[Vec<Value>],
    params: &mut Vec<Value>,
) -> String {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT ");
    sql.list(select.len(), |sql, i| sql.ident(select[i]));
    sql.push(" FROM ");
    sql.ident(table);
    sql.push(" WHERE ");
    push_keys_in(&mut sql, columns, keys, params);
    sql.finish()
}

/// `DELETE FROM "table" WHERE <columns> IN <keys>`.
pub(crate) fn delete_where_keys(
    dialect: &dyn Dialect,
    table: &str,
    columns: &[&str],
    keys: &[Vec<Value>],
    params: &mut Vec<Value>,
) -> String {
    let mut sql = Sql::new(dialect);
    sql.push("DELETE FROM ");
    sql.ident(table);
    sql.push(" WHERE ");
    push_keys_in(&mut sql, columns, keys, params);
    sql.finish()
}
