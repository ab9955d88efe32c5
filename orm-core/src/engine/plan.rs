//! Plans and the sync driver that runs them.
//!
//! A loader strategy never sends a statement: it is a [`Plan`] that yields
//! the statements it needs one at a time and takes their rows back, with
//! the session's objects at hand in a [`PlanContext`]. The driver here
//! sends each statement through the engine's one gate (`Engine::send`) (refused in a failed
//! transaction, logged, failures noted) and hands every row to the plan.
//! An async driver runs the same plans over an async backend: only this
//! loop is written twice, no strategy is.

use std::borrow::Cow;

use super::{Engine, IdentityMap, LazyOptions};
use crate::sql::Dialect;
use crate::{Result, Row, Value};

/// A statement a plan needs sent, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text, in the context's dialect: often a statement rendered
    /// once and cached, borrowed for as long as the process runs.
    pub sql: Cow<'static, str>,
    /// The values bound to its placeholders, in order.
    pub params: Vec<Value>,
}

/// What a plan reads and fills: the identity map, the options kept per
/// object, and the dialect its statements are written in.
pub struct PlanContext<'a> {
    pub(crate) identity: &'a mut IdentityMap,
    pub(crate) lazy_options: &'a mut LazyOptions,
    pub(crate) dialect: &'static dyn Dialect,
}

impl<'a> PlanContext<'a> {
    /// A context over the session state a plan works on.
    pub(crate) fn new(
        identity: &'a mut IdentityMap,
        lazy_options: &'a mut LazyOptions,
        dialect: &'static dyn Dialect,
    ) -> Self {
        PlanContext {
            identity,
            lazy_options,
            dialect,
        }
    }
}

/// Work that needs statements: it yields them one at a time and takes
/// their rows back, doing no I/O of its own.
pub trait Plan {
    /// The next statement to send, or `None` when the work is done. Called
    /// again only after every row of the previous statement was handed to
    /// [`on_row`](Plan::on_row).
    fn next_statement(&mut self, cx: &mut PlanContext<'_>) -> Result<Option<Statement>>;

    /// One row of the statement last yielded.
    fn on_row(&mut self, cx: &mut PlanContext<'_>, row: &dyn Row) -> Result<()>;
}

impl Engine {
    /// Runs `plan` to its end against the backend, statement by statement.
    pub(crate) fn run_plan(&mut self, plan: &mut dyn Plan) -> Result<()> {
        let dialect = self.dialect;
        loop {
            let next = plan.next_statement(&mut PlanContext::new(
                &mut self.identity,
                &mut self.lazy_options,
                dialect,
            ))?;
            let Some(statement) = next else {
                return Ok(());
            };
            self.stream(&statement.sql, &statement.params, &mut |cx, row| {
                plan.on_row(cx, row)
            })?;
        }
    }
}
