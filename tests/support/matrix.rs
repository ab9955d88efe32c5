//! The strategy matrix: load one relation of 0, 1, 7 and 1200 parents by a
//! strategy, compare the object graph with what `select` gives, and count
//! the statements sent after the parent query.

#![allow(dead_code)]

use eagerly::relation::Loadable;
use eagerly::Handle;
use eagerly::{Entity, Query, Relation, Session, Strategy};

use super::graph::{all_loaded, chunks, distinct_targets, load_graph, Graph, Targets};

/// Parent counts every strategy is checked at; 1200 crosses the default
/// chunk of 500 twice.
pub const SIZES: [u64; 4] = [0, 1, 7, 1200];

/// The default `chunk_size`.
pub const CHUNK: usize = 500;

/// What one strategy did for one parent count.
pub struct Run<P: Entity, T: Entity> {
    pub parents: Vec<Handle<P>>,
    pub graph: Graph<P, T>,
    /// Whether every relation was loaded when the query returned.
    pub loaded_by_query: bool,
    /// Statements after the parent query, the loads on access included.
    pub extra: u64,
}

/// A query's filter and order, applied before `limit(n)`.
pub type Shape<P> = for<'s> fn(Query<P, &'s mut Session>) -> Query<P, &'s mut Session>;

/// Queries `n` parents with `strategy` as a per-query option (`None`: the
/// mapping's default).
pub fn query_parents<P: Entity, T: Entity, F: Loadable<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Option<Strategy>,
    shape: Shape<P>,
    n: u64,
) -> Vec<Handle<P>> {
    try_query_parents(session, relation, strategy, shape, n).expect("parent query")
}

/// [`query_parents`], returning the query's error.
pub fn try_query_parents<P: Entity, T: Entity, F: Loadable<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Option<Strategy>,
    shape: Shape<P>,
    n: u64,
) -> eagerly::Result<Vec<Handle<P>>> {
    let query = shape(session.query::<P>()).limit(n);
    let query = match strategy {
        None => query,
        Some(Strategy::Select) => query.options(eagerly::select(relation)),
        Some(Strategy::Joined) => query.options(eagerly::joined(relation)),
        Some(Strategy::Selectin) => query.options(eagerly::selectin(relation)),
        Some(Strategy::Bulk) => query.options(eagerly::bulk(relation)),
        Some(Strategy::Raise) => query.options(eagerly::raise(relation)),
        Some(Strategy::Noload) => query.options(eagerly::noload(relation)),
        Some(other) => panic!("no option for {other:?}"),
    };
    query.all()
}

/// [`query_parents`], awaited through the async session with
/// `EAGERLY_MODE=async` (support::mode).
fn query_parents_in_mode<P: Entity, T: Entity, F: Loadable<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Option<Strategy>,
    shape: Shape<P>,
    n: u64,
) -> Vec<Handle<P>> {
    #[cfg(feature = "async")]
    if super::mode::is_async() {
        return super::mode::through_async(session, async |session| {
            let query = session.run(move |s| query_parents(s, relation, strategy, shape, n));
            query.await.expect("parent query")
        });
    }
    query_parents(session, relation, strategy, shape, n)
}

/// Runs `n` parents through `strategy` on a fresh identity map: the query,
/// then `session.load` on every parent, then the graph read without a session.
pub fn run<P: Entity, T: Entity, F: Loadable<T> + Targets<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Option<Strategy>,
    shape: Shape<P>,
    n: u64,
) -> Run<P, T> {
    session.expunge_all();
    session.reset_statements();
    let parents = query_parents_in_mode(session, relation, strategy, shape, n);
    let loaded_by_query = all_loaded(relation, &parents);
    let graph = load_graph(session, relation, &parents);
    let extra = session.statement_count() - 1;
    Run {
        parents,
        graph,
        loaded_by_query,
        extra,
    }
}

