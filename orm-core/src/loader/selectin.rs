//! The `IN` loader: `selectin` runs it right after the parents, `bulk` on
//! first access for every unloaded object of the type, `select` for one
//! object. Keys are de-duplicated, sorted and sent in chunks; rows are
//! grouped as they stream in.

use crate::Handle;

use super::{build_joins, Cascade, Entity, JoinLevel, Parents, Pending, RowObjects, Step};
use crate::engine::{IdentityMap, PlanContext, Statement};
use crate::hash::{FastMap, FastSet};
use crate::options::{Narrowing, OptionNode};
use crate::relation::FILL;
use crate::relation::{Link, Relation, RelationField};
use crate::schema::{RelationKind, RelationMeta};
use crate::sql::{Dialect, JoinBuilder, KeyCount, RelationStatements};
use crate::{Error, Result, Row, Value};

/// Groups smaller than this check for a repeated target by scanning; larger
/// ones keep a set.
const SCAN_LIMIT: usize = 16;

/// The targets gathered for one owner, each once: a duplicated association
/// row, or a joined collection of the target, repeats a target's row.
pub(crate) struct Group<T: Entity> {
    pub(crate) targets: Vec<Handle<T>>,
    // Boxed: most groups never need it, and every group is kept until the
    // load ends.
    index: Option<Box<FastSet<T::Key>>>,
}

impl<T: Entity> Default for Group<T> {
    fn default() -> Self {
        Group {
            targets: Vec::new(),
            index: None,
        }
    }
}

impl<T: Entity> Group<T> {
    /// Adds `target` unless the group has it; true when added.
    pub(crate) fn add(&mut self, target: &Handle<T>) -> bool {
        if self.index.is_none() && self.targets.len() >= SCAN_LIMIT {
            self.index = Some(Box::new(self.targets.iter().map(|t| t.key()).collect()));
        }
        let new = match &mut self.index {
            Some(index) => index.insert(target.key()),
            None => !self.targets.iter().any(|t| Handle::ptr_eq(t, target)),
        };
        if new {
            self.targets.push(Handle::clone(target));
        }
        new
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> Relation<P, T, F> {
    /// The step loading this relation for every parent in `parents` not
    /// loaded yet; `None` when no statement is needed.
    pub(crate) fn plan_load<'a>(
        &self,
        cx: &mut PlanContext<'_>,
        parents: Parents<'a, P>,
        options: &[OptionNode],
        narrowing: &Narrowing,
        cascade: &mut Cascade,
    ) -> Result<Option<Box<dyn Step + 'a>>> {
        // A parent listed twice is harmless: keys are de-duplicated before
        // the IN list, and a relation is stored once.
        if let Link::ManyToOne { foreign_key } = self.link {
            return Ok(self.plan_many_to_one(cx, parents, foreign_key, options, cascade));
        }
        // A load of the whole relation replaces a part loaded before; a
        // narrowed load replaces nothing.
        let partial = narrowing.is_partial();
        let pending: Vec<usize> = (0..parents.len())
            .filter(|&i| {
                let field = self.field(parents.get(i));
                if partial {
                    !field.is_loaded()
                } else {
                    !field.is_whole(FILL)
                }
            })
            .collect();
        let already = self.targets_already_loaded(&parents, options, cascade);
        if pending.is_empty() {
            cascade.push(Pending::new(already, options, Some(self.meta), Vec::new()));
            return Ok(None);
        }
        let keys = sorted_keys(pending.iter().map(|&i| parents.get(i).key()));
        let mut groups: FastMap<P::Key, Group<T>> = FastMap::default();
        groups.reserve(keys.len());
        let gather = Collections {
            relation: *self,
            parents,
            pending,
            groups,
            cascades: super::cascades::<T>(options),
            targets: already,
            partial: narrowing.is_partial(),
        };
        Ok(Some(Box::new(InStep::new(
            *self,
            cx,
            keys,
            P::key_values,
            options,
            narrowing.clone(),
            gather,
        ))))
    }

