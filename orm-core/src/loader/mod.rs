//! Relationship loaders, one strategy per file, each a plan (`plan`): it
//! yields the statements it needs and takes their rows back, with no I/O
//! of its own; the engine's driver runs it. Shared here: the erased view of
//! a relation the plans walk, and the join tree of `joined`.

mod dynamic;
mod explain;
mod joined;
mod lazy;
mod options;
mod plan;
mod save;
mod selectin;

use crate::Handle;
use std::borrow::Cow;

pub(crate) use dynamic::condition as dynamic_condition;
pub(crate) use explain::explain_root;
pub use explain::{Explain, PlannedStep, StepAction, StepCost};
#[doc(hidden)]
pub use explain::{Place, Sketch};
#[cfg(feature = "async")]
pub(crate) use lazy::answer_without_session;
pub(crate) use lazy::load;
pub use options::{
    all_relations, bulk, defaultload, joined, noload, raise, raise_on_sql, select, selectin,
    selectin_recursive, AllRelations, LoadOption,
};
pub(crate) use plan::{cascades, LoadPlan, Pending, RootPlan, RootStatement, RowObjects};
pub use plan::{Cascade, Parents, Step};
pub(crate) use save::{GraphWrite, SavePlan};

use crate::engine::{Engine, IdentityMap, LazyOptions, PlanContext};
use crate::options::{find_option, Narrowing, OptionNode};
use crate::relation::FILL;
use crate::relation::{Relation, RelationField};
use crate::schema::{Record, RelationCell, RelationMeta, Strategy};
use crate::sql::JoinBuilder;
use crate::{Result, Row, Value};

/// A struct mapped to a table whose relations load: what every query,
/// load and write of a session takes. Implemented by `#[derive(Entity)]`,
/// together with [`Record`] (key, columns, decoding), which it extends with
/// the loaders of its relations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity",
    label = "not an entity",
    note = "an entity is a struct with #[derive(Entity)]; a reference to one, or the handle `Handle<E>` a session returns, is not itself an entity",
    note = "where an entity is taken by value, pass the one a handle points to: `(*handle).clone()`, changed as needed"
)]
pub trait Entity: Record {
    /// `Self`. Generated code names a relationship's target only as
    /// `<Target as Entity>::Itself`: for a type that is not an entity that
    /// projection fails once, where the target is written, and what is built
    /// on it stays silent instead of repeating the error.
    #[doc(hidden)]
    type Itself: Entity;

    /// Every relationship of the entity, for the loaders.
    #[doc(hidden)]
    fn relations() -> &'static [&'static dyn ErasedRelation<Self>] {
        &[]
    }
}

/// SQLite allows 64 tables in a join; stay well below it.
const MAX_JOINED_TABLES: usize = 48;

/// A relation of entity `P` with its target type erased, so loaders can walk
/// every relation of an entity. The derive lists them in
/// [`Entity::relations`].
#[doc(hidden)]
pub trait ErasedRelation<P: Entity>: RelationCell<P> {
    /// The step that loads the relation for every parent not loaded yet
    /// (`IN` statements), only the targets `narrowing` keeps, or `None`
    /// when none is needed (what could be stored without a statement
    /// is, and its targets are queued).
    #[doc(hidden)]
    fn plan_load<'a>(
        &self,
        cx: &mut PlanContext<'_>,
        parents: Parents<'a, P>,
        options: &[OptionNode],
        narrowing: &Narrowing,
        cascade: &mut Cascade,
    ) -> Result<Option<Box<dyn Step + 'a>>>;
    /// Fills a many-to-one from the identity map only, sending no SQL.
    #[doc(hidden)]
    fn fill_from_map(&self, identity: &IdentityMap, parents: &[Handle<P>]);
    /// Records a per-query strategy on parents not loaded yet, with what
    /// narrows their load and the options below it.
    #[doc(hidden)]
    fn mark(
        &self,
        lazy_options: &mut LazyOptions,
        parents: &[Handle<P>],
        strategy: Strategy,
        narrowing: &Narrowing,
        options: &[OptionNode],
    );
    /// Adds this relation to a join tree, its ON clause ending with the
    /// filter of `narrowing` on the target when it has one.
    #[doc(hidden)]
    fn join(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        narrowing: &Narrowing,
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>>;
    /// Adds to `sketch` what loading this relation with `strategy`
    /// (`selectin`, or `joined` at a level no statement joined it into)
    /// for the objects at `parent` would send, and queues its targets'
    /// level: `explain`.
    #[doc(hidden)]
    fn explain(
        &self,
        sketch: &mut Sketch,
        parent: &Place,
        options: &[OptionNode],
        narrowing: &Narrowing,
        strategy: Strategy,
    );
    /// Adds to a graph save what this relation of `parent` (its node
    /// `node`) holds: new targets, the foreign keys between them and
    /// `parent`, association rows.
    #[doc(hidden)]
    fn add_writes(&self, parent: &P, node: usize, graph: &mut GraphWrite<'_>) -> Result<()>;
}

impl<P: Entity, T: Entity, F: RelationField<T>> ErasedRelation<P> for Relation<P, T, F> {
    fn add_writes(&self, parent: &P, node: usize, graph: &mut GraphWrite<'_>) -> Result<()> {
        save::add_relation_writes(*self, parent, node, graph)
    }
    fn plan_load<'a>(
        &self,
        cx: &mut PlanContext<'_>,
        parents: Parents<'a, P>,
        options: &[OptionNode],
        narrowing: &Narrowing,
        cascade: &mut Cascade,
    ) -> Result<Option<Box<dyn Step + 'a>>> {
        Relation::plan_load(self, cx, parents, options, narrowing, cascade)
    }
    fn fill_from_map(&self, identity: &IdentityMap, parents: &[Handle<P>]) {
        self.fill_many_to_one_from_map(identity, parents)
    }
    fn mark(
        &self,
        lazy_options: &mut LazyOptions,
        parents: &[Handle<P>],
        strategy: Strategy,
        narrowing: &Narrowing,
        options: &[OptionNode],
    ) {
        for parent in parents {
            let field = self.field(parent);
            if !field.is_loaded() {
                field.set_mode(FILL, strategy);
                if !options.is_empty() || narrowing.is_partial() {
                    lazy_options.remember::<P>(self.meta, parent.key(), narrowing, options);
                }
            }
        }
    }
    fn join(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        narrowing: &Narrowing,
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>> {
        self.join_state(
            builder,
            parent_alias,
            options,
            narrowing.criteria.as_ref(),
            path,
        )
    }
    fn explain(
        &self,
        sketch: &mut Sketch,
        parent: &Place,
        options: &[OptionNode],
        narrowing: &Narrowing,
        strategy: Strategy,
    ) {
        explain::load::<T>(sketch, self.meta, parent, options, narrowing, strategy)
    }
}

