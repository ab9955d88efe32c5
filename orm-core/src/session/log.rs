//! The statement log: every statement the session sends is counted, kept
//! (up to a bound) and emitted as a `tracing` debug event.

/// One statement the session sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedStatement {
    /// The SQL text, with `?` placeholders.
    pub sql: String,
    /// How many parameters were bound.
    pub params: usize,
}

/// By default the newest this many statements are kept; the count is exact
/// regardless.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

#[derive(Debug)]
pub(crate) struct StatementLog {
    count: u64,
    records: Vec<LoggedStatement>,
    capacity: usize,
}

impl Default for StatementLog {
    fn default() -> Self {
        StatementLog {
            count: 0,
            records: Vec::new(),
            capacity: DEFAULT_LOG_CAPACITY,
        }
    }
}

impl StatementLog {
    pub(crate) fn record(&mut self, sql: &str, params: usize) {
        tracing::debug!(target: "eagerly::sql", params, "{sql}");
        self.count += 1;
        if self.capacity == 0 {
            return;
        }
        if self.records.len() >= self.capacity {
            // Drop the older half at once so trimming is amortized O(1).
            let keep_from = self.records.len() - self.capacity / 2;
            self.records.drain(..keep_from);
        }
        self.records.push(LoggedStatement {
            sql: sql.to_owned(),
            params,
        });
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn records(&self) -> &[LoggedStatement] {
        &self.records
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.records.clear();
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        if self.records.len() > capacity {
            let excess = self.records.len() - capacity;
            self.records.drain(..excess);
        }
    }
}
