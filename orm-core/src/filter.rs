//! Filter expressions: typed conditions on an entity's columns, kept as a
//! tree of names and values that `sql` renders for a dialect.

use std::marker::PhantomData;

use crate::schema::RelationMeta;
use crate::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

/// The untyped expression tree behind a [`Filter`]. Column names are
/// unquoted; `sql` quotes them.
///
/// Trees can be arbitrarily deep (a million `.not()` calls make a million
/// nested boxes), so nothing here recurses: rendering, cloning and dropping
/// walk the tree with an explicit stack on the heap.
pub(crate) enum Expr {
    Compare {
        column: &'static str,
        op: CompareOp,
        value: Value,
    },
    /// `column IN values`; NULLs were taken out of `values` into `null`
    /// when the filter was built.
    In {
        column: &'static str,
        values: Vec<Value>,
        negated: bool,
        null: bool,
    },
    Null {
        column: &'static str,
        negated: bool,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `a = ? AND b = ?`, pairing `columns` with `values` (a key or a
    /// link, written by the library itself), in parentheses if `grouped`.
    Equal {
        columns: Vec<&'static str>,
        values: Vec<Value>,
        grouped: bool,
    },
    /// `(keys) IN (SELECT selected FROM table WHERE matched = ?...)`: the
    /// targets an association table links to one owner.
    Linked {
        keys: Vec<&'static str>,
        table: &'static str,
        selected: &'static [&'static str],
        matched: &'static [&'static str],
        values: Vec<Value>,
    },
    /// A condition that holds for no row (`1 = 0`).
    Nothing,
    /// A condition that holds for every row (`1 = 1`).
    Always,
    /// `EXISTS` a row of `relation`'s target linked to this row that meets
    /// `inner` (`Always`: any linked row); `inner`'s columns are the
    /// target's.
    Exists {
        relation: &'static RelationMeta,
        inner: Box<Expr>,
    },
}

/// Lists longer than this bind as one array parameter (`IN rarray(?)`);
/// shorter ones as one placeholder per value (`IN (?, ?)`). Small lists are
/// the common case and stay as they were: readable in the statement log, no
/// array to build per call, and SQLite plans over the bound values
/// themselves. Above it every length shares one statement shape, so the
/// prepared-statement cache holds at most this many shapes per filter, and
/// no list reaches SQLite's limit of 32 766 parameters.
pub(crate) const INLINE_LIST_MAX: usize = 32;

impl Expr {
    /// A copy of a leaf; a group (never passed here) copies as an empty one.
    fn clone_leaf(&self) -> Expr {
        match self {
            Expr::Compare { column, op, value } => Expr::Compare {
                column,
                op: *op,
                value: value.clone(),
            },
            Expr::In {
                column,
                values,
                negated,
                null,
            } => Expr::In {
                column,
                values: values.clone(),
                negated: *negated,
                null: *null,
            },
            Expr::Null { column, negated } => Expr::Null {
                column,
                negated: *negated,
            },
            Expr::Equal {
                columns,
                values,
                grouped,
            } => Expr::Equal {
                columns: columns.clone(),
                values: values.clone(),
                grouped: *grouped,
            },
            Expr::Linked {
                keys,
                table,
                selected,
                matched,
                values,
            } => Expr::Linked {
                keys: keys.clone(),
                table,
                selected,
                matched,
                values: values.clone(),
            },
            Expr::Nothing => Expr::Nothing,
            Expr::Always => Expr::Always,
            Expr::And(_) | Expr::Or(_) | Expr::Not(_) | Expr::Exists { .. } => {
                Expr::And(Vec::new())
            }
        }
    }

