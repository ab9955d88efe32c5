//! A backend that records the values bound to every query, so tests can
//! check that `IN` keys are de-duplicated, sorted and chunked.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use eagerly::backend::{Backend, Row};
use eagerly::{Session, Value};

/// Queries sent (not `execute`d statements): SQL and bound values.
pub type Queries = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

struct Recording {
    inner: Box<dyn Backend>,
    queries: Queries,
}

impl Backend for Recording {
    fn dialect(&self) -> &'static dyn eagerly::Dialect {
        self.inner.dialect()
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
        self.queries
            .lock()
            .unwrap()
            .push((sql.to_owned(), params.to_vec()));
        self.inner.query(sql, params, on_row)
    }

    fn query_batch(
        &mut self,
        statements: &[(&str, &[Value])],
        on_row: &mut dyn FnMut(usize, &dyn Row) -> eagerly::Result<()>,
    ) -> eagerly::Result<()> {
        let mut queries = self.queries.lock().unwrap();
        for (sql, params) in statements {
            queries.push(((*sql).to_owned(), params.to_vec()));
        }
        drop(queries);
        self.inner.query_batch(statements, on_row)
    }

    fn pipelines(&self) -> bool {
        self.inner.pipelines()
    }

    fn last_insert_id(&self) -> i64 {
        self.inner.last_insert_id()
    }

    fn transaction_open(&self) -> bool {
        self.inner.transaction_open()
    }
}

/// A fresh session on the run's engine (`support::engine`) whose queries
/// are recorded.
pub fn recording_session() -> (Session, Queries) {
    let queries = Queries::default();
    let backend = super::engine::backend();
    let session = Session::with_backend(Box::new(Recording {
        inner: backend,
        queries: Arc::clone(&queries),
    }));
    (session, queries)
}

/// The integers bound to a recorded query, a list bound as one parameter
/// (PostgreSQL's `= ANY($1)`) read as its items.
pub fn ints(values: &[Value]) -> Vec<i64> {
    values
        .iter()
        .flat_map(|v| match v {
            Value::List(items) => ints(items),
            Value::Integer(i) => vec![*i],
            other => panic!("not an integer: {other:?}"),
        })
        .collect()
}
