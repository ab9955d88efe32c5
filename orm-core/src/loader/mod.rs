//! Relationship loaders, one strategy per file, and the machinery they share:
//! the cascade that applies eager strategies to every set of loaded objects,
//! the join tree of `joined`, and the row loop that fills the identity map.

mod dynamic;
mod joined;
mod lazy;
mod options;
mod selectin;
mod sql;

use std::collections::VecDeque;
use std::sync::Arc;

pub use lazy::NPlusOneGuard;
pub(crate) use lazy::{LazyOptions, NPlusOneCounter};
pub(crate) use options::find as find_option;
pub use options::OptionNode;
pub use options::{bulk, joined, noload, raise, select, selectin, LoadOption};
pub use sql::RelationSql;

use crate::backend::Row;
use crate::relation::FILL;
use crate::relation::{Relation, RelationField, RelationMeta, Strategy};
use crate::session::IdentityMap;
use crate::{Entity, Result, Session, Value};

/// SQLite allows 64 tables in a join; stay well below it.
const MAX_JOINED_TABLES: usize = 48;

/// A relation of entity `P` with its target type erased, so loaders can walk
/// every relation of an entity. The derive lists them in
/// [`Entity::relations`].
#[doc(hidden)]
pub trait ErasedRelation<P: Entity>: Send + Sync + 'static {
    /// The relation's metadata.
    fn meta(&self) -> &'static RelationMeta;
    /// Whether the relation of `parent` holds a loaded value.
    fn is_loaded_on(&self, parent: &P) -> bool;
    /// Fixes or expires the relation of `parent` after a written row.
    #[doc(hidden)]
    fn follow_write(&self, parent: &P, written: &crate::relation::Written<'_>);
    /// Makes the relation of `parent` unloaded.
    #[doc(hidden)]
    fn clear_on(&self, parent: &P);
    /// Reports each target the relation of `parent` holds, by address, and
    /// whether its list is shared with a reader.
    #[doc(hidden)]
    fn edges(&self, parent: &P, edge: &mut dyn FnMut(usize, bool));
    /// The session `parent` belongs to, as its relation field records it.
    #[doc(hidden)]
    fn owner_of(&self, parent: &P) -> Option<u32>;
    /// Records the session `parent` belongs to.
    #[doc(hidden)]
    fn set_owner_of(&self, parent: &P, owner: u32);
    /// Loads the relation for every parent not loaded yet (`IN` statements).
    #[doc(hidden)]
    fn load_erased(
        &self,
        session: &mut Session,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()>;
    /// Fills a many-to-one from the identity map only, sending no SQL.
    #[doc(hidden)]
    fn fill_from_map(&self, session: &Session, parents: &[&P]);
    /// Records a per-query strategy on parents not loaded yet.
    #[doc(hidden)]
    fn mark(
        &self,
        session: &mut Session,
        parents: &[&P],
        strategy: Strategy,
        options: &[OptionNode],
    );
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
    fn meta(&self) -> &'static RelationMeta {
        self.meta
    }
    fn is_loaded_on(&self, parent: &P) -> bool {
        self.field(parent).is_loaded()
    }
    fn follow_write(&self, parent: &P, written: &crate::relation::Written<'_>) {
        Relation::follow_write(self, parent, written)
    }
    fn clear_on(&self, parent: &P) {
        Relation::clear_on(self, parent)
    }
    fn edges(&self, parent: &P, edge: &mut dyn FnMut(usize, bool)) {
        self.field(parent).visit(FILL, edge)
    }
    fn owner_of(&self, parent: &P) -> Option<u32> {
        self.field(parent).owner(FILL)
    }
    fn set_owner_of(&self, parent: &P, owner: u32) {
        self.field(parent).set_owner(FILL, owner)
    }
    fn load_erased(
        &self,
        session: &mut Session,
        parents: &[&P],
        options: &[OptionNode],
        cascade: &mut Cascade,
    ) -> Result<()> {
        self.load_for(session, parents, options, cascade)
    }
    fn fill_from_map(&self, session: &Session, parents: &[&P]) {
        self.fill_many_to_one_from_map(session, parents)
    }
    fn mark(
        &self,
        session: &mut Session,
        parents: &[&P],
        strategy: Strategy,
        options: &[OptionNode],
    ) {
        for parent in parents {
            let field = self.field(parent);
            if !field.is_loaded() {
                field.set_mode(FILL, strategy);
                if !options.is_empty() {
                    session
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

/// SQL fragments of a join tree under construction.
#[doc(hidden)]
#[derive(Default)]
pub struct JoinBuilder {
    pub(crate) select: String,
    pub(crate) from: String,
    pub(crate) order: Vec<String>,
    pub(crate) columns: usize,
    aliases: usize,
    /// Whether a joined collection repeats its parents' rows.
    pub(crate) multiplies_rows: bool,
}

impl JoinBuilder {
    fn starting_at(columns: usize) -> JoinBuilder {
        JoinBuilder {
            columns,
            ..JoinBuilder::default()
        }
    }

    pub(crate) fn next_alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases)
    }
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
        if (option.is_none() && repeats >= allowed) || builder.aliases >= MAX_JOINED_TABLES {
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
    fn run(self: Box<Self>, session: &mut Session, cascade: &mut Cascade) -> Result<()>;
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

    pub(crate) fn run(mut self, session: &mut Session) -> Result<()> {
        while let Some(pending) = self.queue.pop_front() {
            pending.run(session, &mut self)?;
        }
        Ok(())
    }
}

impl<T: Entity> PendingLoad for Pending<T> {
    fn run(self: Box<Self>, session: &mut Session, cascade: &mut Cascade) -> Result<()> {
        load_level(
            session,
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
    session: &mut Session,
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
                relation.fill_from_map(session, &objects);
            }
            // Cut off by `join_depth`: stays lazy. A joined relation the
            // statement filled is loaded, so the IN loader below skips it
            // and only loads objects the statement did not cover (targets
            // that came from the identity map).
            Strategy::Joined if deferred.contains(&meta.name) => {}
            Strategy::Joined | Strategy::Selectin => {
                relation.load_erased(session, &objects, children, cascade)?;
            }
            Strategy::Select | Strategy::Bulk | Strategy::Raise | Strategy::Noload
                if option.is_some() =>
            {
                relation.mark(session, &objects, strategy, children);
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
    session: &mut Session,
    sql: &str,
    params: &[Value],
    joins: &mut [Box<dyn JoinState<T>>],
    on_object: &mut OnObject<'_, T>,
) -> Result<()> {
    if joins.is_empty() {
        // Without joins the map of `T` is the only one the rows touch:
        // look it up once per statement.
        return session.send(sql, params.len(), |backend, identity| {
            let map = identity.typed_mut::<T>();
            backend.query(sql, params, &mut |row| {
                let object = map.get_or_decode(T::key_from_row(row, 0)?, || T::from_row(row, 0))?;
                on_object(object, row)
            })
        });
    }
    // Joined rows repeat their root object on consecutive rows.
    let mut previous: Option<(T::Key, Arc<T>)> = None;
    session.stream(sql, params, &mut |identity, row| {
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

/// Wraps an inner statement producing rows of `T` as alias `t0` and adds the
/// join tree: `SELECT t0.<cols>[, extra][, joined cols] FROM (inner) AS t0 ...`.
pub(crate) fn wrap_with_joins<T: Entity>(
    inner: &str,
    extra_columns: &str,
    builder: &JoinBuilder,
    root_order: &[String],
) -> String {
    let mut sql = format!("SELECT {}", T::META.column_list("t0."));
    sql.push_str(extra_columns);
    sql.push_str(&builder.select);
    sql.push_str(" FROM (");
    sql.push_str(inner);
    sql.push_str(") AS t0");
    sql.push_str(&builder.from);
    // Joined collections are ordered within their parent, so the parents'
    // rows stay grouped and in the parents' own order.
    let root_key: Vec<String> = if builder.order.is_empty() {
        Vec::new()
    } else {
        T::META.key_columns("t0.")
    };
    let order: Vec<&str> = root_order
        .iter()
        .chain(&root_key)
        .chain(&builder.order)
        .map(String::as_str)
        .collect();
    if !order.is_empty() {
        sql.push_str(" ORDER BY ");
        sql.push_str(&order.join(", "));
    }
    sql
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
    session: &mut Session,
    statement: RootStatement,
    params: &[Value],
    options: &[OptionNode],
) -> Result<Vec<Arc<E>>> {
    let mut builder = JoinBuilder::starting_at(E::META.columns.len());
    let mut level = build_joins::<E>(&mut builder, "t0", options, &mut Vec::new());
    let mut objects = Vec::new();
    if level.states.is_empty() {
        let sql = format!("{}{}", E::META.sql.select, statement.clauses);
        run_graph::<E>(session, &sql, params, &mut [], &mut |object, _| {
            objects.push(object);
            Ok(())
        })?;
    } else {
        let inner = format!(
            "SELECT * FROM {}{}",
            crate::query::quote_ident(E::META.table),
            statement.clauses
        );
        let sql = wrap_with_joins::<E>(&inner, "", &builder, &statement.order);
        // Only a joined collection repeats a parent's row.
        let mut seen = crate::hash::FastSet::default();
        let multiplies = builder.multiplies_rows;
        run_graph::<E>(
            session,
            &sql,
            params,
            &mut level.states,
            &mut |object, _| {
                if !multiplies || seen.insert(object.key()) {
                    objects.push(object);
                }
                Ok(())
            },
        )?;
    }
    let mut cascade = Cascade::default();
    for state in level.states {
        state.finish(&mut cascade);
    }
    load_level(
        session,
        &objects,
        options,
        None,
        &level.deferred,
        &mut cascade,
    )?;
    cascade.run(session)?;
    Ok(objects)
}
