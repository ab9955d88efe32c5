//! Loader option paths as data: which relation, which strategy, and the
//! options for its targets. Built by the typed option functions of the
//! loaders (`joined(Author::BOOKS).then(...)`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::filter::Expr;

use crate::schema::{EntityMeta, RelationMeta, Strategy};

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
    /// How far a self-referential step repeats itself below its targets.
    pub(crate) recursion: Recursion,
    /// Whether this step is such a repetition (not written by the caller).
    pub(crate) repeated: bool,
    /// What narrows the targets this step loads to part of the relation.
    pub(crate) narrowing: Narrowing,
}

/// What narrows the targets a step loads: a collection loaded so holds
/// part of the relation, and is marked partial.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// A filter on the targets (`selectin(R).filter(..)`).
    pub(crate) criteria: Option<Arc<Expr>>,
    /// At most this many targets per parent (`selectin` only).
    pub(crate) per_parent: Option<u32>,
}

impl Narrowing {
    /// Whether the step loads only part of the relation.
    pub(crate) fn is_partial(&self) -> bool {
        self.criteria.is_some() || self.per_parent.is_some()
    }
}

/// The levels a recursive option still loads below the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recursion {
    /// Not recursive: the step loads its own level only.
    None,
    /// This many more levels.
    Levels(u32),
    /// Until a level finds no rows.
    UntilEmpty,
}

impl OptionNode {
    pub(crate) fn new(relation: &'static str, strategy: Option<Strategy>) -> Self {
        OptionNode {
            relation,
            strategy,
            children: Vec::new(),
            recursion: Recursion::None,
            repeated: false,
            narrowing: Narrowing::default(),
        }
    }

    /// The options for the targets of this step: its children, and for a
    /// recursive step, the step itself one level further down (after the
    /// children, so an explicit `.then(...)` for the same relation wins).
    pub(crate) fn below(&self) -> Cow<'_, [OptionNode]> {
        let next = match self.recursion {
            Recursion::None | Recursion::Levels(0) => return Cow::Borrowed(&self.children),
            Recursion::Levels(n) => Recursion::Levels(n - 1),
            Recursion::UntilEmpty => Recursion::UntilEmpty,
        };
        let mut below = self.children.clone();
        below.push(OptionNode {
            recursion: next,
            repeated: true,
            ..self.clone()
        });
        Cow::Owned(below)
    }

    /// The strategy this step sets for `relation`.
    pub(crate) fn strategy_for(&self, relation: &RelationMeta) -> Strategy {
        self.strategy.unwrap_or(relation.lazy)
    }
}

/// Why `options`, rooted at `entity`, cannot run; checked when a query
/// takes them, so nothing is sent.
pub(crate) fn check_options(entity: &EntityMeta, options: &[OptionNode]) -> Result<(), String> {
    let mut pending = vec![(entity, options)];
    while let Some((entity, options)) = pending.pop() {
        for option in options {
            let Some(relation) = entity.relations.iter().find(|r| r.name == option.relation) else {
                continue;
            };
            if option.narrowing.criteria.is_some() {
                if relation.kind.is_to_one() {
                    return Err(format!(
                        "a filter on {}: only a collection loads part of its rows (filter the query for a to-one)",
                        relation.path()
                    ));
                }
                if !matches!(
                    option.strategy,
                    Some(Strategy::Selectin | Strategy::Joined | Strategy::Select)
                ) {
                    return Err(format!(
                        "a filter on {}: only a selectin, joined or select option loads a filtered collection",
                        relation.path()
                    ));
                }
            }
            if let Some(limit) = option.narrowing.per_parent {
                if relation.kind.is_to_one() {
                    return Err(format!(
                        "limit_per_parent({limit}) on {}: a to-one relation has one target per parent",
                        relation.path()
                    ));
                }
                if option.strategy != Some(Strategy::Selectin) {
                    return Err(format!(
                        "limit_per_parent({limit}) on {}: only a selectin option loads a limited collection",
                        relation.path()
                    ));
                }
            }
            pending.push(((relation.target_meta)(), &option.children));
        }
    }
    Ok(())
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