    /// Moves this node's children to `out`, leaving it childless.
    fn detach_children(&mut self, out: &mut Vec<Expr>) {
        match self {
            Expr::And(parts) | Expr::Or(parts) => out.append(parts),
            Expr::Not(inner) | Expr::Exists { inner, .. } => {
                out.push(std::mem::replace(&mut **inner, Expr::And(Vec::new())))
            }
            _ => {}
        }
    }
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        // Post-order with an explicit stack: leaves are copied onto `done`,
        // and a parent takes its finished children from there.
        enum Step<'a> {
            Enter(&'a Expr),
            And(usize),
            Or(usize),
            Not,
            Exists(&'static RelationMeta),
        }
        let mut steps = vec![Step::Enter(self)];
        let mut done: Vec<Expr> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(Expr::And(parts)) | Step::Enter(Expr::Or(parts)) => {
                    let and = matches!(step, Step::Enter(Expr::And(_)));
                    steps.push(if and {
                        Step::And(parts.len())
                    } else {
                        Step::Or(parts.len())
                    });
                    steps.extend(parts.iter().rev().map(Step::Enter));
                }
                Step::Enter(Expr::Not(inner)) => {
                    steps.push(Step::Not);
                    steps.push(Step::Enter(inner));
                }
                Step::Enter(Expr::Exists { relation, inner }) => {
                    steps.push(Step::Exists(relation));
                    steps.push(Step::Enter(inner));
                }
                Step::Enter(leaf) => done.push(leaf.clone_leaf()),
                Step::And(n) | Step::Or(n) => {
                    let parts = done.split_off(done.len().saturating_sub(n));
                    done.push(if matches!(step, Step::And(_)) {
                        Expr::And(parts)
                    } else {
                        Expr::Or(parts)
                    });
                }
                Step::Not => {
                    let inner = done.pop().unwrap_or(Expr::And(Vec::new()));
                    done.push(Expr::Not(Box::new(inner)));
                }
                Step::Exists(relation) => {
                    let inner = done.pop().unwrap_or(Expr::Always);
                    done.push(Expr::Exists {
                        relation,
                        inner: Box::new(inner),
                    });
                }
            }
        }
        done.pop().unwrap_or(Expr::And(Vec::new()))
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        // The derived drop would recurse once per level and overflow the
        // stack on a deep tree; detach the children instead, so each node
        // dropped here has none left.
        let mut pending = Vec::new();
        self.detach_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.detach_children(&mut pending);
        }
    }
}

/// SQLite's default `SQLITE_MAX_EXPR_DEPTH`, which the bundled build keeps:
/// the tallest expression tree it parses.
pub(crate) const MAX_EXPR_DEPTH: u32 = 1000;

/// SQLite's default `SQLITE_MAX_PARSER_DEPTH`: the most entries its
/// parser's stack may hold while reading one statement.
pub(crate) const MAX_PARSER_DEPTH: u32 = 2500;

/// Parser stack taken by the statement around a WHERE clause (at most about
/// 13 entries, in the wrapped form of a joined query), with some margin.
const PARSER_CONTEXT: u32 = 16;

/// How deep SQLite will find a filter's SQL, kept up to date as the filter
/// is built, so that checking it costs nothing and never walks the tree.
///
/// SQLite refuses a statement for two depths. `height` is its expression
/// tree height: a comparison is 2, `a AND b` is one more than the taller
/// side, and a chain `a AND b AND c` parses left-deep, so each term pushed
/// onto a flattened group adds one too. A subquery (`rarray`, the library's
/// `IN (SELECT ...)`) adds the height of its own expressions to the whole
/// tree's, kept apart in `subquery`. `parser` is the stack the parser
/// needs: an opening parenthesis and, on the right of `AND`/`OR`, the left
/// side and the operator stay on it while the right side is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Depth {
    height: u32,
    subquery: u32,
    parser: u32,
}

/// The expression height of `terms` comparisons joined by AND.
fn conjunction(terms: usize) -> u32 {
    u32::try_from(terms.max(1) + 1).unwrap_or(u32::MAX)
}

