//! Relationship loaders, one strategy per file, and the machinery they share:
//! the cascade that applies eager strategies to every set of loaded objects,
//! the join tree of `joined`, and the row loop that fills the identity map.

mod dynamic;
mod joined;
mod lazy;
mod options;
mod selectin;

use std::collections::VecDeque;
use std::sync::Arc;

pub(crate) use dynamic::condition as dynamic_condition;
pub(crate) use lazy::load;
pub use options::{bulk, joined, noload, raise, select, selectin, LoadOption};

use crate::engine::{Engine, IdentityMap};
use crate::relation::FILL;
use crate::relation::{Relation, RelationField};
use crate::schema::{find_option, OptionNode, Record, RelationCell, RelationMeta, Strategy};
use crate::sql::{wrap_with_joins, EntityStatements, JoinBuilder};
use crate::{Result, Row, Value};

/// A struct mapped to a table whose relations load: what every query,
/// load and write of a session takes. Implemented by `#[derive(Entity)]`,
/// together with [`Record`] (key, columns, decoding), which it extends with
/// the loaders of its relations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity",
    label = "not an entity",
    note = "add #[derive(Entity)] to `{Self}` to map it to a table"
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
    /// Loads the relation for every parent not loaded yet (`IN` statements).
    #[doc(hidden)]
    fn load_erased(
        &self,
        engine: &mut Engine,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()>;
    /// Fills a many-to-one from the identity map only, sending no SQL.
    #[doc(hidden)]
    fn fill_from_map(&self, engine: &Engine, parents: &[&P]);
    /// Records a per-query strategy on parents not loaded yet.
    #[doc(hidden)]
    fn mark(&self, engine: &mut Engine, parents: &[&P], strategy: Strategy, options: &[OptionNode]);
    /// Adds this relation to a join tree.
    #[doc(hidden)]
    fn join(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>>;
}

impl<P: Entity, T: Entity, F: RelationField<T>> ErasedRelation<P> for Relation<P, T, F> {
    fn load_erased(
        &self,
        engine: &mut Engine,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        self.load_for(engine, parents, options, cascade)
    }
    fn fill_from_map(&self, engine: &Engine, parents: &[&P]) {
        self.fill_many_to_one_from_map(engine, parents)
    }
    fn mark(
        &self,
        engine: &mut Engine,
        parents: &[&P],
        strategy: Strategy,
        options: &[OptionNode],
    ) {
        for parent in parents {
            let field = self.field(parent);
            if !field.is_loaded() {
                field.set_mode(FILL, strategy);
                if !options.is_empty() {
                    engine
                        .lazy_options
                        .remember::<P>(self.meta, parent.key(), options);
                }
            }
        }
    }
    fn join(
        &self,
        builder: &mut JoinBuilder,
        parent_alias: &str,
        options: &[OptionNode],
        path: &mut Vec<&'static RelationMeta>,
    ) -> Box<dyn JoinState<P>> {
        self.join_state(builder, parent_alias, options, path)
    }
}

/// The join tree's per-relation accumulator over the rows of one statement.
#[doc(hidden)]
pub trait JoinState<P: Entity> {
    /// Reads this relation's columns of `row`, whose parent object is `parent`.
    fn on_row(&mut self, identity: &mut IdentityMap, row: &dyn Row, parent: &Arc<P>) -> Result<()>;
    /// Stores what was gathered on the parents and queues the targets.
    fn finish(self: Box<Self>, cascade: &mut Cascade);
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
        let option = find_option(options, meta.name);
        let strategy = option.map_or(meta.lazy, |o| o.strategy);
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
        let children = option.map_or(&[][..], |o| &o.children[..]);
        level
            .states
            .push(relation.join(builder, alias, children, path));
    }
    level
}

/// Sets of loaded objects waiting for their eager relations, processed in
/// order without recursion, so trees of any depth load level by level.
#[doc(hidden)]
#[derive(Default)]
pub struct Cascade {
    queue: VecDeque<Box<dyn PendingLoad>>,
}

trait PendingLoad {
    fn run(self: Box<Self>, engine: &mut Engine, cascade: &mut Cascade) -> Result<()>;
}

/// Objects of `T` just loaded: `options` are the per-query options for their
/// relations, `came_from` the relation that reached them.
pub(crate) struct Pending<T: Entity> {
    pub(crate) objects: Vec<Arc<T>>,
    pub(crate) options: Vec<OptionNode>,
    pub(crate) came_from: Option<&'static RelationMeta>,
    pub(crate) deferred: Vec<&'static str>,
}

impl Cascade {
    pub(crate) fn push<T: Entity>(&mut self, pending: Pending<T>) {
        if !pending.objects.is_empty() && cascades::<T>(&pending.options) {
            self.queue.push_back(Box::new(pending));
        }
    }

    pub(crate) fn run(mut self, engine: &mut Engine) -> Result<()> {
        while let Some(pending) = self.queue.pop_front() {
            pending.run(engine, &mut self)?;
        }
        Ok(())
    }
}

impl<T: Entity> PendingLoad for Pending<T> {
    fn run(self: Box<Self>, engine: &mut Engine, cascade: &mut Cascade) -> Result<()> {
        load_level(
            engine,
            &self.objects,
            &self.options,
            self.came_from,
            &self.deferred,
            cascade,
        )
    }
}

/// Whether loading objects of `T` with `options` can load anything more: an
/// eager relation or an option. Loaders collect targets for the next level
/// only when it can.
pub(crate) fn cascades<T: Entity>(options: &[OptionNode]) -> bool {
    !options.is_empty() || T::relations().iter().any(|r| r.meta().lazy.is_eager())
}

