//! `explain`: what a query with its options will send, in order, before it
//! runs. The load plan is walked level by level as [`LoadPlan`] walks it
//! (the same option lookup, the same way back, the same join selection and
//! the same statement builders), with no objects: nothing is sent and the
//! identity map is not touched.
//!
//! [`LoadPlan`]: super::plan::LoadPlan

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use super::plan::{cascades, root_sql, RelationRule, RootStatement};
use super::selectin::in_joins;
use super::{Entity, JoinState};
use crate::options::{Narrowing, OptionNode};
use crate::schema::{RelationKind, RelationMeta, Strategy};
use crate::sql::{Dialect, JoinBuilder, KeyCount, RelationStatements};
use crate::{EntityMeta, Value};

/// What a query will send, in the order its load plan sends it, returned by
/// `explain` on a query (`session.query::<Author>()...explain()`,
/// `query.explain(&session)`, `query.explain_in(&Postgres)`). Its
/// `Display` is a numbered list.
///
/// Statement counts are those of a load whose objects are not loaded yet:
/// parents whose relation is loaded already are left out of the key lists,
/// and a many-to-one whose targets are all in the identity map sends
/// nothing, as when the query runs.
#[derive(Debug, Clone)]
pub struct Explain {
    /// The root statement first, then each relation the plan reaches.
    pub steps: Vec<PlannedStep>,
}

/// What one step of the load plan does with one relation (or, first, the
/// query's own statement).
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// `Author` for the root statement; `Author.books.tags` for the tags of
    /// the authors' books.
    pub path: String,
    /// The relation's strategy for this query (option, else mapping);
    /// `None` for the root statement.
    pub strategy: Option<Strategy>,
    /// What the step does.
    pub action: StepAction,
    /// The SQL: the root statement's exact text; for `IN` statements the
    /// template, the key list written as the dialect writes it (`IN (?, …)`
    /// on SQLite, `= ANY($1)` on PostgreSQL), exactly as sent for any number
    /// of keys where the dialect binds one array (see
    /// [`sql_for`](Self::sql_for)).
    pub sql: Option<String>,
    /// The root statement's parameter values; empty for the other steps,
    /// whose values are the keys of the rows loaded before them.
    pub params: Vec<Value>,
    /// How many statements the step sends.
    pub cost: StepCost,
    /// A self-referential cascade, shown once: the step runs again for
    /// each further level of its targets, until a level has no rows.
    pub repeats: bool,
    /// Why the step does what it does, where that is not plain.
    pub note: Option<String>,
    relation: Option<&'static RelationMeta>,
    keyed: Option<Keyed>,
}

/// What a [`PlannedStep`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    /// The query's own statement (with its joined relations).
    Root,
    /// `IN` statements right after the parents (`selectin`, or `joined`
    /// at a level no statement joined it into).
    InStatements,
    /// The rows come in the statement of step `n` (0-based, in
    /// [`Explain::steps`]) through a join: no statement of its own.
    InStatementOf(usize),
    /// A many-to-one back to objects loaded just before: filled from the
    /// identity map, no statement.
    FromIdentityMap,
    /// A collection on the way back along the path: the loaders leave it
    /// unloaded (it loads on access), no statement.
    WayBack,
    /// Left lazy: loads on access by its strategy (or never: `raise`,
    /// `noload`, `dynamic`), sends nothing now.
    OnAccess,
}

/// How many statements a [`PlannedStep`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepCost {
    /// None.
    Nothing,
    /// Exactly one. (Not `One`: the relation type `One<T>` keeps its
    /// short name in compiler messages only while no other item has it.)
    Single,
    /// For each level of parents, `ceil(keys / chunk_size)`, or one per
    /// level with `chunk_size: None` (the keys bound as one array,
    /// PostgreSQL's `= ANY($1)`); none for a level without keys. The keys
    /// are the parents' own keys, for a many-to-one the distinct foreign
    /// keys not in the identity map.
    PerLevel {
        /// Keys per statement; `None`: every key in one.
        chunk_size: Option<usize>,
    },
}

