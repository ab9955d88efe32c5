//! Loads on access: `select` (one object), `bulk` (every similar object in
//! the session), and the refusals `raise` and `noload`.

use crate::Handle;

use super::{Cascade, Entity, LoadPlan, Parents};
use crate::engine::Engine;
use crate::engine::PlanContext;
use crate::options::{Narrowing, OptionNode};
use crate::relation::FILL;
use crate::relation::{Link, Loadable, Relation};
use crate::schema::Strategy;
use crate::{Error, Result};

/// Loads `relation` of `parent` if it is not loaded yet, by the strategy in
/// force for that object (see `Session::load`).
pub(crate) fn load<P: Entity, T: Entity, F: Loadable<T>>(
    engine: &mut Engine,
    relation: Relation<P, T, F>,
    parent: &P,
) -> Result<F::Loaded> {
    if let Some(answer) = answer_without_session(engine.id, relation, parent) {
        return answer;
    }
    let field = relation.field(parent);
    let meta = relation.meta;
    let cascade = Cascade::default();
    // The mapping's strategy comes from the relation constant, so objects
    // built by hand (insert, update) follow it too.
    let strategy_of = |field: &F| field.mode().unwrap_or(meta.lazy);
    let strategy = strategy_of(field);
    match strategy {
        Strategy::Raise => {
            return Err(Error::RelationRefused {
                entity: meta.owner,
                relation: meta.name,
            })
        }
        Strategy::Noload | Strategy::Dynamic => return field.read(),
        Strategy::Bulk => {
            let mut live = engine.identity.live::<P>();
            // The map hands objects out in hash order; in address order
            // (about the order they were loaded) the walk below stays
            // cache-friendly.
            live.sort_unstable_by_key(|p| Handle::as_ptr(p) as usize);
            let mut parents: Vec<&P> = live
                .iter()
                .map(|p| p.as_ref())
                .filter(|p| {
                    let f = relation.field(p);
                    !f.is_loaded() && strategy_of(f) == Strategy::Bulk
                })
                .collect();
            parents.push(parent);
            let (narrowing, options) = engine.lazy_options.take::<P>(meta, &parents);
            run(
                engine,
                relation,
                Parents::Borrowed(parents),
                &narrowing,
                &options,
                cascade,
            )?;
        }
        Strategy::Select | Strategy::Joined | Strategy::Selectin | Strategy::RaiseOnSql => {
            // A many-to-one served by the identity map, with nothing to
            // cascade: store it and return without the loader's machinery.
            if let Link::ManyToOne { foreign_key } = relation.link {
                let served = match foreign_key(parent) {
                    None => Some(None),
                    Some(key) => engine.cached::<T>(&key).map(Some),
                };
                if let Some(target) = served {
                    if !has_eager_relations::<T>() && !engine.lazy_options.has(meta) {
                        field.store_one(FILL, target);
                        return field.read();
                    }
                }
            }
            if relation.needs_statement(engine, parent) {
                if strategy == Strategy::RaiseOnSql {
                    return Err(Error::RelationRefused {
                        entity: meta.owner,
                        relation: meta.name,
                    });
                }
                engine.n_plus_one.check(meta)?;
            }
            let (narrowing, options) = engine.lazy_options.take::<P>(meta, &[parent]);
            run(
                engine,
                relation,
                Parents::Borrowed(vec![parent]),
                &narrowing,
                &options,
                cascade,
            )?;
        }
    }
    relation.field(parent).read()
}

/// What [`load`] answers from `parent` alone, for session number
/// `session`: another session's object is refused, a loaded relation is
/// read; `None` when the load needs the session's state (the async session
/// answers the first two without a hop to its thread).
pub(crate) fn answer_without_session<P: Entity, T: Entity, F: Loadable<T>>(
    session: u32,
    relation: Relation<P, T, F>,
    parent: &P,
) -> Option<Result<F::Loaded>> {
    if let Err(refused) = crate::engine::check_owner(session, parent, false) {
        return Some(Err(refused));
    }
    let field = relation.field(parent);
    field.is_loaded().then(|| field.read())
}

/// Whether loading `T` objects can cascade to more loads.
fn has_eager_relations<T: Entity>() -> bool {
    T::relations().iter().any(|r| r.meta().lazy.is_eager())
}

impl<P: Entity, T: Entity, F> Relation<P, T, F> {
    /// Whether loading this relation for `parent` alone would send SQL: not
    /// for a many-to-one whose key is NULL or whose target is in the map.
    fn needs_statement(&self, engine: &Engine, parent: &P) -> bool {
        match self.link {
            Link::ManyToOne { foreign_key } => {
                foreign_key(parent).is_some_and(|key| engine.cached::<T>(&key).is_none())
            }
            _ => true,
        }
    }
}

/// Plans the load of `relation` for `parents` and runs it with the sync
/// driver.
fn run<P: Entity, T: Entity, F: Loadable<T>>(
    engine: &mut Engine,
    relation: Relation<P, T, F>,
    parents: Parents<'_, P>,
    narrowing: &Narrowing,
    options: &[OptionNode],
    mut cascade: Cascade,
) -> Result<()> {
    let mut cx = PlanContext::new(
        &mut engine.identity,
        &mut engine.lazy_options,
        engine.dialect,
    );
    let step = relation.plan_load(&mut cx, parents, options, narrowing, &mut cascade)?;
    engine.run_plan(&mut LoadPlan::new(step, cascade))
}