/// Extra statements `strategy` sends for `units` parents (or, for a
/// many-to-one, distinct keys missing from the identity map), with an
/// explicit `chunk_size` of `chunk` (`None`: the default, whose key lists
/// are chunked by 500 on SQLite and one array on PostgreSQL, unless the
/// key has several `columns`).
pub fn expected_extra(
    strategy: Strategy,
    units: usize,
    chunk: Option<usize>,
    columns: usize,
) -> u64 {
    match strategy {
        Strategy::Select => units as u64,
        Strategy::Selectin | Strategy::Bulk => match chunk {
            Some(chunk) => chunks(units, chunk),
            None => super::engine::in_lists_of(units, columns),
        },
        Strategy::Joined
        | Strategy::Raise
        | Strategy::Noload
        | Strategy::Dynamic
        | Strategy::RaiseOnSql => 0,
    }
}

/// Units of a collection or one-to-one: the parents.
pub fn per_parent<P: Entity, T: Entity>(run: &Run<P, T>) -> usize {
    run.parents.len()
}

/// Units of a many-to-one whose targets are not in the map: distinct keys.
pub fn per_key<P: Entity, T: Entity>(run: &Run<P, T>) -> usize {
    distinct_targets(&run.graph).len()
}

/// Checks `strategy` (as an option, or the mapping's default when
/// `via_option` is false, with `strategy` naming that default) against a
/// `select` baseline (the `select` option on the same relation) for every
/// size in [`SIZES`]: the same parents, the same graph, and exactly the
/// expected extra statements.
pub fn check<P: Entity, T: Entity, F: Loadable<T> + Targets<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Strategy,
    via_option: bool,
    shape: Shape<P>,
    units: fn(&Run<P, T>) -> usize,
) {
    check_with(session, relation, strategy, via_option, shape, units, None)
}

/// [`check`] for a relation whose `chunk_size` is set to `chunk` (which
/// chunks on both engines).
pub fn check_chunked<P: Entity, T: Entity, F: Loadable<T> + Targets<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Strategy,
    via_option: bool,
    shape: Shape<P>,
    units: fn(&Run<P, T>) -> usize,
    chunk: usize,
) {
    check_with(
        session,
        relation,
        strategy,
        via_option,
        shape,
        units,
        Some(chunk),
    )
}

fn check_with<P: Entity, T: Entity, F: Loadable<T> + Targets<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    strategy: Strategy,
    via_option: bool,
    shape: Shape<P>,
    units: fn(&Run<P, T>) -> usize,
    chunk: Option<usize>,
) {
    for n in SIZES {
        let expected = run(session, relation, Some(Strategy::Select), shape, n);
        let expected_keys: Vec<P::Key> = expected.parents.iter().map(|p| p.key()).collect();
        let expected_graph = expected.graph.clone();
        let expected_units = units(&expected);
        assert_eq!(
            expected.extra, expected_units as u64,
            "{relation:?} by select, {n} parents"
        );
        drop(expected);

        let option = via_option.then_some(strategy);
        let actual = run(session, relation, option, shape, n);
        let what = format!(
            "{relation:?} by {strategy:?}{}, {n} parents",
            if via_option { " option" } else { " mapping" }
        );
        let keys: Vec<P::Key> = actual.parents.iter().map(|p| p.key()).collect();
        assert_eq!(keys, expected_keys, "{what}: parents");
        assert_eq!(actual.graph, expected_graph, "{what}: graph");
        assert_eq!(
            actual.extra,
            expected_extra(
                strategy,
                expected_units,
                chunk,
                relation.meta().foreign_key().len()
            ),
            "{what}: extra statements"
        );
        if !actual.parents.is_empty() {
            assert_eq!(
                actual.loaded_by_query,
                strategy.is_eager(),
                "{what}: loaded by the query"
            );
        }
    }
}

/// Units of a many-to-one whose targets may be among the parents (a
/// self-referential parent): distinct keys not among the parents.
pub fn per_missing_key<P: Entity, T: Entity<Key = P::Key>>(run: &Run<P, T>) -> usize {
    let parents: std::collections::HashSet<P::Key> = run.parents.iter().map(|p| p.key()).collect();
    distinct_targets(&run.graph)
        .into_iter()
        .filter(|k| !parents.contains(k))
        .count()
}

/// The library with 1200 authors (1800 books) and a category tree of 1464
/// categories (root, then 11 children per node, three levels down).
pub fn big_library() -> Session {
    let mut session = super::library::library(1200);
    super::library::category_tree(&mut session, 3, 11);
    session
}