impl StepCost {
    /// The statements sent for a level of `keys` keys.
    pub fn statements(self, keys: usize) -> usize {
        match self {
            StepCost::Nothing => 0,
            StepCost::Single => 1,
            StepCost::PerLevel { .. } if keys == 0 => 0,
            StepCost::PerLevel { chunk_size: None } => 1,
            StepCost::PerLevel {
                chunk_size: Some(chunk),
            } => keys.div_ceil(chunk),
        }
    }
}

/// How an `IN` step writes its statement for a number of keys.
#[derive(Clone)]
struct Keyed {
    statements: &'static RelationStatements,
    target: &'static EntityMeta,
    joins: Option<Arc<JoinBuilder>>,
    narrowing: Narrowing,
}

impl fmt::Debug for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyed")
            .field("target", &self.target.name())
            .finish_non_exhaustive()
    }
}

impl PlannedStep {
    fn new(path: String, strategy: Option<Strategy>, action: StepAction) -> Self {
        PlannedStep {
            path,
            strategy,
            action,
            sql: None,
            params: Vec::new(),
            cost: StepCost::Nothing,
            repeats: false,
            note: None,
            relation: None,
            keyed: None,
        }
    }

    fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Whether the step sends statements.
    pub fn sends(&self) -> bool {
        matches!(self.action, StepAction::Root | StepAction::InStatements)
    }

    /// The exact SQL of one statement of this step for a chunk of `keys`
    /// keys (the root statement whatever `keys`); `None` for a step that
    /// sends nothing, or no keys.
    pub fn sql_for(&self, keys: usize) -> Option<String> {
        match (&self.keyed, self.action) {
            (_, StepAction::Root) => self.sql.clone(),
            (Some(keyed), StepAction::InStatements) if keys > 0 => Some(
                keyed
                    .statements
                    .keyed(
                        keyed.target,
                        keyed.joins.as_deref(),
                        KeyCount::Exactly(keys),
                        &keyed.narrowing,
                        &mut keyed.statements.key_placeholders(KeyCount::Exactly(keys)),
                    )
                    .into_owned(),
            ),
            _ => None,
        }
    }
}

impl Explain {
    /// The steps that send statements, in order.
    pub fn sending(&self) -> impl Iterator<Item = &PlannedStep> {
        self.steps.iter().filter(|s| s.sends())
    }
}

impl fmt::Display for Explain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            let strategy = match step.strategy {
                None => "query".to_owned(),
                Some(strategy) => format!("{strategy:?}").to_lowercase(),
            };
            write!(f, "{}. {} [{strategy}]: ", i + 1, step.path)?;
            match step.action {
                StepAction::Root => write!(f, "the query's statement, 1 statement")?,
                StepAction::InStatements => match step.cost {
                    StepCost::PerLevel {
                        chunk_size: Some(chunk),
                    } => write!(f, "IN statements, ceil(keys / {chunk}) per level")?,
                    _ => write!(f, "IN statements, 1 per level (the keys as one array)")?,
                },
                StepAction::InStatementOf(n) => write!(
                    f,
                    "joined into the statement of step {}, no statement",
                    n + 1
                )?,
                StepAction::FromIdentityMap => write!(f, "from the identity map, no statement")?,
                StepAction::WayBack => write!(f, "the way back along the path: left unloaded")?,
                StepAction::OnAccess => write!(f, "on access, sends nothing now")?,
            }
            if step.repeats {
                write!(
                    f,
                    "; repeats for each level of its targets until a level has no rows"
                )?;
            }
            writeln!(f)?;
            if let Some(sql) = &step.sql {
                writeln!(f, "   {sql}")?;
            }
            if !step.params.is_empty() {
                writeln!(f, "   params: {:?}", step.params)?;
            }
            if let Some(note) = &step.note {
                writeln!(f, "   ({note})")?;
            }
        }
        Ok(())
    }
}

/// What makes two levels behave alike: the entity, the relation that
/// reached it, the options for its relations and the joined relations cut
/// off; a level like one of those that led to it repeats that one.
#[derive(Clone)]
struct LevelKey {
    entity: &'static EntityMeta,
    came_from: Option<&'static RelationMeta>,
    /// Compared by their `Debug` text, which covers every field an option
    /// has (or gains).
    options: String,
    deferred: Vec<&'static str>,
    /// The step that reached the level, if any.
    producer: Option<usize>,
}

