//! How strategies become plans: a load is a queue of levels (objects just
//! loaded, waiting for their eager relations) and the step in progress (one
//! strategy's statements for one relation, and what it does with their
//! rows). [`LoadPlan`] yields the step's statements, hands it their rows,
//! and when it is done lets it store what it gathered and queue the next
//! levels; it never touches a connection.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::Handle;

use super::{find_option, Entity, JoinLevel, JoinState};
use crate::engine::{IdentityMap, Plan, PlanContext, Statement};
use crate::hash::FastSet;
use crate::options::{Narrowing, OptionNode};
use crate::schema::{EntityMeta, RelationMeta, Strategy};
use crate::sql::{wrap_with_joins, EntityStatements, JoinBuilder};
use crate::{Result, Row, Value};

/// The parents a step loads a relation for: borrowed from the caller (a
/// load on access), or shared with the level that holds them.
#[doc(hidden)]
pub enum Parents<'a, P> {
    /// Objects the caller holds for the length of the load.
    Borrowed(Vec<&'a P>),
    /// Objects of a level of the load.
    Shared(Arc<Vec<Handle<P>>>),
}

impl<P> Parents<'_, P> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Parents::Borrowed(parents) => parents.len(),
            Parents::Shared(parents) => parents.len(),
        }
    }

    pub(crate) fn get(&self, index: usize) -> &P {
        match self {
            Parents::Borrowed(parents) => parents[index],
            Parents::Shared(parents) => &parents[index],
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &P> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// One strategy's work on one relation: its statements, what it does with
/// their rows, and what it stores and queues once they are all in.
#[doc(hidden)]
pub trait Step {
    /// The next statement of this step, or `None` when all were yielded.
    fn next_statement(&mut self, cx: &mut PlanContext<'_>) -> Result<Option<Statement>>;
    /// The rows of another of its statements begin (they come statement
    /// by statement, in the order the statements were yielded).
    fn begin_rows(&mut self) {}
    /// One row of the statement whose rows began last.
    fn on_row(&mut self, cx: &mut PlanContext<'_>, row: &dyn Row) -> Result<()>;
    /// Every statement ran: store what was gathered, queue the next levels.
    fn finish(self: Box<Self>, cx: &mut PlanContext<'_>, cascade: &mut Cascade) -> Result<()>;
    /// The relation it loads.
    fn relation(&self) -> &'static RelationMeta;
    /// Whether it carries options for the targets' own relations, or joins
    /// (its rows then touch objects beyond its targets).
    fn reaches_beyond_targets(&self) -> bool;
}

/// Levels of loaded objects waiting for their eager relations, processed
/// in order without recursion, so trees of any depth load level by level.
#[doc(hidden)]
#[derive(Default)]
pub struct Cascade {
    queue: VecDeque<Box<dyn Level>>,
    /// Objects a recursive option reached in this load, by address (they
    /// are alive while the load runs).
    reached: FastSet<usize>,
}

/// A level: hands out the steps its relations need, one at a time,
/// applying on the way the strategies that need no statement.
trait Level {
    fn next_step(
        &mut self,
        cx: &mut PlanContext<'_>,
        cascade: &mut Cascade,
    ) -> Result<Option<Box<dyn Step>>>;

    /// The load of its next relation, planned now, when it may run in one
    /// round trip with loads of the `busy` target tables already planned
    /// (see [`Sibling`]); `None`, leaving the relation for later, when not.
    fn next_sibling(
        &mut self,
        cx: &mut PlanContext<'_>,
        cascade: &mut Cascade,
        busy: &[&'static str],
    ) -> Result<Option<Sibling>>;
}

/// A sibling load taken with [`Level::next_sibling`]: its step (`None` when
/// it needed no statement) and the levels its planning queued, to queue
/// once the steps before it finished, as in a load one step at a time.
pub(crate) struct Sibling {
    step: Option<Box<dyn Step>>,
    queued: Cascade,
}

/// Whether loading `relation` of `parent` objects touches nothing a load of
/// the `busy` target tables planned or running beside it reads or writes,
/// so the two may go in one round trip with the graph and the statements
/// of a load one step at a time: its target is another table than the
/// parents' (no reverse fill of the level's own objects) and than every
/// busy one (no identity-map lookups of their rows), and nothing reaches
/// past its targets (no options below it, no joins in its statement).
pub(crate) fn may_run_beside(
    relation: &RelationMeta,
    parent: &EntityMeta,
    has_options_below: bool,
    busy: &[&'static str],
) -> bool {
    let target = relation.target_meta();
    target.table() != parent.table()
        && !busy.contains(&target.table())
        && !has_options_below
        && !target.relations.iter().any(|r| r.lazy == Strategy::Joined)
}

/// Objects of `T` just loaded: `options` are the per-query options for their
/// relations, `came_from` the relation that reached them.
pub(crate) struct Pending<T: Entity> {
    objects: Arc<Vec<Handle<T>>>,
    options: Vec<OptionNode>,
    came_from: Option<&'static RelationMeta>,
    deferred: Vec<&'static str>,
    /// The next relation of `T` to apply.
    next: usize,
}

impl<T: Entity> Pending<T> {
    pub(crate) fn new(
        objects: Vec<Handle<T>>,
        options: &[OptionNode],
        came_from: Option<&'static RelationMeta>,
        deferred: Vec<&'static str>,
    ) -> Self {
        Pending::shared(Arc::new(objects), options, came_from, deferred)
    }

    fn shared(
        objects: Arc<Vec<Handle<T>>>,
        options: &[OptionNode],
        came_from: Option<&'static RelationMeta>,
        deferred: Vec<&'static str>,
    ) -> Self {
        Pending {
            objects,
            options: options.to_vec(),
            came_from,
            deferred,
            next: 0,
        }
    }

    /// Whether the level has anything to load.
    fn has_work(&self) -> bool {
        !self.objects.is_empty() && cascades::<T>(&self.options)
    }
}

impl Cascade {
    /// Records that a recursive option reached `object`; false when it had
    /// already.
    pub(crate) fn reach<T>(&mut self, object: &T) -> bool {
        self.reached.insert(std::ptr::from_ref(object) as usize)
    }

    /// Queues a level after those already waiting.
    pub(crate) fn push<T: Entity>(&mut self, pending: Pending<T>) {
        if pending.has_work() {
            self.queue.push_back(Box::new(pending));
        }
    }

    /// Queues a level before those already waiting.
    fn push_front<T: Entity>(&mut self, pending: Pending<T>) {
        if pending.has_work() {
            self.queue.push_front(Box::new(pending));
        }
    }

    /// Appends the levels `other` queued, after those waiting.
    fn append(&mut self, other: Cascade) {
        self.queue.extend(other.queue);
        self.reached.extend(other.reached);
    }

    /// The next sibling load of the first level (see [`Level::next_sibling`]).
    fn next_sibling(
        &mut self,
        cx: &mut PlanContext<'_>,
        busy: &[&'static str],
    ) -> Result<Option<Sibling>> {
        let Some(mut level) = self.queue.pop_front() else {
            return Ok(None);
        };
        let mut queued = Cascade::default();
        let sibling = level.next_sibling(cx, &mut queued, busy);
        self.queue.push_front(level);
        sibling
    }

    /// The next step of the first level that has one.
    fn next_step(&mut self, cx: &mut PlanContext<'_>) -> Result<Option<Box<dyn Step>>> {
        while let Some(mut level) = self.queue.pop_front() {
            if let Some(step) = level.next_step(cx, self)? {
                // The level may have more relations to load: it stays first.
                self.queue.push_front(level);
                return Ok(Some(step));
            }
        }
        Ok(None)
    }
}

impl<T: Entity> Level for Pending<T> {
    /// Applies the eager strategies and per-query options of `T`'s
    /// relations to the level's objects, in the relations' order.
    fn next_step(
        &mut self,
        cx: &mut PlanContext<'_>,
        cascade: &mut Cascade,
    ) -> Result<Option<Box<dyn Step>>> {
        let relations = T::relations();
        while let Some(relation) = relations.get(self.next) {
            self.next += 1;
            let meta = relation.meta();
            let RelationRule {
                option,
                strategy,
                is_way_back,
                children,
                narrowing,
            } = RelationRule::of(&self.options, meta, self.came_from);
            match strategy {
                _ if is_way_back && strategy.is_eager() => {
                    // Never walk back along the path: a to-one reverse side
                    // is filled from the identity map, a collection stays lazy.
                    relation.fill_from_map(cx.identity, &self.objects);
                }
                // Cut off by `join_depth`: stays lazy. A joined relation the
                // statement filled is loaded, so the IN loader below skips it
                // and only loads objects the statement did not cover (targets
                // that came from the identity map).
                Strategy::Joined if self.deferred.contains(&meta.name) => {}
                Strategy::Joined | Strategy::Selectin => {
                    let parents = Parents::Shared(Arc::clone(&self.objects));
                    if let Some(step) =
                        relation.plan_load(cx, parents, &children, narrowing, cascade)?
                    {
                        return Ok(Some(step));
                    }
                }
                Strategy::Select
                | Strategy::Bulk
                | Strategy::Raise
                | Strategy::Noload
                | Strategy::RaiseOnSql
                    if option.is_some() =>
                {
                    relation.mark(
                        cx.lazy_options,
                        &self.objects,
                        strategy,
                        narrowing,
                        &children,
                    );
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn next_sibling(
        &mut self,
        cx: &mut PlanContext<'_>,
        cascade: &mut Cascade,
        busy: &[&'static str],
    ) -> Result<Option<Sibling>> {
        while let Some(relation) = T::relations().get(self.next) {
            let meta = relation.meta();
            let rule = RelationRule::of(&self.options, meta, self.came_from);
            let loads = match rule.strategy {
                _ if rule.is_way_back && rule.strategy.is_eager() => return Ok(None),
                Strategy::Joined => !self.deferred.contains(&meta.name),
                Strategy::Selectin => true,
                // An option to mark: left to `next_step`, in order.
                _ if rule.option.is_some() => return Ok(None),
                _ => false,
            };
            if !loads {
                // Nothing to do for this relation, as `next_step` would find.
                self.next += 1;
                continue;
            }
            if !may_run_beside(meta, T::META, !rule.children.is_empty(), busy) {
                return Ok(None);
            }
            self.next += 1;
            let parents = Parents::Shared(Arc::clone(&self.objects));
            let step = relation.plan_load(cx, parents, &rule.children, rule.narrowing, cascade)?;
            return Ok(Some(Sibling {
                step,
                queued: std::mem::take(cascade),
            }));
        }
        Ok(None)
    }
}

/// How a level treats one relation of its entity: the option for it (if
/// any), the strategy in force, whether it is the way back along the path
/// (only the mapping's defaults stop there; an explicit option is
/// followed), the options for its targets and what narrows its load. The
/// plans and `explain` both read it.
pub(crate) struct RelationRule<'o> {
    pub(crate) option: Option<&'o OptionNode>,
    pub(crate) strategy: Strategy,
    pub(crate) is_way_back: bool,
    pub(crate) children: Cow<'o, [OptionNode]>,
    pub(crate) narrowing: &'o Narrowing,
}

impl<'o> RelationRule<'o> {
    pub(crate) fn of(
        options: &'o [OptionNode],
        meta: &RelationMeta,
        came_from: Option<&RelationMeta>,
    ) -> Self {
        let option = find_option(options, meta);
        RelationRule {
            option,
            strategy: option.map_or(meta.lazy, |o| o.strategy_for(meta)),
            is_way_back: option.is_none() && came_from.is_some_and(|c| meta.is_reverse_of(c)),
            children: option.map_or(Cow::Borrowed(&[][..]), |o| o.below()),
            narrowing: option.map_or(&NOT_NARROWED, |o| &o.narrowing),
        }
    }
}

/// The whole relation: no filter, no limit.
pub(crate) static NOT_NARROWED: Narrowing = Narrowing {
    criteria: None,
    per_parent: None,
};

/// Whether loading objects of `T` with `options` can load anything more: an
/// eager relation or an option. Loaders collect targets for the next level
/// only when it can.
pub(crate) fn cascades<T: Entity>(options: &[OptionNode]) -> bool {
    !options.is_empty() || T::relations().iter().any(|r| r.meta().lazy.is_eager())
}

/// A load: the steps in progress and the levels after them.
pub(crate) struct LoadPlan<'a> {
    /// The step the load starts with, until it is yielded.
    first: Option<Box<dyn Step + 'a>>,
    /// The steps whose statements were yielded, in order, each with the
    /// levels its planning queued (see [`Sibling`]).
    running: Vec<(Option<Box<dyn Step + 'a>>, Cascade)>,
    /// For each statement last yielded, its step in `running`.
    owners: Vec<usize>,
    /// The statement whose rows came last.
    receiving: Option<usize>,
    cascade: Cascade,
}

impl<'a> LoadPlan<'a> {
    /// A load that starts with `step` (if any), then what `cascade` holds.
    pub(crate) fn new(step: Option<Box<dyn Step + 'a>>, cascade: Cascade) -> Self {
        LoadPlan {
            first: step,
            running: Vec::new(),
            owners: Vec::new(),
            receiving: None,
            cascade,
        }
    }

    /// Finishes the steps whose rows are all in, in order, queueing what
    /// each one's planning queued just before it.
    fn finish_running(&mut self, cx: &mut PlanContext<'_>) -> Result<()> {
        for (step, queued) in std::mem::take(&mut self.running) {
            self.cascade.append(queued);
            if let Some(step) = step {
                step.finish(cx, &mut self.cascade)?;
            }
        }
        Ok(())
    }

    /// Takes `step` into the batch: every statement it has left.
    fn run(
        &mut self,
        cx: &mut PlanContext<'_>,
        mut step: Option<Box<dyn Step + 'a>>,
        queued: Cascade,
        batch: &mut Vec<Statement>,
    ) -> Result<()> {
        if let Some(step) = &mut step {
            while let Some(statement) = step.next_statement(cx)? {
                batch.push(statement);
                self.owners.push(self.running.len());
            }
        }
        self.running.push((step, queued));
        Ok(())
    }
}

impl Plan for LoadPlan<'_> {
    /// Without pipelining, one statement at a time, as the steps yield
    /// them. With it, the next step's statements (its chunks), and those of
    /// the sibling relations of the same level that [`may_run_beside`] it,
    /// in relation order: the statements, parameters and graph of a load
    /// one statement at a time, in fewer round trips.
    fn next_statements(&mut self, cx: &mut PlanContext<'_>) -> Result<Vec<Statement>> {
        self.owners.clear();
        self.receiving = None;
        let mut batch = Vec::new();
        if !cx.pipelines {
            loop {
                if let Some((Some(step), _)) = self.running.first_mut() {
                    if let Some(statement) = step.next_statement(cx)? {
                        self.owners.push(0);
                        batch.push(statement);
                        return Ok(batch);
                    }
                }
                self.finish_running(cx)?;
                let next = match self.first.take() {
                    Some(step) => Some(step),
                    None => self.cascade.next_step(cx)?,
                };
                match next {
                    Some(step) => self.running.push((Some(step), Cascade::default())),
                    None => return Ok(batch),
                }
            }
        }
        self.finish_running(cx)?;
        while batch.is_empty() {
            // Siblings come from the level the step came from: the first
            // step of a load on access has none at hand.
            let (step, from_level) = match self.first.take() {
                Some(step) => (step, false),
                None => match self.cascade.next_step(cx)? {
                    Some(step) => (step, true),
                    None => return Ok(batch),
                },
            };
            let meta = step.relation();
            let alone = !from_level
                || step.reaches_beyond_targets()
                || !may_run_beside(meta, meta.owner_meta(), false, &[]);
            self.run(cx, Some(step), Cascade::default(), &mut batch)?;
            if batch.is_empty() {
                // Nothing to send: finished before anything else is planned.
                self.finish_running(cx)?;
                continue;
            }
            if alone {
                break;
            }
            let mut busy = vec![meta.target_meta().table()];
            while let Some(sibling) = self.cascade.next_sibling(cx, &busy)? {
                if let Some(step) = &sibling.step {
                    busy.push(step.relation().target_meta().table());
                }
                self.run(cx, sibling.step, sibling.queued, &mut batch)?;
            }
        }
        Ok(batch)
    }

    fn on_row(&mut self, cx: &mut PlanContext<'_>, index: usize, row: &dyn Row) -> Result<()> {
        let Some(&owner) = self.owners.get(index) else {
            return Ok(());
        };
        let Some((Some(step), _)) = self.running.get_mut(owner) else {
            return Ok(());
        };
        if self.receiving != Some(index) {
            self.receiving = Some(index);
            step.begin_rows();
        }
        step.on_row(cx, row)
    }
}

/// The root objects of each row: from the identity map, or decoded and
/// registered; joined rows repeat a root on consecutive rows, so the last
/// one is kept at hand.
pub(crate) struct RowObjects<T: Entity> {
    previous: Option<(T::Key, Handle<T>)>,
}

impl<T: Entity> Default for RowObjects<T> {
    fn default() -> Self {
        RowObjects { previous: None }
    }
}

impl<T: Entity> RowObjects<T> {
    /// A new statement begins: its first row repeats nothing.
    pub(crate) fn reset(&mut self) {
        self.previous = None;
    }

    /// The object of `row` (columns from 0), after feeding the row to
    /// `joins` with it as their parent.
    pub(crate) fn object(
        &mut self,
        identity: &mut IdentityMap,
        row: &dyn Row,
        joins: &mut [Box<dyn JoinState<T>>],
    ) -> Result<Handle<T>> {
        let key = T::key_from_row(row, 0)?;
        if joins.is_empty() {
            return identity
                .typed_mut::<T>()
                .get_or_decode(key, || T::from_row(row, 0));
        }
        let object = match self.previous.take() {
            Some((last_key, last)) if last_key == key => last,
            _ => identity
                .typed_mut::<T>()
                .get_or_decode(key.clone(), || T::from_row(row, 0))?,
        };
        for join in joins.iter_mut() {
            join.on_row(identity, row, &object)?;
        }
        self.previous = Some((key, Handle::clone(&object)));
        Ok(object)
    }
}

/// The statement of root objects: WHERE, ORDER BY and LIMIT clauses on
/// unqualified columns, and the ORDER BY terms qualified by `t0` that the
/// wrapped form repeats outside.
pub(crate) struct RootStatement {
    pub(crate) clauses: String,
    pub(crate) order: Vec<String>,
}

/// The objects of a query with their eager relations: joined ones in the
/// same statement (parents de-duplicated, LIMIT applied to parents inside
/// the wrapped query), then selectin ones and everything they cascade to.
pub(crate) struct RootPlan<E: Entity> {
    /// The root statement, until it is yielded.
    statement: Option<Statement>,
    /// Its rows' objects and joins, until they are all in.
    rows: Option<RootRows<E>>,
    objects: Arc<Vec<Handle<E>>>,
    options: Vec<OptionNode>,
    rest: LoadPlan<'static>,
}

struct RootRows<E: Entity> {
    objects: Vec<Handle<E>>,
    row_objects: RowObjects<E>,
    joins: Vec<Box<dyn JoinState<E>>>,
    deferred: Vec<&'static str>,
    /// Only a joined collection repeats a parent's row.
    seen: Option<FastSet<E::Key>>,
}

impl<E: Entity> RootPlan<E> {
    pub(crate) fn new(
        dialect: &'static dyn crate::sql::Dialect,
        statement: RootStatement,
        mut params: Vec<Value>,
        options: &[OptionNode],
    ) -> Self {
        let (sql, builder, level) = root_sql::<E>(dialect, &statement, options, &mut params);
        RootPlan {
            statement: Some(Statement {
                sql: sql.into(),
                params,
            }),
            rows: Some(RootRows {
                objects: Vec::new(),
                row_objects: RowObjects::default(),
                seen: builder.multiplies_rows().then(FastSet::default),
                joins: level.states,
                deferred: level.deferred,
            }),
            objects: Arc::new(Vec::new()),
            options: options.to_vec(),
            rest: LoadPlan::new(None, Cascade::default()),
        }
    }

    /// The root objects, in the statement's order, once the plan ran.
    pub(crate) fn into_objects(self) -> Vec<Handle<E>> {
        let RootPlan { objects, rest, .. } = self;
        // The levels that shared the list are gone with the plan.
        drop(rest);
        Arc::try_unwrap(objects).unwrap_or_else(|shared| shared.as_ref().clone())
    }
}

/// The root statement's SQL with the joins of `E`'s joined relations (the
/// wrapped form when there are any, so LIMIT counts parents), and the join
/// tree: what [`RootPlan`] sends and `explain` shows.
pub(crate) fn root_sql<E: Entity>(
    dialect: &'static dyn crate::sql::Dialect,
    statement: &RootStatement,
    options: &[OptionNode],
    params: &mut Vec<Value>,
) -> (String, JoinBuilder, JoinLevel<E>) {
    let statements = EntityStatements::of(E::META, dialect);
    let mut builder = JoinBuilder::starting_at(dialect, E::META.columns.len());
    let level = super::build_joins::<E>(&mut builder, "t0", options, &mut Vec::new());
    let sql = if level.states.is_empty() {
        format!("{}{}", statements.select, statement.clauses)
    } else {
        let inner = format!("{}{}", statements.select_star, statement.clauses);
        wrap_with_joins(E::META, &inner, "", &builder, &statement.order, params)
    };
    (sql, builder, level)
}

impl<E: Entity> Plan for RootPlan<E> {
    fn next_statements(&mut self, cx: &mut PlanContext<'_>) -> Result<Vec<Statement>> {
        if let Some(statement) = self.statement.take() {
            return Ok(vec![statement]);
        }
        if let Some(rows) = self.rows.take() {
            for join in rows.joins {
                join.finish(&mut self.rest.cascade);
            }
            self.objects = Arc::new(rows.objects);
            // The roots' own relations load before what the joins queued.
            self.rest.cascade.push_front(Pending::shared(
                Arc::clone(&self.objects),
                &self.options,
                None,
                rows.deferred,
            ));
        }
        self.rest.next_statements(cx)
    }

    fn on_row(&mut self, cx: &mut PlanContext<'_>, index: usize, row: &dyn Row) -> Result<()> {
        let Some(rows) = &mut self.rows else {
            return self.rest.on_row(cx, index, row);
        };
        let object = rows.row_objects.object(cx.identity, row, &mut rows.joins)?;
        let new = match &mut rows.seen {
            Some(seen) => seen.insert(object.key()),
            None => true,
        };
        if new {
            rows.objects.push(object);
        }
        Ok(())
    }
}