/// The relation kinds of the library fixture.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `Author.books`.
    OneToMany,
    /// `Author.bio` (absent for odd authors).
    OneToOne,
    /// `Book.author`.
    ManyToOne,
    /// `Book.editor` (NULL for most books).
    OptionalManyToOne,
    /// `Book.tags`.
    ManyToMany,
    /// `Tag.books`, the other side of the association.
    ManyToManyReverse,
    /// `Category.children`.
    SelfChildren,
    /// `Category.parent`, parents queried newest first so their parents are
    /// mostly not loaded.
    SelfParent,
}

/// Checks one relation kind of the `library` mapping (all `select`) with
/// `strategy` as a per-query option, for every size.
pub fn library_kind(kind: Kind, strategy: Strategy) {
    use super::library::*;
    let mut session = match kind {
        Kind::SelfChildren | Kind::SelfParent => big_library(),
        _ => library(1200),
    };
    let s = &mut session;
    match kind {
        Kind::OneToMany => check(
            s,
            Author::BOOKS,
            strategy,
            true,
            |q| q.order_by(Author::ID),
            per_parent,
        ),
        Kind::OneToOne => check(
            s,
            Author::BIO,
            strategy,
            true,
            |q| q.order_by(Author::ID),
            per_parent,
        ),
        Kind::ManyToOne => check(
            s,
            Book::AUTHOR,
            strategy,
            true,
            |q| q.order_by(Book::ID),
            per_key,
        ),
        Kind::OptionalManyToOne => check(
            s,
            Book::EDITOR,
            strategy,
            true,
            |q| q.order_by(Book::ID),
            per_key,
        ),
        Kind::ManyToMany => check(
            s,
            Book::TAGS,
            strategy,
            true,
            |q| q.order_by(Book::ID),
            per_parent,
        ),
        Kind::ManyToManyReverse => check(
            s,
            Tag::BOOKS,
            strategy,
            true,
            |q| q.order_by(Tag::ID),
            per_parent,
        ),
        Kind::SelfChildren => check(
            s,
            Category::CHILDREN,
            strategy,
            true,
            |q| q.order_by(Category::ID),
            per_parent,
        ),
        Kind::SelfParent => check(
            s,
            Category::PARENT,
            strategy,
            true,
            |q| q.order_by(Category::ID.desc()),
            per_missing_key,
        ),
    }
}

/// Checks every kind of a `single_relation_mappings!` module whose mapping
/// default is `strategy`, for every size.
#[allow(unused_macros)]
macro_rules! mapped_kinds {
    ($m:ident, $strategy:expr) => {{
        use crate::support::matrix::{big_library, check, per_key, per_missing_key, per_parent};
        use $m::*;
        let strategy = $strategy;
        let s = &mut big_library();
        check(
            s,
            AuthorBooks::BOOKS,
            strategy,
            false,
            |q| q.order_by(AuthorBooks::ID),
            per_parent,
        );
        check(
            s,
            AuthorBio::BIO,
            strategy,
            false,
            |q| q.order_by(AuthorBio::ID),
            per_parent,
        );
        check(
            s,
            BookAuthor::AUTHOR,
            strategy,
            false,
            |q| q.order_by(BookAuthor::ID),
            per_key,
        );
        check(
            s,
            BookEditor::EDITOR,
            strategy,
            false,
            |q| q.order_by(BookEditor::ID),
            per_key,
        );
        check(
            s,
            BookTags::TAGS,
            strategy,
            false,
            |q| q.order_by(BookTags::ID),
            per_parent,
        );
        check(
            s,
            TagBooks::BOOKS,
            strategy,
            false,
            |q| q.order_by(TagBooks::ID),
            per_parent,
        );
        check(
            s,
            CategoryChildren::CHILDREN,
            strategy,
            false,
            |q| q.order_by(CategoryChildren::ID),
            per_parent,
        );
        check(
            s,
            CategoryParent::PARENT,
            strategy,
            false,
            |q| q.order_by(CategoryParent::ID.desc()),
            per_missing_key,
        );
    }};
}

#[allow(unused_imports)]
pub(crate) use mapped_kinds;
