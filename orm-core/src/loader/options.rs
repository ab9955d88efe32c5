//! Per-query loader options: `joined(Author::BOOKS).then(selectin(Book::TAGS))`.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::filter::{Expr, Filter};

use crate::options::{OptionNode, Recursion, WILDCARD};
use crate::relation::{Loadable, Relation};
use crate::schema::Strategy;
use crate::Entity;

/// A loader option rooted at entity `P` whose first step reaches `T`.
/// `.then(...)` continues from `T`, so a path that does not connect does not
/// compile.
#[must_use = "pass the option to Query::options"]
pub struct LoadOption<P, T> {
    pub(crate) node: OptionNode,
    _path: PhantomData<fn() -> (P, T)>,
}

impl<P, T> std::fmt::Debug for LoadOption<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

impl<P, T> LoadOption<P, T> {
    fn new(relation: &'static str, strategy: Option<Strategy>) -> Self {
        LoadOption {
            node: OptionNode::new(relation, strategy),
            _path: PhantomData,
        }
    }

    /// Loads at most `limit` targets per parent, the first by the
    /// relation's `order_by` (else by the target's key), in one statement
    /// per chunk of parents as plain `selectin` (a `ROW_NUMBER()` window
    /// partitioned by parent). Only on a `selectin` option of a collection:
    /// otherwise the query is [`Error::Misuse`](crate::Error::Misuse)
    /// before anything is sent. The collection reads as loaded and
    /// [`is_partial`](crate::Many::is_partial); a later query loading the
    /// whole relation replaces it, a narrowed load (a limit or a filter)
    /// replaces nothing already loaded, and a write that touches it
    /// expires it.
    pub fn limit_per_parent(mut self, limit: u32) -> Self {
        self.node.narrowing.per_parent = Some(limit);
        self
    }

    /// Loads only the targets `filter` matches, for this query (SQLAlchemy's
    /// `selectinload(R.and_(...))`): in the `IN` statements of `selectin`,
    /// in the join's `ON` clause of `joined` (parents without a match keep
    /// an empty collection), in the statement of a lazy `select`. Calling
    /// it again adds a condition (AND). Only on a collection, with one of
    /// those three strategies: otherwise the query is
    /// [`Error::Misuse`](crate::Error::Misuse) before anything is sent. The
    /// collection reads as loaded and [`is_partial`](crate::Many::is_partial):
    /// a later query loading the whole relation replaces it, a narrowed
    /// load replaces nothing already loaded, and a write that touches it
    /// expires it. `session.load` reads it as it is.
    pub fn filter(mut self, filter: Filter<T>) -> Self {
        let criteria = match self.node.narrowing.criteria.take() {
            None => filter.expr,
            Some(before) => Expr::And(vec![Expr::clone(&before), filter.expr]),
        };
        self.node.narrowing.criteria = Some(Arc::new(criteria));
        self
    }

    /// Adds an option for the targets of this step; call several times for
    /// several relations, nest for deeper paths.
    pub fn then<U>(mut self, next: LoadOption<T, U>) -> Self {
        self.node.children.push(next.node);
        self
    }
}

macro_rules! option_fns {
    ($($(#[$doc:meta])* $name:ident => $strategy:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// Takes a `One` or `Many` relation: a `Dynamic` one is a query and
        /// does not compile here.
        pub fn $name<P: Entity, T: Entity, F: Loadable<T>>(relation: Relation<P, T, F>) -> LoadOption<P, T> {
            LoadOption::new(relation.meta.name, Some(Strategy::$strategy))
        }
    )*};
}

option_fns! {
    /// Load the relation in the parent statement with a LEFT OUTER JOIN.
    joined => Joined;
    /// Load the relation right after the parents with `IN` statements.
    selectin => Selectin;
    /// Load the relation on first access, one statement per object.
    select => Select;
    /// Load the relation on first access for every similar object in the session.
    bulk => Bulk;
    /// Refuse access to the relation with an error naming it.
    raise => Raise;
    /// Never load the relation; it reads as empty.
    noload => Noload;
    /// Load the relation on access only when that sends no statement (a
    /// many-to-one found in the identity map); refuse a load that would.
    raise_on_sql => RaiseOnSql;
}

/// `selectin` down a self-referential relation, level after level: each
/// level's targets load the same relation in turn, for `max_depth` levels
/// in all (`Some(1)` is plain `selectin`), or with `None` until a level
/// finds no rows (SQLAlchemy's `selectinload(.., recursion_depth=n)`, `-1`
/// for `None`). Each level is one statement per chunk of parents, as
/// `selectin` is. A relation loaded before is not loaded again, and the
/// recursion goes on only through the levels this load loads, so data that
/// loops ends it. `.then(...)` adds options for every level's targets.
/// `selectin_recursive(Node::CHILDREN, None)` loads a whole tree below
/// the query's nodes; the derive's reference has a compiling example.
pub fn selectin_recursive<P: Entity, F: Loadable<P>>(
    relation: Relation<P, P, F>,
    max_depth: Option<u32>,
) -> LoadOption<P, P> {
    let mut option = LoadOption::new(relation.meta.name, Some(Strategy::Selectin));
    option.node.recursion = match max_depth {
        None => Recursion::UntilEmpty,
        Some(levels) => Recursion::Levels(levels.saturating_sub(1)),
    };
    option
}

/// A step that keeps the mapping's strategy for the relation and leads to
/// options for its targets (SQLAlchemy's `defaultload`):
/// `defaultload(Author::BOOKS).then(selectin(Book::TAGS))` loads books as
/// mapped, and their tags by selectin whenever the books load.
pub fn defaultload<P: Entity, T: Entity, F: Loadable<T>>(
    relation: Relation<P, T, F>,
) -> LoadOption<P, T> {
    LoadOption::new(relation.meta.name, None)
}

/// The target of a wildcard option: no relation continues from it, so
/// `.then(...)` has nothing to take.
#[derive(Debug)]
pub enum AllRelations {}

/// `strategy` for every relation of the entity at this step that no other
/// option of the step names (SQLAlchemy's `'*'`: `raiseload('*')`,
/// `lazyload('*')`, `selectinload('*')`). It applies at its own step only,
/// not below it, and leaves `dynamic` relations alone (they are queries);
/// `Strategy::Dynamic` here changes nothing. On the query's entity:
/// `.options(all_relations(Strategy::Raise))`; below a step:
/// `.options(selectin(Author::BOOKS).then(all_relations(Strategy::Noload)))`.
pub fn all_relations<P: Entity>(strategy: Strategy) -> LoadOption<P, AllRelations> {
    let strategy = (strategy != Strategy::Dynamic).then_some(strategy);
    LoadOption::new(WILDCARD, strategy)
}
