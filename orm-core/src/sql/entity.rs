//! The statements of one entity, and its DDL.

use super::{push_ident, qualified, Cache, Dialect, Sql};
use crate::schema::{RelationKind, RelationMeta};
use crate::EntityMeta;

/// The constant statements of an entity in one dialect, rendered once.
pub(crate) struct EntityStatements {
    /// `SELECT <columns> FROM <table>`.
    pub(crate) select: String,
    /// `SELECT * FROM <table>`, the inner query a join tree wraps.
    pub(crate) select_star: String,
    /// `SELECT COUNT(*) FROM <table>`.
    pub(crate) count: String,
    /// `SELECT 1 FROM <table>`, counted from outside under LIMIT/OFFSET.
    pub(crate) select_one: String,
    /// `INSERT` of every column.
    pub(crate) insert: String,
    /// `INSERT` without the key column, for a key the database assigns
    /// (the same as `insert` when the key is never assigned). Where the
    /// dialect [returns the assigned key](Dialect::returns_assigned_key), it
    /// ends in `RETURNING <key>`: a query of one row and one column.
    pub(crate) insert_without_key: String,
    /// `UPDATE ... SET <non-key columns> WHERE <key>`; `None` when every
    /// column is part of the key.
    pub(crate) update: Option<String>,
    /// `DELETE ... WHERE <key>`.
    pub(crate) delete: String,
    /// `insert` followed by `ON CONFLICT (<key>) DO UPDATE SET` every
    /// non-key column to the inserted value (see [`super::write::upsert`]).
    pub(crate) upsert: String,
}

static STATEMENTS: Cache<EntityStatements> = Cache::new();

