//! Loader option paths as data: which relation, which strategy, and the
//! options for its targets. Built by the typed option functions of the
//! loaders (`joined(Author::BOOKS).then(...)`).

use super::meta::Strategy;

/// One step of an option path, erased: which relation, which strategy, and
/// the options for the relation's targets.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct OptionNode {
    pub(crate) relation: &'static str,
    pub(crate) strategy: Strategy,
    pub(crate) children: Vec<OptionNode>,
}

/// Finds the option for relation `name` among `options`.
pub(crate) fn find_option<'o>(options: &'o [OptionNode], name: &str) -> Option<&'o OptionNode> {
    options.iter().find(|o| o.relation == name)
}
