//! Typed queries as values: `Query::<Author>::new().filter(...).order_by(...)`
//! describes the rows and the loader options; running it takes a session
//! (`query.all(&mut session)`, or `session.query::<Author>()...all()`,
//! whose query carries the session it runs on).

// The loaders' plans driven by hand, from queries: here, as the loaders
// do not depend on queries.
#[cfg(test)]
mod plan_tests;

use std::marker::PhantomData;

use crate::changes::Changes;
use crate::filter::{Expr, Filter, OrderBy};
use crate::loader::{Entity, Explain, LoadOption, RootStatement};
use crate::options::{check_options, OptionNode};
use crate::sql::{ClauseOptions, Dialect, EntityStatements, Sql};
use crate::{Error, Result, Value};

/// A query for objects of entity `E`: filters, order, LIMIT/OFFSET and
/// loader options, every value a bound parameter (LIMIT and OFFSET
/// included). `S` is what runs it: `()` for a plain value, run with
/// `query.all(&mut session)`; `&mut Session` for one started with
/// `session.query::<E>()`, run with `.all()`. Building it sends nothing.
#[must_use = "a query does nothing until all(), first(), one() or count() runs it"]
pub struct Query<E: Entity, S = ()> {
    pub(crate) runner: S,
    filter: Option<Filter<E>>,
    order: Vec<OrderBy<E>>,
    limit: Option<u64>,
    offset: Option<u64>,
    pub(crate) options: Vec<OptionNode>,
    pub(crate) populate_existing: bool,
    /// Why the query must not run, found when it was built (a `dynamic`
    /// relation of another session's object); running returns it.
    refused: Option<Error>,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> Query<E> {
    /// A query for every object of `E`, to narrow down.
    pub fn new() -> Self {
        Query {
            runner: (),
            filter: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            options: Vec::new(),
            populate_existing: false,
            refused: None,
            _entity: PhantomData,
        }
    }
}

impl<E: Entity> Default for Query<E> {
    fn default() -> Self {
        Query::new()
    }
}

impl<E: Entity, S> std::fmt::Debug for Query<E, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("entity", &E::META.name())
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .field("options", &self.options)
            .finish()
    }
}

impl<E: Entity, S> Query<E, S> {
    /// The same query, run by `runner`.
    pub(crate) fn run_by<R>(self, runner: R) -> Query<E, R> {
        Query {
            runner,
            filter: self.filter,
            order: self.order,
            limit: self.limit,
            offset: self.offset,
            options: self.options,
            populate_existing: self.populate_existing,
            refused: self.refused,
            _entity: PhantomData,
        }
    }

    /// What runs the query, and the query as a plain value.
    pub(crate) fn split(self) -> (S, Query<E>) {
        let mut query = Query::new();
        query.filter = self.filter;
        query.order = self.order;
        query.limit = self.limit;
        query.offset = self.offset;
        query.options = self.options;
        query.populate_existing = self.populate_existing;
        query.refused = self.refused;
        (self.runner, query)
    }