/// Applies the eager strategies and per-query options of `T`'s relations to
/// `objects`, queueing what they load for the next level.
fn load_level<T: Entity>(
    engine: &mut Engine,
    objects: &[Arc<T>],
    options: &[OptionNode],
    came_from: Option<&'static RelationMeta>,
    deferred: &[&'static str],
    cascade: &mut Cascade,
) -> Result<()> {
    if objects.is_empty() || !cascades::<T>(options) {
        return Ok(());
    }
    let objects: Vec<&T> = objects.iter().map(|o| o.as_ref()).collect();
    for relation in T::relations() {
        let meta = relation.meta();
        let option = find_option(options, meta.name);
        let strategy = option.map_or(meta.lazy, |o| o.strategy);
        // Only the mapping's defaults stop on the way back; an explicit
        // option there is followed.
        let is_way_back = option.is_none() && came_from.is_some_and(|c| meta.is_reverse_of(c));
        let children = option.map_or(&[][..], |o| &o.children[..]);
        match strategy {
            _ if is_way_back && strategy.is_eager() => {
                // Never walk back along the path: a to-one reverse side
                // is filled from the identity map, a collection stays lazy.
                relation.fill_from_map(engine, &objects);
            }
            // Cut off by `join_depth`: stays lazy. A joined relation the
            // statement filled is loaded, so the IN loader below skips it
            // and only loads objects the statement did not cover (targets
            // that came from the identity map).
            Strategy::Joined if deferred.contains(&meta.name) => {}
            Strategy::Joined | Strategy::Selectin => {
                relation.load_erased(engine, &objects, children, cascade)?;
            }
            Strategy::Select | Strategy::Bulk | Strategy::Raise | Strategy::Noload
                if option.is_some() =>
            {
                relation.mark(engine, &objects, strategy, children);
            }
            _ => {}
        }
    }
    Ok(())
}

/// What the row loop calls with each row's root object and the row.
/// The object is handed over: a caller that keeps it takes no extra count.
pub(crate) type OnObject<'a, T> = dyn FnMut(Arc<T>, &dyn Row) -> Result<()> + 'a;

/// Runs `sql` and hands every row's root object (from the identity map, or
/// decoded and registered) to `on_object`, feeding the join tree as it goes.
pub(crate) fn run_graph<T: Entity>(
    engine: &mut Engine,
    sql: &str,
    params: &[Value],
    joins: &mut [Box<dyn JoinState<T>>],
    on_object: &mut OnObject<'_, T>,
) -> Result<()> {
    if joins.is_empty() {
        // Without joins the map of `T` is the only one the rows touch:
        // look it up once per statement.
        return engine.send(sql, params.len(), |backend, identity| {
            let map = identity.typed_mut::<T>();
            backend.query(sql, params, &mut |row| {
                let object = map.get_or_decode(T::key_from_row(row, 0)?, || T::from_row(row, 0))?;
                on_object(object, row)
            })
        });
    }
    // Joined rows repeat their root object on consecutive rows.
    let mut previous: Option<(T::Key, Arc<T>)> = None;
    engine.stream(sql, params, &mut |identity, row| {
        let key = T::key_from_row(row, 0)?;
        let object = match previous.take() {
            Some((last_key, last)) if last_key == key => last,
            _ => identity
                .typed_mut::<T>()
                .get_or_decode(key.clone(), || T::from_row(row, 0))?,
        };
        on_object(Arc::clone(&object), row)?;
        for join in joins.iter_mut() {
            join.on_row(identity, row, &object)?;
        }
        previous = Some((key, object));
        Ok(())
    })
}

/// The statement of root objects: WHERE, ORDER BY and LIMIT clauses on
/// unqualified columns, and the ORDER BY terms qualified by `t0` that the
/// wrapped form repeats outside.
pub(crate) struct RootStatement {
    pub(crate) clauses: String,
    pub(crate) order: Vec<String>,
}

/// Loads the objects of a query with their eager relations: joined ones in
/// the same statement (parents de-duplicated, LIMIT applied to parents
/// inside the wrapped query), then selectin ones and everything they cascade to.
pub(crate) fn load_roots<E: Entity>(
    engine: &mut Engine,
    statement: RootStatement,
    params: &[Value],
    options: &[OptionNode],
) -> Result<Vec<Arc<E>>> {
    let dialect = engine.dialect;
    let statements = EntityStatements::of(E::META, dialect);
    let mut builder = JoinBuilder::starting_at(dialect, E::META.columns.len());
    let mut level = build_joins::<E>(&mut builder, "t0", options, &mut Vec::new());
    let mut objects = Vec::new();
    if level.states.is_empty() {
        let sql = format!("{}{}", statements.select, statement.clauses);
        run_graph::<E>(engine, &sql, params, &mut [], &mut |object, _| {
            objects.push(object);
            Ok(())
        })?;
    } else {
        let inner = format!("{}{}", statements.select_star, statement.clauses);
        let sql = wrap_with_joins(E::META, &inner, "", &builder, &statement.order);
        // Only a joined collection repeats a parent's row.
        let mut seen = crate::hash::FastSet::default();
        let multiplies = builder.multiplies_rows();
        run_graph::<E>(engine, &sql, params, &mut level.states, &mut |object, _| {
            if !multiplies || seen.insert(object.key()) {
                objects.push(object);
            }
            Ok(())
        })?;
    }
    let mut cascade = Cascade::default();
    for state in level.states {
        state.finish(&mut cascade);
    }
    load_level(
        engine,
        &objects,
        options,
        None,
        &level.deferred,
        &mut cascade,
    )?;
    cascade.run(engine)?;
    Ok(objects)
}