impl EntityStatements {
    /// The statements of `meta` in `dialect`, rendered on first use.
    pub(crate) fn of(meta: &'static EntityMeta, dialect: &dyn Dialect) -> &'static Self {
        STATEMENTS.get(meta, dialect, || EntityStatements::render(meta, dialect))
    }

    fn render(meta: &EntityMeta, dialect: &dyn Dialect) -> Self {
        let table = super::quote_ident(meta.table);
        let from_table = |head: &str| format!("{head} FROM {table}");
        let mut select = Sql::new(dialect);
        select.push("SELECT ");
        push_columns(&mut select, "", meta);
        select.push(" FROM ");
        select.push(&table);

        let key: Vec<&str> = meta
            .primary_key
            .iter()
            .map(|&i| meta.columns[i].name)
            .collect();
        let non_key: Vec<&str> = meta
            .non_key_columns()
            .map(|i| meta.columns[i].name)
            .collect();
        let all: Vec<&str> = meta.columns.iter().map(|c| c.name).collect();
        let insert_of = |columns: &[&str]| {
            let mut sql = Sql::new(dialect);
            sql.push("INSERT INTO ");
            sql.push(&table);
            if columns.is_empty() {
                sql.push(" DEFAULT VALUES");
            } else {
                sql.push(" (");
                sql.list(columns.len(), |sql, i| sql.ident(columns[i]));
                sql.push(") VALUES (");
                sql.list(columns.len(), |sql, _| sql.param());
                sql.push(")");
            }
            sql.finish()
        };
        let update = (!non_key.is_empty()).then(|| {
            let mut sql = Sql::new(dialect);
            sql.push("UPDATE ");
            sql.push(&table);
            sql.push(" SET ");
            sql.list(non_key.len(), |sql, i| {
                sql.ident(non_key[i]);
                sql.push(" = ");
                sql.param();
            });
            sql.push(" WHERE ");
            sql.equal_params("", &key);
            sql.finish()
        });
        let mut delete = Sql::new(dialect);
        delete.push("DELETE FROM ");
        delete.push(&table);
        delete.push(" WHERE ");
        delete.equal_params("", &key);
        let insert = insert_of(&all);
        EntityStatements {
            upsert: super::write::upsert(meta, dialect, &insert),
            select: select.finish(),
            select_star: from_table("SELECT *"),
            count: from_table("SELECT COUNT(*)"),
            select_one: from_table("SELECT 1"),
            insert,
            insert_without_key: if meta.auto_key {
                let mut insert = insert_of(&non_key);
                if dialect.returns_assigned_key() {
                    insert.push_str(" RETURNING ");
                    push_ident(&mut insert, key[0]);
                }
                insert
            } else {
                insert_of(&all)
            },
            update,
            delete: delete.finish(),
        }
    }
}

/// Appends every column of `meta`, qualified by `alias`, comma-separated.
pub(crate) fn push_columns(sql: &mut Sql<'_>, alias: &str, meta: &EntityMeta) {
    sql.list(meta.columns.len(), |sql, i| {
        sql.qualified(alias, meta.columns[i].name)
    });
}

/// The key columns of `meta`, each qualified by `alias` (or bare).
pub(crate) fn key_columns(alias: &str, meta: &EntityMeta) -> Vec<String> {
    meta.primary_key
        .iter()
        .map(|&i| qualified(alias, meta.columns[i].name))
        .collect()
}

/// The quoted `names`, comma-separated.
fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| qualified("", n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The DDL of one entity, in three parts because PostgreSQL checks a
/// FOREIGN KEY's table when the constraint is created: `create_all` sends
/// every entity's table first (referenced tables before the tables that
/// reference them), then the association tables, then the indexes.
pub(crate) struct Schema {
    /// `CREATE TABLE IF NOT EXISTS` with its primary key, NOT NULL for
    /// non-`Option` fields and a FOREIGN KEY per many-to-one.
    pub(crate) table: String,
    /// The association table of each many-to-many.
    pub(crate) associations: Vec<String>,
    /// An index per foreign key, the association tables' included.
    pub(crate) indexes: Vec<String>,
}

/// The DDL of `meta` (see [`Schema`]). Rendered at run time because a
/// column's SQL type comes from its [`ColumnType`](crate::ColumnType) impl,
/// which the derive cannot see.
pub(crate) fn schema(meta: &EntityMeta, dialect: &dyn Dialect) -> Schema {
    let mut associations = Vec::new();
    let mut indexes = Vec::new();
    let mut foreign_keys = Vec::new();
    for relation in meta.relations {
        let target = (relation.target_meta)();
        match (relation.kind, relation.secondary) {
            (RelationKind::ManyToOne, _) => {
                foreign_keys.push(format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({}){}",
                    quoted_list(relation.foreign_key),
                    qualified("", target.table),
                    key_columns("", target).join(", "),
                    relation.on_delete.clause()
                ));
            }
            (RelationKind::ManyToMany, Some(secondary)) => {
                let [table, index] = association_table(secondary, relation, meta, target, dialect);
                associations.push(table);
                indexes.push(index);
            }
            _ => {}
        }
    }
    for relation in meta
        .relations
        .iter()
        .filter(|r| r.kind == RelationKind::ManyToOne)
    {
        indexes.push(index(meta.table, relation.foreign_key));
    }
    // Named as a foreign key's index is: a column that is both is indexed once.
    for column in meta.columns.iter().filter(|c| c.index) {
        indexes.push(index(meta.table, &[column.name]));
    }
    Schema {
        table: create_table(meta, &foreign_keys, dialect),
        associations,
        indexes,
    }
}

/// Indexes on the foreign keys the one-to-many and one-to-one relations of
/// `meta` hold on their targets' tables, for targets in `created` (tables
/// that exist once `create_all` made them): without one, every `WHERE fk
/// IN (...)` load scans the whole target table, and loading a
/// self-referential tree level by level costs quadratic time.
///
/// A one-to-one's is a [unique index](unique_index) (at most one row per
/// parent), unless its foreign key is the target's primary key, unique
/// already; each comes with the plain [`index`] on the same columns it
/// makes redundant, which `create_all` then leaves out.
pub(crate) fn target_indexes(meta: &EntityMeta, created: &[&str]) -> Vec<(String, Option<String>)> {
    meta.relations
        .iter()
        .filter(|r| {
            matches!(r.kind, RelationKind::OneToMany | RelationKind::OneToOne)
                && r.secondary.is_none()
                && created.contains(&(r.target_meta)().table)
        })
        .map(|r| {
            let target = (r.target_meta)();
            let plain = index(target.table, r.foreign_key);
            if r.kind == RelationKind::OneToOne && target.key_names() != r.foreign_key {
                (unique_index(target.table, r.foreign_key), Some(plain))
            } else {
                (plain, None)
            }
        })
        .collect()
}

fn create_table(meta: &EntityMeta, foreign_keys: &[String], dialect: &dyn Dialect) -> String {
    let single_key = meta.primary_key.len() == 1;
    let mut sql = format!("CREATE TABLE IF NOT EXISTS {} (", qualified("", meta.table));
    for (i, column) in meta.columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_ident(&mut sql, column.name);
        sql.push(' ');
        sql.push_str(dialect.column_type(column.sql_type));
        if single_key && column.primary_key {
            if meta.auto_key {
                sql.push_str(dialect.identity_column());
            }
            sql.push_str(" PRIMARY KEY");
        }
        if !column.nullable {
            sql.push_str(" NOT NULL");
        }
        // Parenthesized: SQLite takes only literals bare, both take `(expr)`.
        if let Some(default) = column.default {
            sql.push_str(&format!(" DEFAULT ({default})"));
        }
        if let Some(check) = column.check {
            sql.push_str(&format!(
                " CONSTRAINT {} CHECK ({check})",
                qualified("", &check_name(meta.table, column.name))
            ));
        }
    }
    if !single_key {
        sql.push_str(&format!(
            ", PRIMARY KEY ({})",
            key_columns("", meta).join(", ")
        ));
    }
    // One constraint per name, in the order of its first column; its
    // columns in field order.
    let mut uniques: Vec<&str> = Vec::new();
    for name in meta.columns.iter().filter_map(|c| c.unique) {
        if !uniques.contains(&name) {
            uniques.push(name);
        }
    }
    for name in uniques {
        let columns: Vec<&str> = meta
            .columns
            .iter()
            .filter(|c| c.unique == Some(name))
            .map(|c| c.name)
            .collect();
        sql.push_str(&format!(
            ", CONSTRAINT {} UNIQUE ({})",
            qualified("", name),
            quoted_list(&columns)
        ));
    }
    for foreign_key in foreign_keys {
        sql.push_str(", ");
        sql.push_str(foreign_key);
    }
    sql.push(')');
    sql
}