impl Depth {
    fn leaf(expr: &Expr) -> Depth {
        let (height, subquery, parser) = match expr {
            Expr::Compare { .. } | Expr::Null { .. } => (2, 0, 4),
            Expr::In {
                values,
                negated,
                null,
                ..
            } => {
                let listed = if values.is_empty() {
                    0
                } else {
                    // IN is 2, NOT IN one more; the NULL test joins it with
                    // one AND or OR.
                    2 + u32::from(*negated) + u32::from(*null)
                };
                let subquery = u32::from(values.len() > INLINE_LIST_MAX);
                (listed.max(2), subquery, 12)
            }
            // The library's own conditions: a conjunction of comparisons,
            // possibly inside one `IN (SELECT ...)`.
            Expr::Equal { columns, .. } => (conjunction(columns.len()), 0, 24),
            Expr::Linked { matched, .. } => {
                let conjunction = conjunction(matched.len());
                (conjunction.saturating_add(1), conjunction, 24)
            }
            Expr::Nothing | Expr::Always => (2, 0, 24),
            // Groups, NOT and EXISTS get their depth from `and`, `or`,
            // `not` and `exists`.
            Expr::And(_) | Expr::Or(_) | Expr::Not(_) | Expr::Exists { .. } => (2, 0, 4),
        };
        Depth {
            height,
            subquery,
            parser,
        }
    }

    /// `(left OP right)`, a new group, or `right` pushed onto the group
    /// `left` (`extends`).
    fn join(left: Depth, right: Depth, extends: bool) -> Depth {
        let left_parser = if extends {
            left.parser
        } else {
            left.parser.saturating_add(1)
        };
        Depth {
            height: left.height.max(right.height).saturating_add(1),
            subquery: left.subquery.max(right.subquery),
            parser: left_parser.max(right.parser.saturating_add(3)),
        }
    }

    /// `NOT (inner)`.
    fn not(inner: Depth) -> Depth {
        Depth {
            height: inner.height.saturating_add(1),
            subquery: inner.subquery,
            parser: inner.parser.saturating_add(2),
        }
    }

    /// `EXISTS (SELECT 1 FROM ... WHERE <link> AND (inner))`: the
    /// subquery's expressions (the link's comparisons joined to `inner`)
    /// count toward the whole tree's, as another subquery's do.
    fn exists(inner: Depth, link_terms: usize) -> Depth {
        let subquery = inner
            .height
            .max(conjunction(link_terms))
            .saturating_add(1)
            .saturating_add(inner.subquery);
        Depth {
            height: 2,
            subquery,
            parser: inner.parser.saturating_add(16),
        }
    }

    /// Refuses what SQLite would refuse, before anything is sent.
    pub(crate) fn check(self) -> crate::Result<()> {
        let depth = self.height.saturating_add(self.subquery);
        if depth > MAX_EXPR_DEPTH {
            return Err(crate::Error::Misuse(format!(
                "filter nested too deeply: its SQL expression would be {depth} levels deep, \
                 beyond SQLite's limit of {MAX_EXPR_DEPTH} (SQLITE_MAX_EXPR_DEPTH)"
            )));
        }
        let parser = self.parser.saturating_add(PARSER_CONTEXT);
        if parser > MAX_PARSER_DEPTH {
            return Err(crate::Error::Misuse(format!(
                "filter nested too deeply: parsing its SQL would take {parser} levels of \
                 SQLite's parser stack, beyond its limit of {MAX_PARSER_DEPTH} \
                 (SQLITE_MAX_PARSER_DEPTH); conditions nested on the right of and/or cost the most"
            )));
        }
        Ok(())
    }
}

/// A condition on rows of entity `E`, built from its column constants:
/// `Author::NAME.eq("Ann").and(Author::ID.gt(3))`. Filters of different
/// entities do not mix.
///
/// A filter may be nested to any depth; one deeper than SQLite accepts
/// (about 1 000 levels of `and`/`or`/`not`, see [`Query::all`]) is refused
/// when the query runs, with [`Error::Misuse`](crate::Error::Misuse).
///
/// [`Query::all`]: crate::Query::all
pub struct Filter<E> {
    pub(crate) expr: Expr,
    pub(crate) depth: Depth,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Filter<E> {
    fn clone(&self) -> Self {
        Filter::with_depth(self.expr.clone(), self.depth)
    }
}

impl<E> std::fmt::Debug for Filter<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl<E> Filter<E> {
    /// A filter of one condition (a comparison, or the library's own SQL).
    pub(crate) fn new(expr: Expr) -> Self {
        let depth = Depth::leaf(&expr);
        Filter::with_depth(expr, depth)
    }

