//! Filter expressions and their rendering to SQL with bound parameters.

use std::marker::PhantomData;

use crate::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

impl CompareOp {
    fn sql(self) -> &'static str {
        match self {
            CompareOp::Eq => " = ",
            CompareOp::Ne => " <> ",
            CompareOp::Lt => " < ",
            CompareOp::Le => " <= ",
            CompareOp::Gt => " > ",
            CompareOp::Ge => " >= ",
            CompareOp::Like => " LIKE ",
        }
    }
}

/// The untyped expression tree behind a [`Filter`]. Column names are stored
/// already quoted by the derive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Compare {
        column: &'static str,
        op: CompareOp,
        value: Value,
    },
    In {
        column: &'static str,
        values: Vec<Value>,
        negated: bool,
    },
    Null {
        column: &'static str,
        negated: bool,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A condition written by the library itself (relation links), on
    /// unqualified columns of the queried table.
    Raw {
        sql: String,
        params: Vec<Value>,
    },
}

impl Expr {
    /// Appends this expression to `sql`, pushing its values to `params`.
    /// Column references are prefixed with `qualifier.` when one is given.
    pub(crate) fn render(
        &self,
        qualifier: Option<&str>,
        sql: &mut String,
        params: &mut Vec<Value>,
    ) {
        let column_ref = |sql: &mut String, column: &str| {
            if let Some(q) = qualifier {
                sql.push_str(q);
                sql.push('.');
            }
            sql.push_str(column);
        };
        match self {
            Expr::Compare { column, op, value } => {
                column_ref(sql, column);
                match (op, value) {
                    (CompareOp::Eq, Value::Null) => sql.push_str(" IS NULL"),
                    (CompareOp::Ne, Value::Null) => sql.push_str(" IS NOT NULL"),
                    _ => {
                        sql.push_str(op.sql());
                        sql.push('?');
                        params.push(value.clone());
                    }
                }
            }
            Expr::In {
                values, negated, ..
            } if values.is_empty() => {
                sql.push_str(if *negated { "1 = 1" } else { "1 = 0" });
            }
            Expr::In {
                column,
                values,
                negated,
            } => {
                column_ref(sql, column);
                sql.push_str(if *negated { " NOT IN (" } else { " IN (" });
                push_placeholders(sql, values.len());
                sql.push(')');
                params.extend(values.iter().cloned());
            }
            Expr::Null { column, negated } => {
                column_ref(sql, column);
                sql.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::And(parts) | Expr::Or(parts) => {
                let joiner = if matches!(self, Expr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                sql.push('(');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(joiner);
                    }
                    part.render(qualifier, sql, params);
                }
                sql.push(')');
            }
            Expr::Raw {
                sql: text,
                params: values,
            } => {
                sql.push_str(text);
                params.extend(values.iter().cloned());
            }
            Expr::Not(inner) => {
                sql.push_str("NOT (");
                inner.render(qualifier, sql, params);
                sql.push(')');
            }
        }
    }
}

/// Appends `?, ?, ...` with `count` placeholders.
fn push_placeholders(sql: &mut String, count: usize) {
    for i in 0..count {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
    }
}

/// A condition on rows of entity `E`, built from its column constants:
/// `Author::NAME.eq("Ann").and(Author::ID.gt(3))`. Filters of different
/// entities do not mix.
pub struct Filter<E> {
    pub(crate) expr: Expr,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Filter<E> {
    fn clone(&self) -> Self {
        Filter::new(self.expr.clone())
    }
}

impl<E> std::fmt::Debug for Filter<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl<E> Filter<E> {
    pub(crate) fn new(expr: Expr) -> Self {
        Filter {
            expr,
            _entity: PhantomData,
        }
    }

    /// Both conditions hold.
    pub fn and(self, other: Filter<E>) -> Filter<E> {
        Filter::new(match self.expr {
            Expr::And(mut parts) => {
                parts.push(other.expr);
                Expr::And(parts)
            }
            first => Expr::And(vec![first, other.expr]),
        })
    }

    /// Either condition holds.
    pub fn or(self, other: Filter<E>) -> Filter<E> {
        Filter::new(match self.expr {
            Expr::Or(mut parts) => {
                parts.push(other.expr);
                Expr::Or(parts)
            }
            first => Expr::Or(vec![first, other.expr]),
        })
    }

    /// The condition does not hold (SQL `NOT`, so NULL stays unknown).
    #[allow(clippy::should_implement_trait)] // `!filter` works too, via `std::ops::Not`
    pub fn not(self) -> Filter<E> {
        Filter::new(Expr::Not(Box::new(self.expr)))
    }
}

impl<E> std::ops::BitAnd for Filter<E> {
    type Output = Filter<E>;
    fn bitand(self, other: Filter<E>) -> Filter<E> {
        self.and(other)
    }
}

impl<E> std::ops::BitOr for Filter<E> {
    type Output = Filter<E>;
    fn bitor(self, other: Filter<E>) -> Filter<E> {
        self.or(other)
    }
}

impl<E> std::ops::Not for Filter<E> {
    type Output = Filter<E>;
    fn not(self) -> Filter<E> {
        Filter::not(self)
    }
}

/// An `ORDER BY` term on a column of entity `E`: `Author::NAME.desc()`, or a
/// bare column for ascending order.
pub struct OrderBy<E> {
    pub(crate) column: &'static str,
    pub(crate) descending: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for OrderBy<E> {
    fn clone(&self) -> Self {
        OrderBy::new(self.column, self.descending)
    }
}

impl<E> std::fmt::Debug for OrderBy<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}",
            self.column,
            if self.descending { " DESC" } else { "" }
        )
    }
}

impl<E> OrderBy<E> {
    pub(crate) fn new(column: &'static str, descending: bool) -> Self {
        OrderBy {
            column,
            descending,
            _entity: PhantomData,
        }
    }

    pub(crate) fn render(&self, qualifier: Option<&str>, sql: &mut String) {
        if let Some(q) = qualifier {
            sql.push_str(q);
            sql.push('.');
        }
        sql.push_str(self.column);
        if self.descending {
            sql.push_str(" DESC");
        }
    }
}