impl LevelKey {
    fn same(&self, other: &LevelKey) -> bool {
        std::ptr::eq(self.entity, other.entity)
            && match (self.came_from, other.came_from) {
                (Some(a), Some(b)) => a.is_same(b),
                (None, None) => true,
                _ => false,
            }
            && self.options == other.options
            && self.deferred == other.deferred
    }
}

/// Where a level of the sketched load sits.
#[doc(hidden)]
#[derive(Clone)]
pub struct Place {
    /// Its objects, named by the relations that reached them from the
    /// roots (a many-to-one back to the level before names that level).
    set: Vec<&'static RelationMeta>,
    path: String,
    came_from: Option<&'static RelationMeta>,
    /// The levels that led here, this one last.
    lineage: Vec<LevelKey>,
}

impl Place {
    fn below<T: Entity>(
        &self,
        relation: &'static RelationMeta,
        set: Vec<&'static RelationMeta>,
        options: &[OptionNode],
        deferred: &[&'static str],
        producer: Option<usize>,
    ) -> Place {
        let mut lineage = self.lineage.clone();
        lineage.push(LevelKey {
            entity: T::META,
            came_from: Some(relation),
            options: format!("{options:?}"),
            deferred: deferred.to_vec(),
            producer,
        });
        Place {
            set,
            path: format!("{}.{}", self.path, relation.name),
            came_from: Some(relation),
            lineage,
        }
    }

    fn targets_of(&self, relation: &'static RelationMeta) -> Vec<&'static RelationMeta> {
        let mut set = self.set.clone();
        set.push(relation);
        set
    }
}

/// A level waiting in the sketch's queue.
trait SketchLevel {
    fn explain(self: Box<Self>, sketch: &mut Sketch);
}

struct Queued {
    producer: Option<usize>,
    level: Box<dyn SketchLevel>,
}

/// The load plan walked without objects: the steps so far, the levels
/// waiting (in the plan's order), and which relations of which levels are
/// loaded by then.
#[doc(hidden)]
pub struct Sketch {
    dialect: &'static dyn Dialect,
    steps: Vec<PlannedStep>,
    queue: VecDeque<Queued>,
    loaded: Vec<(Vec<&'static RelationMeta>, &'static RelationMeta)>,
}

fn same_set(a: &[&'static RelationMeta], b: &[&'static RelationMeta]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is_same(y))
}

impl Sketch {
    fn is_loaded(&self, set: &[&'static RelationMeta], relation: &RelationMeta) -> bool {
        self.loaded
            .iter()
            .any(|(s, r)| r.is_same(relation) && same_set(s, set))
    }

    fn mark_loaded(&mut self, set: &[&'static RelationMeta], relation: &'static RelationMeta) {
        self.loaded.push((set.to_vec(), relation));
    }

    fn add(&mut self, step: PlannedStep) -> usize {
        self.steps.push(step);
        self.steps.len() - 1
    }

    /// Lists a relation left lazy, once per path (a level can be reached
    /// twice: by a join, and again for the options below it).
    fn on_access(&mut self, step: PlannedStep) {
        if !self
            .steps
            .iter()
            .any(|s| s.path == step.path && s.action == step.action)
        {
            self.steps.push(step);
        }
    }

    /// Queues the level at `place` as the plan queues it (only when it can
    /// load anything), unless it repeats a level that led to it.
    fn push<T: Entity>(
        &mut self,
        place: Place,
        options: &[OptionNode],
        deferred: Vec<&'static str>,
    ) {
        if !cascades::<T>(options) {
            // The plan never visits it; its relations are all lazy.
            for relation in T::relations() {
                let meta = relation.meta();
                self.on_access(
                    PlannedStep::new(
                        format!("{}.{}", place.path, meta.name),
                        Some(meta.lazy),
                        StepAction::OnAccess,
                    )
                    .with_note("the mapping's strategy"),
                );
            }
            return;
        }
        let (key, ancestors) = place.lineage.split_last().expect("a level's own key");
        if let Some(ancestor) = ancestors.iter().find(|a| a.same(key)) {
            self.repeat(key.producer, ancestor.producer);
            return;
        }
        self.queue.push_back(Queued {
            producer: key.producer,
            level: Box::new(LevelSketch::<T> {
                place,
                options: options.to_vec(),
                deferred,
                _entity: std::marker::PhantomData,
            }),
        });
    }

    /// Step `again` reached a level like one that step `first` reached:
    /// the cascade repeats per level from there. Where `again` is `first`
    /// one level deeper, it is shown once: `again`, the joins of its
    /// statement (the steps after it) and the levels they queued go.
    fn repeat(&mut self, again: Option<usize>, first: Option<usize>) {
        let Some(again) = again else { return };
        let alike = first.filter(|&first| {
            let (a, b) = (&self.steps[first], &self.steps[again]);
            a.sql == b.sql
                && a.strategy == b.strategy
                && matches!((a.relation, b.relation), (Some(x), Some(y)) if x.is_same(y))
        });
        match alike {
            Some(first) => {
                self.steps.truncate(again);
                self.queue
                    .retain(|q| q.producer.is_none_or(|producer| producer < again));
                self.steps[first].repeats = true;
            }
            None => self.steps[again].repeats = true,
        }
    }
}

/// Objects of `T` the sketched load would hold: their relations, applied
/// as [`Pending`](super::Pending) applies them.
struct LevelSketch<T> {
    place: Place,
    options: Vec<OptionNode>,
    deferred: Vec<&'static str>,
    _entity: std::marker::PhantomData<fn() -> T>,
}

impl<T: Entity> SketchLevel for LevelSketch<T> {
    fn explain(self: Box<Self>, sketch: &mut Sketch) {
        let place = &self.place;
        for relation in T::relations() {
            let meta = relation.meta();
            let RelationRule {
                option,
                strategy,
                is_way_back,
                children,
                narrowing,
            } = RelationRule::of(&self.options, meta, place.came_from);
            let path = format!("{}.{}", place.path, meta.name);
            match strategy {
                _ if is_way_back && strategy.is_eager() => {
                    let back = place.came_from.map_or_else(String::new, |c| c.path());
                    if meta.kind == RelationKind::ManyToOne {
                        sketch.mark_loaded(&place.set, meta);
                        sketch.add(
                            PlannedStep::new(path, Some(strategy), StepAction::FromIdentityMap)
                                .with_note(format!("the way back along {back}")),
                        );
                    } else {
                        sketch.add(
                            PlannedStep::new(path, Some(strategy), StepAction::WayBack)
                                .with_note(format!("the way back along {back}; loads on access")),
                        );
                    }
                }
                Strategy::Joined if self.deferred.contains(&meta.name) => {
                    sketch.on_access(
                        PlannedStep::new(path, Some(strategy), StepAction::OnAccess).with_note(
                            "joined, cut off by join_depth or the join limit: loads on access",
                        ),
                    );
                }
                Strategy::Joined | Strategy::Selectin => {
                    relation.explain(sketch, place, &children, narrowing, strategy);
                }
                _ => {
                    let by = if option.is_some() {
                        "set by an option"
                    } else {
                        "the mapping's strategy"
                    };
                    sketch.on_access(
                        PlannedStep::new(path, Some(strategy), StepAction::OnAccess).with_note(by),
                    );
                }
            }
        }
    }
}

/// The explanation of a query of `E` whose root statement is `statement`.
pub(crate) fn explain_root<E: Entity>(
    dialect: &'static dyn Dialect,
    statement: &RootStatement,
    params: Vec<Value>,
    options: &[OptionNode],
) -> Explain {
    let mut params = params;
    let (sql, _, level) = root_sql::<E>(dialect, statement, options, &mut params);
    let mut sketch = Sketch {
        dialect,
        steps: Vec::new(),
        queue: VecDeque::new(),
        loaded: Vec::new(),
    };
    let mut root = PlannedStep::new(E::META.name().to_owned(), None, StepAction::Root);
    root.sql = Some(sql);
    root.params = params;
    root.cost = StepCost::Single;
    sketch.add(root);
    let place = Place {
        set: Vec::new(),
        path: E::META.name().to_owned(),
        came_from: None,
        lineage: vec![LevelKey {
            entity: E::META,
            came_from: None,
            options: format!("{options:?}"),
            deferred: level.deferred.clone(),
            producer: None,
        }],
    };
    for state in &level.states {
        state.explain(&mut sketch, 0, &place);
    }
    // The roots' own relations come before what the joins queued, as in
    // `RootPlan`.
    let joined = std::mem::take(&mut sketch.queue);
    sketch.push::<E>(place, options, level.deferred);
    sketch.queue.extend(joined);
    while let Some(queued) = sketch.queue.pop_front() {
        queued.level.explain(&mut sketch);
    }
    Explain {
        steps: sketch.steps,
    }
}

/// A relation of a level loaded by the `IN` loader (`selectin`, or
/// `joined` where no statement joined it), as `Relation::plan_load` loads
/// it.
pub(crate) fn load<T: Entity>(
    sketch: &mut Sketch,
    relation: &'static RelationMeta,
    parent: &Place,
    options: &[OptionNode],
    narrowing: &Narrowing,
    strategy: Strategy,
) {
    let path = format!("{}.{}", parent.path, relation.name);
    if sketch.is_loaded(&parent.set, relation) {
        // Joined into the statement that loaded the level: not loaded
        // again, but the options below it reach its targets.
        if !options.is_empty() {
            let place =
                parent.below::<T>(relation, parent.targets_of(relation), options, &[], None);
            sketch.push::<T>(place, options, Vec::new());
        }
        return;
    }
    sketch.mark_loaded(&parent.set, relation);
    let back = parent.came_from.filter(|c| relation.is_reverse_of(c));
    if let (RelationKind::ManyToOne, Some(back)) = (relation.kind, back) {
        // An option followed the way back: the targets are the level
        // before, in the identity map.
        let mut step = PlannedStep::new(path, Some(strategy), StepAction::FromIdentityMap)
            .with_note(format!("targets loaded by {} before", back.path()));
        step.relation = Some(relation);
        let producer = sketch.add(step);
        let set = parent.set[..parent.set.len().saturating_sub(1)].to_vec();
        let place = parent.below::<T>(relation, set, options, &[], Some(producer));
        sketch.push::<T>(place, options, Vec::new());
        return;
    }
    let (statements, builder, joins) = in_joins::<T>(relation, sketch.dialect, options);
    let builder = (!joins.states.is_empty()).then(|| Arc::new(builder));
    let keyed = Keyed {
        statements,
        target: T::META,
        joins: builder,
        narrowing: narrowing.clone(),
    };
    let mut step = PlannedStep::new(path, Some(strategy), StepAction::InStatements);
    // The filter's values (the keys come after them, the joins' filters'
    // after the keys).
    let mut params = statements.key_placeholders(KeyCount::Any);
    step.sql = Some(
        statements
            .keyed(
                T::META,
                keyed.joins.as_deref(),
                KeyCount::Any,
                narrowing,
                &mut params,
            )
            .into_owned(),
    );
    step.params = params.into_iter().filter(|v| *v != Value::Null).collect();
    step.cost = StepCost::PerLevel {
        chunk_size: statements.chunk_size(relation),
    };
    step.relation = Some(relation);
    step.keyed = Some(keyed);
    if strategy == Strategy::Joined {
        step.note = Some("joined, at a level no statement joined it into: IN statements".into());
    }
    let producer = sketch.add(step);
    let place = parent.below::<T>(
        relation,
        parent.targets_of(relation),
        options,
        &joins.deferred,
        Some(producer),
    );
    for state in &joins.states {
        state.explain(sketch, producer, &place);
    }
    sketch.push::<T>(place, options, joins.deferred);
}

/// A relation joined into the statement of step `statement`, with the
/// relations joined below it (`children`), as `Joined::finish` queues them.
pub(crate) fn joined<T: Entity>(
    sketch: &mut Sketch,
    statement: usize,
    parent: &Place,
    relation: &'static RelationMeta,
    options: &[OptionNode],
    deferred: &[&'static str],
    children: &[Box<dyn JoinState<T>>],
) {
    sketch.mark_loaded(&parent.set, relation);
    let mut step = PlannedStep::new(
        format!("{}.{}", parent.path, relation.name),
        Some(Strategy::Joined),
        StepAction::InStatementOf(statement),
    );
    step.relation = Some(relation);
    let producer = sketch.add(step);
    let place = parent.below::<T>(
        relation,
        parent.targets_of(relation),
        options,
        deferred,
        Some(producer),
    );
    sketch.push::<T>(place.clone(), options, deferred.to_vec());
    for child in children {
        child.explain(sketch, statement, &place);
    }
}