    /// Many-to-one: each distinct key once, however many parents name it.
    /// Targets in the identity map are stored on the parents at once; the
    /// step, if any, fetches the others. Only distinct keys are collected
    /// and sorted, not one per parent.
    fn plan_many_to_one<'a>(
        &self,
        cx: &mut PlanContext<'_>,
        parents: Parents<'a, P>,
        foreign_key: fn(&P) -> Option<T::Key>,
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Option<Box<dyn Step + 'a>> {
        let already = self.targets_already_loaded(&parents, options, cascade);
        let mut by_key: FastMap<T::Key, Target<T>> = FastMap::default();
        let mut missing = Vec::new();
        let map = cx.identity.typed_mut::<T>();
        for parent in parents.iter() {
            if self.field(parent).is_loaded() {
                continue;
            }
            let target = match foreign_key(parent) {
                None => None,
                Some(key) => {
                    let entry = by_key.entry(key).or_insert_with_key(|key| {
                        let found = map.get(key);
                        if found.is_none() {
                            missing.push(key.clone());
                        }
                        Target {
                            from_map: found.is_some(),
                            found,
                        }
                    });
                    if !entry.from_map {
                        continue;
                    }
                    entry.found.clone()
                }
            };
            // Targets already in the identity map cost no SQL.
            self.field(parent).store_one(FILL, target);
        }
        let gather = ManyToOne {
            relation: *self,
            parents,
            foreign_key,
            by_key,
            cascades: super::cascades::<T>(options),
            already,
        };
        if missing.is_empty() {
            // Everything came from the map: nothing to send, the targets
            // go on to their own level.
            let targets = gather.targets();
            cascade.push(Pending::new(targets, options, Some(self.meta), Vec::new()));
            return None;
        }
        missing.sort_unstable();
        Some(Box::new(InStep::new(
            *self,
            cx,
            missing,
            T::key_values,
            options,
            Narrowing::default(),
            gather,
        )))
    }

    /// The targets of `parents` whose relation is loaded already, when
    /// options written for this step's targets go on below it: the relation
    /// is not loaded again, but those options reach its targets. Under a
    /// recursive option only targets this load has not reached yet go on,
    /// so a loop in the data ends the recursion.
    fn targets_already_loaded(
        &self,
        parents: &Parents<'_, P>,
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Vec<Handle<T>> {
        let mut targets = Vec::new();
        if options.is_empty() {
            return targets;
        }
        for parent in parents.iter() {
            self.field(parent)
                .each_target(FILL, &mut |target| targets.push(Handle::clone(target)));
        }
        if options.iter().any(|o| o.repeated) {
            for parent in parents.iter() {
                cascade.reach(parent);
            }
            targets.retain(|target| cascade.reach(target.as_ref()));
        }
        targets
    }

    /// Fills a many-to-one from the identity map alone: the way back along a
    /// path that just loaded the targets. Objects whose target is not in the
    /// map stay unloaded.
    pub(crate) fn fill_many_to_one_from_map(&self, identity: &IdentityMap, parents: &[Handle<P>]) {
        let Link::ManyToOne { foreign_key } = self.link else {
            return;
        };
        for parent in parents {
            let field = self.field(parent);
            if field.is_loaded() {
                continue;
            }
            match foreign_key(parent) {
                None => {
                    field.store_one(FILL, None);
                }
                Some(key) => {
                    if let Some(target) = identity.get::<T>(&key) {
                        field.store_one(FILL, Some(target));
                    }
                }
            }
        }
    }
}

/// What an `IN` step does with each fetched target (and, for many-to-many,
/// the owner key read from the association table), and once all are in.
trait Gather<P: Entity, T: Entity> {
    fn target(&mut self, target: Handle<T>, owner: Option<P::Key>);
    fn finish(
        self,
        options: &[OptionNode],
        deferred: Vec<&'static str>,
        cascade: &mut Cascade,
    ) -> Result<()>;
}

/// The `IN` statements for `keys`, `chunk_size` keys each, with the
/// target's joined relations in the same statements.
struct InStep<P: Entity, T: Entity, F, K, G> {
    relation: Relation<P, T, F>,
    statements: &'static RelationStatements,
    builder: JoinBuilder,
    joins: JoinLevel<T>,
    keys: Vec<K>,
    bind: fn(&K, &mut Vec<Value>),
    /// How many keys the statements yielded so far cover.
    sent: usize,
    /// The filter and per-parent limit on the targets.
    narrowing: Narrowing,
    options: Vec<OptionNode>,
    rows: RowObjects<T>,
    gather: G,
}

