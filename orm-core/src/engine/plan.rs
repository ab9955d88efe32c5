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
/// object, the dialect its statements are written in, and whether the
/// backend pipelines (sends independent statements in one round trip).
pub struct PlanContext<'a> {
    pub(crate) identity: &'a mut IdentityMap,
    pub(crate) lazy_options: &'a mut LazyOptions,
    pub(crate) dialect: &'static dyn Dialect,
    pub(crate) pipelines: bool,
}

impl<'a> PlanContext<'a> {
    /// A context over the session state a plan works on, on a backend that
    /// does not pipeline.
    pub(crate) fn new(
        identity: &'a mut IdentityMap,
        lazy_options: &'a mut LazyOptions,
        dialect: &'static dyn Dialect,
    ) -> Self {
        PlanContext {
            identity,
            lazy_options,
            dialect,
            pipelines: false,
        }
    }

    /// The same, on a backend that pipelines when `pipelines`.
    pub(crate) fn pipelining(mut self, pipelines: bool) -> Self {
        self.pipelines = pipelines;
        self
    }
}

/// Work that needs statements: it yields them and takes their rows back,
/// doing no I/O of its own.
pub trait Plan {
    /// The next statements to send, none when the work is done: one, or
    /// several that depend neither on each other nor on each other's rows
    /// (only where the context pipelines: they go in one round trip).
    /// Called again only after every row of those was handed to
    /// [`on_row`](Plan::on_row).
    fn next_statements(&mut self, cx: &mut PlanContext<'_>) -> Result<Vec<Statement>>;

    /// One row of statement `index` of those last yielded; every row of a
    /// statement comes before those of the next one.
    fn on_row(&mut self, cx: &mut PlanContext<'_>, index: usize, row: &dyn Row) -> Result<()>;
}

impl Engine {
    /// Runs `plan` to its end against the backend, batch by batch.
    pub(crate) fn run_plan(&mut self, plan: &mut dyn Plan) -> Result<()> {
        let dialect = self.dialect;
        let pipelines = self.backend.pipelines();
        self.identity.sweep_due();
        loop {
            let cx = PlanContext::new(&mut self.identity, &mut self.lazy_options, dialect);
            let statements = plan.next_statements(&mut cx.pipelining(pipelines))?;
            match statements.as_slice() {
                [] => return Ok(()),
                [statement] => self.stream(&statement.sql, &statement.params, &mut |cx, row| {
                    plan.on_row(cx, 0, row)
                })?,
                batch => {
                    self.stream_batch(batch, &mut |cx, index, row| plan.on_row(cx, index, row))?
                }
            }
        }
    }
}
