//! A backend that records the values bound to every query, so tests can
//! check that `IN` keys are de-duplicated, sorted and chunked.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use eagerly::{Session, Value};

use super::wrap::{wrapped, Hooks};

/// Queries sent (not `execute`d statements): SQL and bound values.
pub type Queries = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

/// Records each query before it goes.
struct Recording(Queries);

impl Hooks for Recording {
    fn before_query(&mut self, sql: &str, params: &[Value]) {
        self.0
            .lock()
            .unwrap()
            .push((sql.to_owned(), params.to_vec()));
    }
}

/// A fresh session on the run's engine (`support::engine`) whose queries
/// are recorded.
pub fn recording_session() -> (Session, Queries) {
    let queries = Queries::default();
    let backend = wrapped(super::engine::backend(), Recording(Arc::clone(&queries)));
    let session = Session::with_backend(backend);
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