impl<P: Entity, T: Entity, F, K, G> InStep<P, T, F, K, G> {
    fn new(
        relation: Relation<P, T, F>,
        cx: &mut PlanContext<'_>,
        keys: Vec<K>,
        bind: fn(&K, &mut Vec<Value>),
        options: &[OptionNode],
        narrowing: Narrowing,
        gather: G,
    ) -> Self {
        let (statements, builder, joins) = in_joins::<T>(relation.meta, cx.dialect, options);
        InStep {
            relation,
            statements,
            builder,
            joins,
            keys,
            bind,
            sent: 0,
            narrowing,
            options: options.to_vec(),
            rows: RowObjects::default(),
            gather,
        }
    }
}

/// The statements of `relation` and the joins of its targets `T` that its
/// `IN` statements carry: what a step sends, and what `explain` shows.
pub(crate) fn in_joins<T: Entity>(
    relation: &'static RelationMeta,
    dialect: &'static dyn Dialect,
    options: &[OptionNode],
) -> (&'static RelationStatements, JoinBuilder, JoinLevel<T>) {
    let statements = RelationStatements::of(relation, dialect);
    let mut builder =
        JoinBuilder::starting_at(dialect, T::META.columns.len() + statements.link_width);
    let mut path = vec![relation];
    let joins = build_joins::<T>(&mut builder, "t0", options, &mut path);
    (statements, builder, joins)
}

impl<P: Entity, T: Entity, F, K, G: Gather<P, T>> Step for InStep<P, T, F, K, G> {
    fn next_statement(&mut self, _cx: &mut PlanContext<'_>) -> Result<Option<Statement>> {
        // One array parameter holds every key (PostgreSQL's `= ANY($1)`),
        // unless the mapping asked for chunks.
        let chunk_size = (self.statements)
            .chunk_size(self.relation.meta)
            .unwrap_or(self.keys.len());
        let chunk = &self.keys[self.sent..(self.sent + chunk_size).min(self.keys.len())];
        if chunk.is_empty() {
            return Ok(None);
        }
        self.sent += chunk.len();
        let keys = KeyCount::Exactly(chunk.len());
        let array = self.statements.binds_array_for(keys);
        let mut params = Vec::with_capacity(chunk.len());
        for key in chunk {
            (self.bind)(key, &mut params);
        }
        if array {
            params = vec![Value::List(params)];
        }
        let joins = (!self.joins.states.is_empty()).then_some(&self.builder);
        let sql = self
            .statements
            .keyed(T::META, joins, keys, &self.narrowing, &mut params);
        self.rows.reset();
        Ok(Some(Statement { sql, params }))
    }

    fn begin_rows(&mut self) {
        self.rows.reset();
    }

    fn relation(&self) -> &'static RelationMeta {
        self.relation.meta
    }

    fn reaches_beyond_targets(&self) -> bool {
        !self.options.is_empty() || !self.joins.states.is_empty()
    }

    fn on_row(&mut self, cx: &mut PlanContext<'_>, row: &dyn Row) -> Result<()> {
        let object = self.rows.object(cx.identity, row, &mut self.joins.states)?;
        let owner = if self.statements.link_width > 0 {
            Some(P::key_at(row, T::META.columns.len())?)
        } else {
            None
        };
        self.gather.target(object, owner);
        Ok(())
    }

    fn finish(self: Box<Self>, _cx: &mut PlanContext<'_>, cascade: &mut Cascade) -> Result<()> {
        let InStep {
            joins,
            options,
            gather,
            ..
        } = *self;
        for state in joins.states {
            state.finish(cascade);
        }
        gather.finish(&options, joins.deferred, cascade)
    }
}

/// One-to-many, one-to-one and many-to-many: rows are grouped by the owner
/// key read from the target (or from the association table).
struct Collections<'a, P: Entity, T: Entity, F> {
    relation: Relation<P, T, F>,
    parents: Parents<'a, P>,
    /// The parents not loaded when the step began, by position.
    pending: Vec<usize>,
    groups: FastMap<P::Key, Group<T>>,
    cascades: bool,
    targets: Vec<Handle<T>>,
    /// Whether a per-parent limit loads only part of each collection.
    partial: bool,
}