/// `CREATE INDEX IF NOT EXISTS ix_<table>_<columns>` on `columns` of `table`.
fn index(table: &str, columns: &[&str]) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        qualified("", &format!("ix_{}_{}", table, columns.join("_"))),
        qualified("", table),
        quoted_list(columns)
    )
}

/// `CREATE UNIQUE INDEX IF NOT EXISTS uq_<table>_<columns>`: the key of a
/// one-to-one on its target, at most one row per parent. Named apart from
/// [`index`]'s `ix_`, so that neither `IF NOT EXISTS` skips the other.
pub(crate) fn unique_index(table: &str, columns: &[&str]) -> String {
    format!(
        "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
        qualified("", &format!("uq_{}_{}", table, columns.join("_"))),
        qualified("", table),
        quoted_list(columns)
    )
}

/// The name of the CHECK constraint of `column`: `ck_<table>_<column>`.
pub(crate) fn check_name(table: &str, column: &str) -> String {
    format!("ck_{table}_{column}")
}

/// `DROP TABLE IF EXISTS <table>`.
pub(crate) fn drop_table(table: &str) -> String {
    format!("DROP TABLE IF EXISTS {}", qualified("", table))
}

/// The association table of a many-to-many, keyed by both foreign keys.
fn association_table(
    secondary: &str,
    relation: &RelationMeta,
    owner: &EntityMeta,
    target: &EntityMeta,
    dialect: &dyn Dialect,
) -> [String; 2] {
    let typed = |columns: &[&str], meta: &EntityMeta| -> Vec<String> {
        columns
            .iter()
            .zip(meta.primary_key)
            .map(|(c, &k)| {
                format!(
                    "{} {} NOT NULL",
                    qualified("", c),
                    dialect.column_type(meta.columns[k].sql_type)
                )
            })
            .collect()
    };
    let mut columns = typed(relation.foreign_key, owner);
    columns.extend(typed(relation.target_foreign_key, target));
    let all: Vec<&str> = relation
        .foreign_key
        .iter()
        .chain(relation.target_foreign_key)
        .copied()
        .collect();
    [
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}), FOREIGN KEY ({}) REFERENCES {} ({}), FOREIGN KEY ({}) REFERENCES {} ({}))",
            qualified("", secondary),
            columns.join(", "),
            quoted_list(&all),
            quoted_list(relation.foreign_key),
            qualified("", owner.table),
            key_columns("", owner).join(", "),
            quoted_list(relation.target_foreign_key),
            qualified("", target.table),
            key_columns("", target).join(", "),
        ),
        index(secondary, relation.target_foreign_key),
    ]
}

/// `INSERT INTO <secondary> (<owner key columns>, <target key columns>)`:
/// the association row linking one owner to one target.
pub(crate) fn link_insert(relation: &RelationMeta, dialect: &dyn Dialect) -> String {
    let columns: Vec<&str> = relation
        .foreign_key
        .iter()
        .chain(relation.target_foreign_key)
        .copied()
        .collect();
    let mut sql = Sql::new(dialect);
    sql.push("INSERT INTO ");
    sql.ident(relation.secondary.unwrap_or(""));
    sql.push(" (");
    sql.list(columns.len(), |sql, i| sql.ident(columns[i]));
    sql.push(") VALUES (");
    sql.list(columns.len(), |sql, _| sql.param());
    sql.push(")");
    sql.finish()
}

/// `DELETE FROM <secondary> WHERE <owner columns> = ? AND <target columns>
/// = ?`: one association row (owner key first, then target key).
pub(crate) fn link_delete(relation: &RelationMeta, dialect: &dyn Dialect) -> String {
    let columns: Vec<&str> = relation
        .foreign_key
        .iter()
        .chain(relation.target_foreign_key)
        .copied()
        .collect();
    let mut sql = Sql::new(dialect);
    sql.push("DELETE FROM ");
    sql.ident(relation.secondary.unwrap_or(""));
    sql.push(" WHERE ");
    sql.equal_params("", &columns);
    sql.finish()
}

/// `DELETE FROM <secondary> WHERE <owner columns> = ?`: every association
/// row of one owner (the owner's key binds).
pub(crate) fn owner_links_delete(relation: &RelationMeta, dialect: &dyn Dialect) -> String {
    let mut sql = Sql::new(dialect);
    sql.push("DELETE FROM ");
    sql.ident(relation.secondary.unwrap_or(""));
    sql.push(" WHERE ");
    sql.equal_params("", relation.foreign_key);
    sql.finish()
}