    fn with_depth(expr: Expr, depth: Depth) -> Self {
        Filter {
            expr,
            depth,
            _entity: PhantomData,
        }
    }

    /// `self` and `other` joined by AND (`and`) or OR; a chain of the same
    /// operator stays one flat group.
    fn join(self, other: Filter<E>, and: bool) -> Filter<E> {
        let mut expr = self.expr;
        let extends = match &mut expr {
            Expr::And(parts) if and => {
                parts.push(other.expr);
                true
            }
            Expr::Or(parts) if !and => {
                parts.push(other.expr);
                true
            }
            _ => {
                let parts = vec![expr, other.expr];
                expr = if and {
                    Expr::And(parts)
                } else {
                    Expr::Or(parts)
                };
                false
            }
        };
        Filter::with_depth(expr, Depth::join(self.depth, other.depth, extends))
    }

    /// Both conditions hold.
    pub fn and(self, other: Filter<E>) -> Filter<E> {
        self.join(other, true)
    }

    /// Either condition holds.
    pub fn or(self, other: Filter<E>) -> Filter<E> {
        self.join(other, false)
    }

    /// A row of `relation`'s target linked to this one exists and meets
    /// `inner` (any linked row when `inner` is `None`). Called by the
    /// relation constants' `any`, `has` and `exists`.
    pub(crate) fn exists<T>(
        relation: &'static RelationMeta,
        inner: Option<Filter<T>>,
    ) -> Filter<E> {
        let (inner, depth) = match inner {
            Some(filter) => (filter.expr, filter.depth),
            None => (Expr::Always, Depth::leaf(&Expr::Always)),
        };
        let link_terms = relation.foreign_key.len();
        Filter::with_depth(
            Expr::Exists {
                relation,
                inner: Box::new(inner),
            },
            Depth::exists(depth, link_terms),
        )
    }

    /// The condition does not hold (SQL `NOT`, so NULL stays unknown).
    #[allow(clippy::should_implement_trait)] // `!filter` works too, via `std::ops::Not`
    pub fn not(self) -> Filter<E> {
        Filter::with_depth(Expr::Not(Box::new(self.expr)), Depth::not(self.depth))
    }
}

impl<E> std::ops::BitAnd for Filter<E> {
    type Output = Filter<E>;
    fn bitand(self, other: Filter<E>) -> Filter<E> {
        self.and(other)
    }
}

impl<E> std::ops::BitOr for Filter<E> {
    type Output = Filter<E>;
    fn bitor(self, other: Filter<E>) -> Filter<E> {
        self.or(other)
    }
}

impl<E> std::ops::Not for Filter<E> {
    type Output = Filter<E>;
    fn not(self) -> Filter<E> {
        Filter::not(self)
    }
}

/// An `ORDER BY` term on a column of entity `E`: `Author::NAME.desc()`, or a
/// bare column for ascending order.
pub struct OrderBy<E> {
    pub(crate) column: &'static str,
    pub(crate) descending: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for OrderBy<E> {
    fn clone(&self) -> Self {
        OrderBy::new(self.column, self.descending)
    }
}

impl<E> std::fmt::Debug for OrderBy<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}",
            self.column,
            if self.descending { " DESC" } else { "" }
        )
    }
}

impl<E> OrderBy<E> {
    pub(crate) fn new(column: &'static str, descending: bool) -> Self {
        OrderBy {
            column,
            descending,
            _entity: PhantomData,
        }
    }
}
