//! SQLite's spelling.

use super::{Dialect, Sql};
use crate::SqlType;

/// SQLite: `?` placeholders, `IN rarray(?)` for a bound list (the carray
/// extension rusqlite's `array` feature loads), LIMIT -1 for "no limit".
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn push_placeholder(&self, sql: &mut String, _number: usize) {
        sql.push('?');
    }

    fn push_in_array(&self, sql: &mut Sql<'_>, column: &str, negated: bool) {
        sql.column(column);
        sql.push(if negated {
            " NOT IN rarray("
        } else {
            " IN rarray("
        });
        sql.param();
        sql.push(")");
    }

    fn limit_for_offset_only(&self) -> Option<i64> {
        Some(-1)
    }

    fn column_type(&self, sql_type: SqlType) -> &'static str {
        // A single INTEGER PRIMARY KEY column is SQLite's rowid alias,
        // which is what assigns keys on insert.
        sql_type.ddl_name()
    }

    fn begin(&self, immediate: bool) -> &'static str {
        if immediate {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        }
    }
}
