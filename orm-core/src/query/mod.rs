//! Typed queries: `session.query::<Author>().filter(...).order_by(...).all()`.

mod filter;

use std::marker::PhantomData;
use std::sync::Arc;

pub(crate) use filter::{CompareOp, Expr};
pub use filter::{Filter, OrderBy};

use crate::loader::{LoadOption, OptionNode};
use crate::{Entity, Error, Result, Session, Value, ValueRef};

/// A query for objects of entity `E`, borrowing the session until it runs.
/// Every value is a bound parameter, LIMIT and OFFSET included.
#[must_use = "a query does nothing until all(), first(), one() or count() runs it"]
pub struct Query<'s, E: Entity> {
    session: &'s mut Session,
    filter: Option<Filter<E>>,
    order: Vec<OrderBy<E>>,
    limit: Option<u64>,
    offset: Option<u64>,
    options: Vec<OptionNode>,
    populate_existing: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<'s, E: Entity> Query<'s, E> {
    pub(crate) fn new(session: &'s mut Session) -> Self {
        Query {
            session,
            filter: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            options: Vec::new(),
            populate_existing: false,
            _entity: PhantomData,
        }
    }

    /// A query restricted by a condition the library writes (relation links).
    pub(crate) fn with_condition(session: &'s mut Session, condition: Expr) -> Self {
        Query::new(session).filter(Filter::new(condition))
    }

    /// Overrides the loading strategy of a relation for this query only:
    /// `.options(joined(Author::BOOKS).then(selectin(Book::TAGS)))`. Call it
    /// again for more options.
    pub fn options<T>(mut self, option: LoadOption<E, T>) -> Self {
        self.options.push(option.node);
        self
    }

    /// Reads every row this query loads into new instances that replace
    /// those the session holds (SQLAlchemy's `populate_existing`): the
    /// objects of the queried entity and of every entity its eager
    /// relations and options reach are expired first.
    pub fn populate_existing(mut self) -> Self {
        self.populate_existing = true;
        self
    }

    /// Keeps rows matching `filter`; several calls combine with AND.
    pub fn filter(mut self, filter: Filter<E>) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Adds an ORDER BY term (`Author::NAME`, `Author::NAME.desc()`).
    pub fn order_by(mut self, order: impl Into<OrderBy<E>>) -> Self {
        self.order.push(order.into());
        self
    }

    /// Returns at most `limit` rows.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skips the first `offset` rows.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Appends WHERE, ORDER BY, LIMIT and OFFSET to `sql`.
    fn push_clauses(&self, limit: Option<u64>, sql: &mut String, params: &mut Vec<Value>) {
        if let Some(filter) = &self.filter {
            sql.push_str(" WHERE ");
            filter.expr.render(sql, params);
        }
        for (i, order) in self.order.iter().enumerate() {
            sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
            order.render(None, sql);
        }
        push_limit_offset(limit, self.offset, sql, params);
    }

    /// Refuses a filter SQLite would refuse for its depth, before anything
    /// is sent (and before its SQL is built).
    fn check_filter(&self) -> Result<()> {
        self.filter.as_ref().map_or(Ok(()), |f| f.depth.check())
    }

    fn fetch(self, limit: Option<u64>) -> Result<Vec<Arc<E>>> {
        self.check_filter()?;
        let mut params = Vec::new();
        let mut clauses = String::new();
        self.push_clauses(limit, &mut clauses, &mut params);
        let statement = crate::loader::RootStatement {
            clauses,
            order: self
                .order
                .iter()
                .map(|o| {
                    let mut term = String::new();
                    o.render(Some("t0"), &mut term);
                    term
                })
                .collect(),
        };
        if self.populate_existing {
            self.session
                .expire_reachable(E::META, std::any::TypeId::of::<E>(), &self.options);
        }
        crate::loader::load_roots::<E>(self.session, statement, &params, &self.options)
    }

    /// Every matching object, in the requested order.
    ///
    /// A filter nested deeper than SQLite accepts (an expression tree
    /// taller than its `SQLITE_MAX_EXPR_DEPTH` of 1 000, or SQL whose parse
    /// needs more than its `SQLITE_MAX_PARSER_DEPTH` of 2 500 stack entries)
    /// is [`Error::Misuse`], before any statement is sent; so it is for
    /// [`first`](Query::first), [`one`](Query::one) and
    /// [`count`](Query::count).
    pub fn all(self) -> Result<Vec<Arc<E>>> {
        let limit = self.limit;
        self.fetch(limit)
    }

    /// The first matching object, if any (none under `limit(0)`).
    pub fn first(self) -> Result<Option<Arc<E>>> {
        // One row at most, and no more than the query's own limit.
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        Ok(self.fetch(limit)?.into_iter().next())
    }

    /// Exactly one matching object: [`Error::NotFound`] for none (always
    /// under `limit(0)`), [`Error::MultipleRows`] for more.
    pub fn one(self) -> Result<Arc<E>> {
        // Two rows are enough to tell "one" from "more than one".
        let limit = Some(self.limit.map_or(2, |l| l.min(2)));
        let mut found = self.fetch(limit)?;
        match found.len() {
            0 => Err(Error::NotFound {
                table: E::META.table,
            }),
            1 => Ok(found.remove(0)),
            _ => Err(Error::MultipleRows {
                table: E::META.table,
            }),
        }
    }

    /// The number of matching rows, honouring LIMIT and OFFSET.
    pub fn count(self) -> Result<u64> {
        self.check_filter()?;
        let mut params = Vec::new();
        let sql = if self.limit.is_some() || self.offset.is_some() {
            let mut inner = format!("SELECT 1 FROM {}", quote_ident(E::META.table));
            self.push_clauses(self.limit, &mut inner, &mut params);
            format!("SELECT COUNT(*) FROM ({inner})")
        } else {
            let mut sql = String::from(E::META.sql.count);
            self.push_clauses(None, &mut sql, &mut params);
            sql
        };
        let mut count = 0;
        self.session.stream(&sql, &params, &mut |_, row| {
            count = match row.value(0)? {
                ValueRef::Integer(n) => u64::try_from(n).unwrap_or(0),
                other => {
                    return Err(Error::Decode {
                        table: E::META.table,
                        column: "COUNT(*)",
                        expected: "u64",
                        found: other.storage_class().to_owned(),
                    })
                }
            };
            Ok(())
        })?;
        Ok(count)
    }
}

/// Double-quotes an identifier, doubling embedded quotes (the derive does the
/// same for the SQL it writes at compile time).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Appends `LIMIT ? OFFSET ?` as needed; SQLite needs a LIMIT before any
/// OFFSET, and -1 means no limit.
pub(crate) fn push_limit_offset(
    limit: Option<u64>,
    offset: Option<u64>,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    if limit.is_none() && offset.is_none() {
        return;
    }
    sql.push_str(" LIMIT ?");
    params.push(Value::Integer(limit.map_or(-1, clamp_to_i64)));
    if let Some(offset) = offset {
        sql.push_str(" OFFSET ?");
        params.push(Value::Integer(clamp_to_i64(offset)));
    }
}

fn clamp_to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