/// The join tree's per-relation accumulator over the rows of one statement.
#[doc(hidden)]
pub trait JoinState<P: Entity> {
    /// Reads this relation's columns of `row`, whose parent object is `parent`.
    fn on_row(
        &mut self,
        identity: &mut IdentityMap,
        row: &dyn Row,
        parent: &Handle<P>,
    ) -> Result<()>;
    /// Stores what was gathered on the parents and queues the targets.
    fn finish(self: Box<Self>, cascade: &mut Cascade);
    /// Adds to `sketch` this joined relation (whose rows come in the
    /// statement of step `statement`, for the objects at `parent`) and the
    /// levels it would queue: `explain`.
    fn explain(&self, sketch: &mut Sketch, statement: usize, parent: &Place);
}

/// The joined relations of one entity level, and which joined relations were
/// cut off (by `join_depth` or the table limit) and stay lazy.
pub(crate) struct JoinLevel<T: Entity> {
    pub(crate) states: Vec<Box<dyn JoinState<T>>>,
    pub(crate) deferred: Vec<&'static str>,
}

/// Builds the joins of entity `T` at `alias`: every relation whose strategy
/// (option, else mapping) is `joined`, except the way back along `path`,
/// and a self-referential relation only `join_depth` levels deep.
pub(crate) fn build_joins<T: Entity>(
    builder: &mut JoinBuilder,
    alias: &str,
    options: &[OptionNode],
    path: &mut Vec<&'static RelationMeta>,
) -> JoinLevel<T> {
    let mut level = JoinLevel {
        states: Vec::new(),
        deferred: Vec::new(),
    };
    for relation in T::relations() {
        let meta = relation.meta();
        let option = find_option(options, meta);
        let strategy = option.map_or(meta.lazy, |o| o.strategy_for(meta));
        if strategy != Strategy::Joined {
            continue;
        }
        // The guards below stop the mapping's defaults; an explicit option
        // path is finite, so it is followed back along the path and past
        // `join_depth`.
        if option.is_none()
            && path
                .last()
                .is_some_and(|came_from| meta.is_reverse_of(came_from))
        {
            continue;
        }
        let repeats = path.iter().filter(|m| m.is_same(meta)).count();
        let allowed = if meta.is_self_referential() {
            meta.join_depth
        } else {
            1
        };
        if (option.is_none() && repeats >= allowed) || builder.joined_tables() >= MAX_JOINED_TABLES
        {
            level.deferred.push(meta.name);
            continue;
        }
        let children = option.map_or(Cow::Borrowed(&[][..]), |o| o.below());
        let narrowing = option.map_or(&plan::NOT_NARROWED, |o| &o.narrowing);
        level
            .states
            .push(relation.join(builder, alias, &children, narrowing, path));
    }
    level
}

/// A one-to-one that matched several rows for `parents` parents keeps the
/// first by its `order_by` (the database's order without one); said once
/// per load, as SQLAlchemy warns for `uselist=False`.
pub(crate) fn warn_several_rows(relation: &RelationMeta, parents: usize) {
    if parents > 0 {
        tracing::warn!(
            target: "eagerly::loader",
            relation = %relation.path(),
            parents,
            "{} is one-to-one but matched several rows for {parents} parent(s); each keeps the first by its order_by",
            relation.path()
        );
    }
}

/// Loads the objects of a query with their eager relations, running its
/// plan with the sync driver.
pub(crate) fn load_roots<E: Entity>(
    engine: &mut Engine,
    statement: RootStatement,
    params: Vec<Value>,
    options: &[OptionNode],
) -> Result<Vec<Handle<E>>> {
    let mut plan = RootPlan::<E>::new(engine.dialect, statement, params, options);
    engine.run_plan(&mut plan)?;
    Ok(plan.into_objects())
}
