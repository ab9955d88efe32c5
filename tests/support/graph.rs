//! Helpers shared by the relationship tests: read a loaded object graph as
//! keys, so strategies can be compared with `select`, and count statements.

#![allow(dead_code)]

use eagerly::relation::Loadable;
use eagerly::Handle;
use eagerly::{Entity, LoadState, Many, One, Record, Relation, Session};

/// Reading a loaded relation field as a list of targets, whatever its kind.
pub trait Targets<T: Entity> {
    /// The loaded targets (0 or 1 for a `One`), without a session.
    fn targets(&self) -> eagerly::Result<Vec<Handle<T>>>;
    /// The load state.
    fn load_state(&self) -> LoadState;
}

impl<T: Entity> Targets<T> for One<T> {
    fn targets(&self) -> eagerly::Result<Vec<Handle<T>>> {
        Ok(self.get()?.into_iter().collect())
    }
    fn load_state(&self) -> LoadState {
        self.state()
    }
}

impl<T: Entity> Targets<T> for Many<T> {
    fn targets(&self) -> eagerly::Result<Vec<Handle<T>>> {
        Ok(self.get()?.to_vec())
    }
    fn load_state(&self) -> LoadState {
        self.state()
    }
}

/// One parent's key and its targets' keys, in relation order.
pub type Graph<P, T> = Vec<(<P as Record>::Key, Vec<<T as Record>::Key>)>;

/// The graph of `relation` over `parents`, read without a session: every
/// relation must be loaded already (panics otherwise, naming the parent).
pub fn graph_of<P: Entity, T: Entity, F: Targets<T>>(
    relation: Relation<P, T, F>,
    parents: &[Handle<P>],
) -> Graph<P, T> {
    parents
        .iter()
        .map(|p| {
            let targets = relation
                .field(p)
                .targets()
                .unwrap_or_else(|e| panic!("{:?} of {:?} is not readable: {e}", relation, p.key()));
            (p.key(), targets.iter().map(|t| t.key()).collect())
        })
        .collect()
}

/// Loads `relation` of every parent through `session.load` (the object's
/// strategy), then reads the graph. With `EAGERLY_MODE=async` each load is
/// awaited through the async session (support::mode).
pub fn load_graph<P: Entity, T: Entity, F: Loadable<T> + Targets<T>>(
    session: &mut Session,
    relation: Relation<P, T, F>,
    parents: &[Handle<P>],
) -> Graph<P, T> {
    #[cfg(feature = "async")]
    if super::mode::is_async() {
        super::mode::through_async(session, async |session| {
            for parent in parents {
                session
                    .load(relation, parent)
                    .await
                    .unwrap_or_else(|e| panic!("loading {relation:?} of {:?}: {e}", parent.key()));
            }
        });
        return graph_of(relation, parents);
    }
    for parent in parents {
        session
            .load(relation, parent)
            .unwrap_or_else(|e| panic!("loading {relation:?} of {:?}: {e}", parent.key()));
    }
    graph_of(relation, parents)
}

/// Whether every parent's relation is loaded.
pub fn all_loaded<P: Entity, T: Entity, F: Targets<T>>(
    relation: Relation<P, T, F>,
    parents: &[Handle<P>],
) -> bool {
    parents
        .iter()
        .all(|p| relation.field(p).load_state() == LoadState::Loaded)
}

/// Runs `work` with the statement log reset and returns its result and the
/// number of statements it sent.
pub fn counted<R>(session: &mut Session, work: impl FnOnce(&mut Session) -> R) -> (R, u64) {
    session.reset_statements();
    let result = work(session);
    (result, session.statement_count())
}

/// Statements of a chunked `IN` load of `keys` keys.
pub fn chunks(keys: usize, chunk: usize) -> u64 {
    keys.div_ceil(chunk) as u64
}

/// The distinct target keys of a graph.
pub fn distinct_targets<K: Ord + Clone, T: Ord + Clone>(graph: &[(K, Vec<T>)]) -> Vec<T> {
    let mut keys: Vec<T> = graph.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// SQL of the logged statements, oldest first.
pub fn sqls(session: &Session) -> Vec<String> {
    session.statements().iter().map(|s| s.sql.clone()).collect()
}

/// Parameter counts of the logged statements, oldest first.
pub fn param_counts(session: &Session) -> Vec<usize> {
    session.statements().iter().map(|s| s.params).collect()
}

/// Asserts that `result` is [`eagerly::Error::Misuse`] whose message starts
/// with `starts`: a query refused before anything is sent.
pub fn assert_misuse<T: std::fmt::Debug>(result: eagerly::Result<T>, starts: &str) {
    match result {
        Err(eagerly::Error::Misuse(why)) => assert!(why.starts_with(starts), "{why}"),
        other => panic!("{starts}: {other:?}"),
    }
}