impl<P: Entity, T: Entity, F: RelationField<T>> Gather<P, T> for Collections<'_, P, T, F> {
    fn target(&mut self, target: Handle<T>, owner: Option<P::Key>) {
        let owner = match (self.relation.link, owner) {
            (_, Some(owner)) => owner,
            (Link::Remote { foreign_key, .. }, None) => match foreign_key(&target) {
                Some(owner) => owner,
                None => return,
            },
            _ => return,
        };
        if self.groups.entry(owner).or_default().add(&target) && self.cascades {
            self.targets.push(target);
        }
    }

    fn finish(
        mut self,
        options: &[OptionNode],
        deferred: Vec<&'static str>,
        cascade: &mut Cascade,
    ) -> Result<()> {
        let mut several = 0;
        for &i in &self.pending {
            let parent = self.parents.get(i);
            let group = self.groups.remove(&parent.key()).unwrap_or_default();
            several += usize::from(group.targets.len() > 1);
            let field = self.relation.field(parent);
            if self.partial {
                field.store_partial(FILL, group.targets);
            } else {
                field.store(FILL, group.targets);
            }
        }
        if self.relation.meta.kind == RelationKind::OneToOne {
            super::warn_several_rows(self.relation.meta, several);
        }
        cascade.push(Pending::new(
            self.targets,
            options,
            Some(self.relation.meta),
            deferred,
        ));
        Ok(())
    }
}

/// Many-to-one: the target of each distinct key, stored on every parent
/// naming it once the statements ran.
struct ManyToOne<'a, P: Entity, T: Entity, F> {
    relation: Relation<P, T, F>,
    parents: Parents<'a, P>,
    foreign_key: fn(&P) -> Option<T::Key>,
    by_key: FastMap<T::Key, Target<T>>,
    cascades: bool,
    /// Targets of parents loaded before, for the options below.
    already: Vec<Handle<T>>,
}

impl<P: Entity, T: Entity, F> ManyToOne<'_, P, T, F> {
    /// The targets for the next level (none when it has nothing to load).
    fn targets(self) -> Vec<Handle<T>> {
        let mut targets = self.already;
        if self.cascades {
            targets.extend(self.by_key.into_values().filter_map(|e| e.found));
        }
        targets
    }
}

impl<P: Entity, T: Entity, F: RelationField<T>> Gather<P, T> for ManyToOne<'_, P, T, F> {
    fn target(&mut self, target: Handle<T>, _owner: Option<P::Key>) {
        if let Some(entry) = self.by_key.get_mut(&target.key()) {
            entry.found.get_or_insert(target);
        }
    }

    fn finish(
        self,
        options: &[OptionNode],
        deferred: Vec<&'static str>,
        cascade: &mut Cascade,
    ) -> Result<()> {
        let relation = self.relation;
        let mut dangling = None;
        // Parents still unloaded now are those waiting for the statements
        // (the others were loaded before or served by the map).
        for parent in self.parents.iter() {
            if relation.field(parent).is_loaded() {
                continue;
            }
            let Some(key) = (self.foreign_key)(parent) else {
                continue;
            };
            let Some(entry) = self.by_key.get(&key).filter(|e| !e.from_map) else {
                continue;
            };
            match &entry.found {
                Some(target) => {
                    relation
                        .field(parent)
                        .store_one(FILL, Some(Handle::clone(target)));
                }
                // A dangling nullable key reads as absent.
                None if relation.meta.optional => {
                    relation.field(parent).store_one(FILL, None);
                }
                None => dangling = Some(key),
            }
        }
        let targets = self.targets();
        cascade.push(Pending::new(
            targets,
            options,
            Some(relation.meta),
            deferred,
        ));
        if let Some(key) = dangling {
            return Err(Error::MissingRelated {
                entity: relation.meta.owner,
                relation: relation.meta.name,
                key: format!("{key:?}"),
            });
        }
        Ok(())
    }
}

/// The target of one distinct many-to-one key.
struct Target<T> {
    /// Found in the identity map before any statement (and stored on the
    /// parents then); otherwise what the statement found, if anything.
    from_map: bool,
    found: Option<Handle<T>>,
}

/// Keys de-duplicated and sorted, so the SQL and its parameters are
/// deterministic.
fn sorted_keys<K: Ord>(keys: impl Iterator<Item = K>) -> Vec<K> {
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}
