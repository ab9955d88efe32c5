//! A backend over another: every call forwarded, with [`Hooks`] to see or
//! change what the suite's wrappers need (the recorder, a gate that holds a
//! query, a dialect of its own, no pipelining).

#![allow(dead_code)]

use eagerly::backend::{Backend, Row};
use eagerly::{Dialect, Value};

/// What a wrapper adds to the backend it forwards to; each default
/// forwards unchanged.
pub trait Hooks: Send {
    /// Called before each query is forwarded (each of a batch too).
    fn before_query(&mut self, _sql: &str, _params: &[Value]) {}
    /// The dialect to report, given the inner backend's.
    fn dialect(&self, inner: &'static dyn Dialect) -> &'static dyn Dialect {
        inner
    }
    /// Whether to report pipelining, given whether the inner backend does.
    fn pipelines(&self, inner: bool) -> bool {
        inner
    }
}

/// `inner`, with `hooks`.
pub struct Wrapped<H: Hooks> {
    pub inner: Box<dyn Backend>,
    pub hooks: H,
}

/// `inner` with `hooks`, boxed for `Session::with_backend`.
pub fn wrapped(inner: Box<dyn Backend>, hooks: impl Hooks + 'static) -> Box<dyn Backend> {
    Box::new(Wrapped { inner, hooks })
}

impl<H: Hooks> Backend for Wrapped<H> {
    fn dialect(&self) -> &'static dyn Dialect {
        self.hooks.dialect(self.inner.dialect())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> eagerly::Result<u64> {
        self.inner.execute(sql, params)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&dyn Row) -> eagerly::Result<()>,
    ) -> eagerly::Result<()> {
        self.hooks.before_query(sql, params);
        self.inner.query(sql, params, on_row)
    }

    fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
        on_row: &mut dyn FnMut(usize, &dyn Row) -> eagerly::Result<()>,
    ) -> eagerly::Result<()> {
        for (sql, params) in statements {
            self.hooks.before_query(sql, params);
        }
        self.inner.query_batch(statements, on_row)
    }

    fn pipelines(&self) -> bool {
        self.hooks.pipelines(self.inner.pipelines())
    }

    fn last_insert_id(&self) -> i64 {
        self.inner.last_insert_id()
    }

    fn transaction_open(&self) -> bool {
        self.inner.transaction_open()
    }
}