    /// Overrides the loading strategy of a relation for this query only:
    /// `.options(joined(Author::BOOKS).then(selectin(Book::TAGS)))`. Call it
    /// again for more options.
    pub fn options<T>(mut self, option: LoadOption<E, T>) -> Self {
        if let Err(why) = check_options(E::META, std::slice::from_ref(&option.node)) {
            self.refused.get_or_insert(Error::Misuse(why));
        }
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

    /// A query restricted by a condition the library writes (relation links).
    pub(crate) fn with_condition(self, condition: Expr) -> Self {
        self.filter(Filter::new(condition))
    }

    /// Adds an ORDER BY term (`Author::NAME`, `Author::NAME.desc()`).
    pub fn order_by(mut self, order: impl Into<OrderBy<E>>) -> Self {
        self.order.push(order.into());
        self
    }

    /// Drops every ORDER BY term so far, those a `dynamic` relation's
    /// `order_by` put first included (SQLAlchemy's `order_by(None)`).
    pub fn unordered(mut self) -> Self {
        self.order.clear();
        self
    }

    /// Orders by a relation's `order_by` terms, before any the caller adds.
    pub(crate) fn with_relation_order(mut self, terms: &'static [(&'static str, bool)]) -> Self {
        self.order.extend(
            terms
                .iter()
                .map(|&(column, descending)| OrderBy::new(column, descending)),
        );
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

    /// The query's own LIMIT.
    pub(crate) fn limit_value(&self) -> Option<u64> {
        self.limit
    }

    /// A query that returns `error` when it runs, whatever is added to it.
    pub(crate) fn refused_with(mut self, error: Error) -> Self {
        self.refused.get_or_insert(error);
        self
    }

    /// Refuses, before anything is sent (and before its SQL is built), a
    /// query refused when it was built, and a filter SQLite would refuse
    /// for its depth.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(error) = &self.refused {
            return Err(error.clone());
        }
        self.filter.as_ref().map_or(Ok(()), |f| f.depth.check())
    }

    fn order_terms(&self) -> Vec<(&'static str, bool)> {
        self.order
            .iter()
            .map(|o| (o.column, o.descending))
            .collect()
    }

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

    /// The statement of the root objects under `limit` (the query's own, or
    /// a tighter one for `first` and `one`), with its parameters.
    pub(crate) fn root_statement(
        &self,
        dialect: &'static dyn Dialect,
        limit: Option<u64>,
    ) -> (RootStatement, Vec<Value>) {
        let order = self.order_terms();
        let mut params = Vec::new();
        let mut clauses = Sql::new(dialect);
        self.clauses(&order, limit).push(&mut clauses, &mut params);
        let statement = RootStatement {
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
        (statement, params)
    }

    /// What [`all`](Query#method.all) would send for this query in
    /// `dialect`, in order, without sending anything: the root statement
    /// (its SQL and values), then each relation its load plan reaches, with
    /// the SQL of its statements and how many it costs, and the relations
    /// left to load on access. [`Explain`] prints as a numbered list. A
    /// query that [`all`](Query#method.all) would refuse before sending is
    /// the same error here. On a session: [`explain`](Query#method.explain).
    pub fn explain_in(&self, dialect: &'static dyn Dialect) -> Result<Explain> {
        self.check()?;
        let (statement, params) = self.root_statement(dialect, self.limit);
        Ok(crate::loader::explain_root::<E>(
            dialect,
            &statement,
            params,
            &self.options,
        ))
    }

    /// `SELECT COUNT(*)` of the matching rows, honouring LIMIT and OFFSET.
    pub(crate) fn count_statement(&self, dialect: &'static dyn Dialect) -> (String, Vec<Value>) {
        let statements = EntityStatements::of(E::META, dialect);
        let order = self.order_terms();
        let mut params = Vec::new();
        let sql = if self.limit.is_some() || self.offset.is_some() {
            let mut inner = Sql::new(dialect);
            inner.push(&statements.select_one);
            self.clauses(&order, self.limit)
                .push(&mut inner, &mut params);
            // PostgreSQL before 16 wants every subquery in FROM named.
            format!("SELECT COUNT(*) FROM ({}) AS counted", inner.as_str())
        } else {
            // The order cannot change a count, and PostgreSQL refuses
            // ORDER BY beside an aggregate.
            let mut sql = Sql::new(dialect);
            sql.push(&statements.count);
            self.clauses(&[], None).push(&mut sql, &mut params);
            sql.finish()
        };
        (sql, params)
    }

    /// Refuses, before anything is sent, a query that cannot describe a
    /// set-based write (`what`): one refused when built, a filter too deep,
    /// and ORDER BY, LIMIT, OFFSET or loader options, which neither
    /// PostgreSQL's UPDATE/DELETE nor SQLite's default build accept (and
    /// which would make "which rows" depend on an order).
    fn check_set_write(&self, what: &str) -> Result<()> {
        self.check()?;
        let refused = if !self.order.is_empty() {
            Some("order_by (call unordered() to drop a relation's order)")
        } else if self.limit.is_some() {
            Some("limit")
        } else if self.offset.is_some() {
            Some("offset")
        } else if !self.options.is_empty() {
            Some("loader options")
        } else {
            None
        };
        match refused {
            Some(part) => Err(Error::Misuse(format!(
                "{what} of {} takes filters only, but the query has {part}: \
                 a set-based write changes every row its filters match",
                E::META.name()
            ))),
            None => Ok(()),
        }
    }

    /// `UPDATE <table> SET <changes> WHERE <filters>` with its parameters
    /// (the SET values first), or [`Error::Misuse`] for a query or a
    /// changeset a set-based update refuses.
    pub(crate) fn update_statement(
        &self,
        dialect: &'static dyn Dialect,
        changes: &Changes<E>,
    ) -> Result<(String, Vec<Value>)> {
        self.check_set_write("query.update")?;
        changes.check(E::META, "query.update")?;
        let mut params: Vec<Value> = changes.values().cloned().collect();
        let sql = crate::sql::update_where(
            E::META,
            dialect,
            &changes.names(),
            self.filter.as_ref().map(|f| &f.expr),
            &mut params,
        );
        Ok((sql, params))
    }

    /// `DELETE FROM <table> WHERE <filters>` with its parameters, or
    /// [`Error::Misuse`] for a query a set-based delete refuses.
    pub(crate) fn delete_statement(
        &self,
        dialect: &'static dyn Dialect,
    ) -> Result<(String, Vec<Value>)> {
        self.check_set_write("query.delete")?;
        let mut params = Vec::new();
        let sql = crate::sql::delete_where(
            E::META,
            dialect,
            self.filter.as_ref().map(|f| &f.expr),
            &mut params,
        );
        Ok((sql, params))
    }
}
