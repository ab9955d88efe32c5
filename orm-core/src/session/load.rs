//! Loading through the session: relations on access, the N+1 guard, and
//! `dynamic` relations as queries.

use super::Session;
use crate::engine::{LazyLoads, NPlusOneGuard};
use crate::query::Query;
use crate::relation::{Dynamic, Loadable, Relation};
use crate::{Entity, Result};

impl Session {
    /// Sets the N+1 guard (by default it warns at 20 repeated loads).
    pub fn set_n_plus_one_guard(&mut self, guard: NPlusOneGuard) {
        self.engine.n_plus_one.guard = guard;
    }

    /// Forgets the lazy loads counted by the N+1 guard (and reported by
    /// [`lazy_loads`](Session::lazy_loads)).
    pub fn reset_n_plus_one(&mut self) {
        self.engine.n_plus_one.reset();
    }

    /// The relations loaded lazily one object at a time more than once
    /// since the session opened (or [`reset_n_plus_one`](Session::reset_n_plus_one)),
    /// most statements first, each with the strategy that would have
    /// loaded it for every object in one statement. Counted from the
    /// statements lazy loads really sent, whatever the guard's setting: a
    /// load served by the identity map, an eager load and `bulk` count
    /// nothing.
    pub fn lazy_loads(&self) -> Vec<LazyLoads> {
        self.engine.n_plus_one.report()
    }

    /// Loads `relation` of `parent` if it is not loaded yet, by the strategy
    /// in force for that object, and returns it: a shared `List<T>`
    /// for a `Many`, `Option<Handle<T>>` for a `One`.
    ///
    /// - loaded already: no SQL;
    /// - `select` (and an eager relation read before it was loaded): one
    ///   statement for this object; a many-to-one whose target is in the
    ///   identity map costs none;
    /// - `bulk`: one `IN` statement per chunk for every object of this type in
    ///   the session whose relation is not loaded, this one included;
    /// - `raise`: [`Error::RelationRefused`](crate::Error::RelationRefused); `noload`: empty, no SQL.
    ///
    /// A `Dynamic` relation does not compile here: it is a query, run with
    /// [`Session::dynamic`].
    pub fn load<P: Entity, T: Entity, F: Loadable<T>>(
        &mut self,
        relation: Relation<P, T, F>,
        parent: &P,
    ) -> Result<F::Loaded> {
        crate::loader::load(&mut self.engine, relation, parent)
    }

    /// The query behind a `dynamic` relation of `parent`: its targets, to
    /// filter, order, limit, count or load like any query. The relation's
    /// `order_by` orders it first, then any `order_by` the query adds
    /// (`.unordered()` drops both). A parent another
    /// session loaded is refused with [`Error::ForeignObject`](crate::Error::ForeignObject) when the
    /// query runs (before anything is sent); a value built by hand passes,
    /// as it does for `update` and `delete`: its key is all the query reads.
    pub fn dynamic<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, Dynamic<T>>,
        parent: &P,
    ) -> Query<T, &mut Session> {
        dynamic_query(self.engine.id, relation, parent).run_by(self)
    }
}

/// The query behind a `dynamic` relation of `parent` for session number
/// `session`: refused when run if another session loaded `parent`.
pub(crate) fn dynamic_query<P: Entity, T: Entity>(
    session: u32,
    relation: Relation<P, T, Dynamic<T>>,
    parent: &P,
) -> Query<T> {
    let query = Query::new()
        .with_condition(crate::loader::dynamic_condition(relation, parent))
        .with_relation_order(relation.meta().order_by());
    match crate::engine::check_owner(session, parent, true) {
        Ok(()) => query,
        Err(error) => query.refused_with(error),
    }
}
