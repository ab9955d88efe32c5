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
        if self.records.len() >= self.capacity.saturating_mul(2) {
            // Up to twice the capacity is held and `records` shows the newest
            // `capacity`, so trimming is amortized O(1) yet never loses any
            // of the newest `capacity` statements.
            let keep_from = self.records.len() - self.capacity;
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
        &self.records[self.records.len().saturating_sub(self.capacity)..]
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.records.clear();
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        // Growing must not bring back records the old capacity hid.
        let keep = capacity.min(self.capacity);
        self.capacity = capacity;
        if self.records.len() > keep {
            let excess = self.records.len() - keep;
            self.records.drain(..excess);
        }
    }
}
