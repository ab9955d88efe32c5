//! Typed queries: `session.query::<Author>().filter(...).order_by(...).all()`.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::filter::{Expr, Filter, OrderBy};
use crate::sql::{ClauseOptions, EntityStatements, Sql};

use crate::loader::{LoadOption, OptionNode};
use crate::{Entity, Error, Result, Session, ValueRef};

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

    /// WHERE, ORDER BY, LIMIT and OFFSET, as `sql` renders them.
    fn clauses<'a>(
        &'a self,
        order: &'a [(&'static str, bool)],
        limit: Option<u64>,
    ) -> ClauseOptions<'a> {
        ClauseOptions {
            filter: self.filter.as_ref().map(|f| &f.expr),
            order,
            limit,
            offset: self.offset,
        }
    }

    fn order_terms(&self) -> Vec<(&'static str, bool)> {
        self.order
            .iter()
            .map(|o| (o.column, o.descending))
            .collect()
    }

    /// Refuses a filter SQLite would refuse for its depth, before anything
    /// is sent (and before its SQL is built).
    fn check_filter(&self) -> Result<()> {
        self.filter.as_ref().map_or(Ok(()), |f| f.depth.check())
    }

    fn fetch(self, limit: Option<u64>) -> Result<Vec<Arc<E>>> {
        self.check_filter()?;
        let dialect = self.session.dialect();
        let order = self.order_terms();
        let mut params = Vec::new();
        let mut clauses = Sql::new(dialect);
        self.clauses(&order, limit).push(&mut clauses, &mut params);
        let statement = crate::loader::RootStatement {
            clauses: clauses.finish(),
            order: order
                .iter()
                .map(|&(column, descending)| {
                    let mut term = Sql::new(dialect);
                    crate::sql::render_order(&mut term, "t0", column, descending);
                    term.finish()
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
        let dialect = self.session.dialect();
        let statements = EntityStatements::of(E::META, dialect);
        let order = self.order_terms();
        let mut params = Vec::new();
        let sql = if self.limit.is_some() || self.offset.is_some() {
            let mut inner = Sql::new(dialect);
            inner.push(&statements.select_one);
            self.clauses(&order, self.limit)
                .push(&mut inner, &mut params);
            format!("SELECT COUNT(*) FROM ({})", inner.as_str())
        } else {
            let mut sql = Sql::new(dialect);
            sql.push(&statements.count);
            self.clauses(&order, None).push(&mut sql, &mut params);
            sql.finish()
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
