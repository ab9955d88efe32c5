//! Loader option paths as data: which relation, which strategy, and the
//! options for its targets. Built by the typed option functions of the
//! loaders (`joined(Author::BOOKS).then(...)`).

use super::meta::{RelationMeta, Strategy};

/// The relation name of a wildcard step: every relation of its entity not
/// named by a step of its own.
pub(crate) const WILDCARD: &str = "*";

/// One step of an option path, erased: which relation, which strategy
/// (`None`: the mapping's, a step that only leads to the next), and the
/// options for the relation's targets.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct OptionNode {
    pub(crate) relation: &'static str,
    pub(crate) strategy: Option<Strategy>,
    pub(crate) children: Vec<OptionNode>,
}

impl OptionNode {
    /// The strategy this step sets for `relation`.
    pub(crate) fn strategy_for(&self, relation: &RelationMeta) -> Strategy {
        self.strategy.unwrap_or(relation.lazy)
    }
}

/// Finds the option for `relation` among `options`: a step naming it, else
/// a wildcard step (which a `dynamic` relation, a query, never takes).
pub(crate) fn find_option<'o>(
    options: &'o [OptionNode],
    relation: &RelationMeta,
) -> Option<&'o OptionNode> {
    options
        .iter()
        .find(|o| o.relation == relation.name)
        .or_else(|| {
            (relation.lazy != Strategy::Dynamic)
                .then(|| options.iter().find(|o| o.relation == WILDCARD))
                .flatten()
        })
}
