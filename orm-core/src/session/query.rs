//! Running queries: a [`Query`] value runs with `query.all(&mut session)`;
//! one started with `session.query::<E>()` carries its session and runs
//! with `.all()`. Both go through the same code.

use crate::Handle;

use super::Session;
use crate::loader::Explain;
use crate::query::Query;
use crate::{Entity, Error, Result, ValueRef};

impl Session {
    /// Starts a query for objects of `E`, run on this session by
    /// [`all`](Query::all), [`first`](Query::first), [`one`](Query::one) or
    /// [`count`](Query::count).
    pub fn query<E: Entity>(&mut self) -> Query<E, &mut Session> {
        Query::new().run_by(self)
    }

    /// The objects of `query` under `limit`, with their eager relations.
    fn fetch<E: Entity>(&mut self, query: &Query<E>, limit: Option<u64>) -> Result<Vec<Handle<E>>> {
        query.check()?;
        let (statement, params) = query.root_statement(self.engine.dialect, limit);
        if query.populate_existing {
            self.expire_reachable(E::META, std::any::TypeId::of::<E>(), &query.options);
        }
        crate::loader::load_roots::<E>(&mut self.engine, statement, params, &query.options)
    }
}

impl<E: Entity> Query<E> {
    /// Every matching object, in the requested order.
    ///
    /// A filter nested deeper than SQLite accepts (an expression tree
    /// taller than its `SQLITE_MAX_EXPR_DEPTH` of 1 000, or SQL whose parse
    /// needs more than its `SQLITE_MAX_PARSER_DEPTH` of 2 500 stack entries)
    /// is [`Error::Misuse`], before any statement is sent; so it is for
    /// [`first`](Query::first), [`one`](Query::one) and
    /// [`count`](Query::count).
    pub fn all(self, session: &mut Session) -> Result<Vec<Handle<E>>> {
        let limit = self.limit_value();
        session.fetch(&self, limit)
    }

    /// The first matching object, if any (none under `limit(0)`).
    pub fn first(self, session: &mut Session) -> Result<Option<Handle<E>>> {
        // One row at most, and no more than the query's own limit.
        let limit = Some(self.limit_value().map_or(1, |l| l.min(1)));
        Ok(session.fetch(&self, limit)?.into_iter().next())
    }

    /// Exactly one matching object: [`Error::NotFound`] for none (always
    /// under `limit(0)`), [`Error::MultipleRows`] for more.
    pub fn one(self, session: &mut Session) -> Result<Handle<E>> {
        // Two rows are enough to tell "one" from "more than one".
        let limit = Some(self.limit_value().map_or(2, |l| l.min(2)));
        let mut found = session.fetch(&self, limit)?;
        match found.len() {
            0 => Err(Error::NotFound {
                table: E::META.table(),
            }),
            1 => Ok(found.remove(0)),
            _ => Err(Error::MultipleRows {
                table: E::META.table(),
            }),
        }
    }

    /// What [`all`](Query#method.all) would send on `session`, in order,
    /// sending nothing and leaving the identity map alone (see
    /// [`explain_in`](Query::explain_in)):
    /// `Query::<Author>::new().options(selectin(Author::BOOKS)).explain(&session)?`.
    pub fn explain(&self, session: &Session) -> Result<Explain> {
        self.explain_in(session.engine.dialect)
    }

    /// The number of matching rows, honouring LIMIT and OFFSET.
    pub fn count(self, session: &mut Session) -> Result<u64> {
        self.check()?;
        let (sql, params) = self.count_statement(session.engine.dialect);
        let mut count = 0;
        session.engine.stream(&sql, &params, &mut |_, row| {
            count = match row.value(0)? {
                ValueRef::Integer(n) => u64::try_from(n).unwrap_or(0),
                other => {
                    return Err(Error::Decode {
                        table: E::META.table(),
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

impl<E: Entity> Query<E, &mut Session> {
    /// Every matching object, in the requested order (see
    /// [`Query::all`](Query#method.all-1) for the limits on filters).
    pub fn all(self) -> Result<Vec<Handle<E>>> {
        let (session, query) = self.split();
        query.all(session)
    }

    /// The first matching object, if any (none under `limit(0)`).
    pub fn first(self) -> Result<Option<Handle<E>>> {
        let (session, query) = self.split();
        query.first(session)
    }

    /// Exactly one matching object: [`Error::NotFound`] for none (always
    /// under `limit(0)`), [`Error::MultipleRows`] for more.
    pub fn one(self) -> Result<Handle<E>> {
        let (session, query) = self.split();
        query.one(session)
    }

    /// What [`all`](Query#method.all-1) would send, in order, sending
    /// nothing and leaving the identity map alone:
    /// `session.query::<Author>().options(selectin(Author::BOOKS)).explain()?`
    /// lists the authors' statement, then the books' `IN` statements (see
    /// [`explain_in`](Query::explain_in)).
    pub fn explain(&self) -> Result<Explain> {
        self.explain_in(self.runner.engine.dialect)
    }

    /// The number of matching rows, honouring LIMIT and OFFSET.
    pub fn count(self) -> Result<u64> {
        let (session, query) = self.split();
        query.count(session)
    }
}
