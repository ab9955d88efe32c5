//! The statement log: every statement the session sends is counted, kept
//! (up to a bound) and emitted as a `tracing` debug event.

use std::collections::VecDeque;

use crate::Value;

/// One statement the session sent.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedStatement {
    /// The SQL text, with the dialect's placeholders.
    pub sql: String,
    /// How many parameters were bound.
    pub params: usize,
    /// The values bound, when the session records them
    /// (`Session::set_logged_values`): the first ones that fit its byte
    /// budget, a long text or blob cut to what is left of it. Empty
    /// otherwise.
    pub values: Vec<Value>,
}

/// By default the newest this many statements are kept; the count is exact
/// regardless.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// The count, and the newest `capacity` statements.
///
/// `records` never holds more than `capacity` statements: the oldest is
/// dropped as each new one comes in once it is full. It stays contiguous,
/// so [`records`](StatementLog::records) is a plain slice: when the ring
/// wraps, it is made contiguous again, and spare room of `capacity` slots
/// (reserved when it first fills) makes that happen once per `capacity`
/// statements, so recording stays O(1) amortized.
#[derive(Debug)]
pub(crate) struct StatementLog {
    count: u64,
    /// Round trips to the database: one per statement, one per pipelined
    /// batch.
    round_trips: u64,
    records: VecDeque<LoggedStatement>,
    capacity: usize,
    /// Bytes of bound values kept per statement; 0 keeps none.
    value_budget: usize,
}

impl Default for StatementLog {
    fn default() -> Self {
        StatementLog {
            count: 0,
            round_trips: 0,
            records: VecDeque::new(),
            capacity: DEFAULT_LOG_CAPACITY,
            value_budget: 0,
        }
    }
}

/// The first of `values` that fit in `budget` bytes (8 for a number, the
/// length of a text or blob, a list's members), the last one cut to fit:
/// nothing is kept after a value that was cut.
fn bounded(values: &[Value], budget: usize) -> Vec<Value> {
    let mut left = budget;
    let mut kept = Vec::new();
    for value in values {
        if left == 0 {
            break;
        }
        let (value, size, whole) = bounded_value(value, left);
        kept.push(value);
        if !whole {
            break;
        }
        left = left.saturating_sub(size);
    }
    kept
}

/// `value` within `left` bytes, its size, and whether it is whole.
fn bounded_value(value: &Value, left: usize) -> (Value, usize, bool) {
    match value {
        Value::Text(text) => {
            let mut cut = text.len().min(left);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            (Value::Text(text[..cut].to_owned()), cut, cut == text.len())
        }
        Value::Blob(bytes) => {
            let cut = bytes.len().min(left);
            (Value::Blob(bytes[..cut].to_vec()), cut, cut == bytes.len())
        }
        Value::List(values) => {
            let kept = bounded(values, left);
            let size = kept.iter().map(|v| bounded_value(v, usize::MAX).1).sum();
            let whole = kept == *values;
            (Value::List(kept), size, whole)
        }
        other => (other.clone(), 8, left >= 8),
    }
}

impl StatementLog {
    /// A statement sent on a round trip of its own.
    pub(crate) fn record(&mut self, sql: &str, params: &[Value]) {
        self.round_trips += 1;
        self.record_pipelined(sql, params);
    }

    /// A statement sent in the round trip of the one recorded before it
    /// (pipelined with it).
    pub(crate) fn record_pipelined(&mut self, sql: &str, params: &[Value]) {
        self.count += 1;
        let values = if self.value_budget > 0 {
            bounded(params, self.value_budget)
        } else {
            Vec::new()
        };
        if values.is_empty() {
            tracing::debug!(target: "eagerly::sql", params = params.len(), "{sql}");
        } else {
            tracing::debug!(target: "eagerly::sql", params = params.len(), values = ?values, "{sql}");
        }
        if self.capacity == 0 {
            return;
        }
        if self.records.len() >= self.capacity {
            if self.records.capacity() < self.capacity.saturating_mul(2) {
                // Only reached with `capacity` statements really held, so
                // the reservation is bounded by what was logged.
                self.records.reserve(self.capacity);
            }
            while self.records.len() >= self.capacity {
                self.records.pop_front();
            }
        }
        self.records.push_back(LoggedStatement {
            sql: sql.to_owned(),
            params: params.len(),
            values,
        });
        if !self.records.as_slices().1.is_empty() {
            self.records.make_contiguous();
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn round_trips(&self) -> u64 {
        self.round_trips
    }

    pub(crate) fn records(&self) -> &[LoggedStatement] {
        // Contiguous at all times (see `record`), so the first slice is all.
        self.records.as_slices().0
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.round_trips = 0;
        self.records.clear();
    }

    /// An empty log with this one's capacity and value budget.
    #[cfg(feature = "deadpool")]
    pub(crate) fn emptied(&self) -> StatementLog {
        StatementLog {
            capacity: self.capacity,
            value_budget: self.value_budget,
            ..StatementLog::default()
        }
    }

    pub(crate) fn set_value_budget(&mut self, bytes: usize) {
        self.value_budget = bytes;
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        // Growing must not bring back records the old capacity dropped (it
        // cannot: they are gone), and shrinking drops the oldest now.
        self.capacity = capacity;
        while self.records.len() > capacity {
            self.records.pop_front();
        }
        // Give back memory a larger capacity needed.
        self.records.shrink_to(capacity.saturating_mul(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_capacity_statements_at_all_times() {
        for capacity in [1, 2, 3, 7, 64] {
            let mut log = StatementLog::default();
            log.set_capacity(capacity);
            for n in 0..3 * capacity {
                log.record(&format!("SELECT {n}"), &vec![Value::Null; n]);
                assert!(log.records.len() <= capacity, "capacity {capacity}");
                assert_eq!(log.records().len(), log.records.len());
                // The newest `capacity`, oldest first.
                let first = (n + 1).saturating_sub(capacity);
                let kept: Vec<usize> = log.records().iter().map(|r| r.params).collect();
                assert_eq!(kept, (first..=n).collect::<Vec<_>>());
            }
            assert_eq!(log.records.len(), capacity);
            assert_eq!(log.count(), 3 * capacity as u64);
            // Spare room stays bounded by twice the capacity (plus the
            // allocator's rounding), never growing with the count.
            assert!(log.records.capacity() <= 4 * capacity.max(4));
        }
    }

    #[test]
    fn shrinking_drops_at_once_and_capacity_zero_holds_nothing() {
        let mut log = StatementLog::default();
        for n in 0..10 {
            log.record("SELECT 1", &vec![Value::Null; n]);
        }
        log.set_capacity(3);
        assert_eq!(log.records.len(), 3);
        assert_eq!(log.records()[0].params, 7);
        log.set_capacity(0);
        log.record("SELECT 1", &vec![Value::Null; 10]);
        assert!(log.records.is_empty());
        assert_eq!(log.count(), 11);
    }

    #[test]
    fn values_are_kept_within_their_budget() {
        let mut log = StatementLog::default();
        let params = [
            Value::Integer(7),
            Value::Text("héllo wörld".into()),
            Value::Blob(vec![1; 100]),
        ];
        log.record("SELECT ?, ?, ?", &params);
        assert!(log.records()[0].values.is_empty(), "off by default");
        log.set_value_budget(1_000);
        log.record("SELECT ?, ?, ?", &params);
        assert_eq!(log.records()[1].values, params);
        // 8 for the integer, then 6 bytes of text.
        log.set_value_budget(14);
        log.record("SELECT ?, ?, ?", &params);
        assert_eq!(
            log.records()[2].values,
            [Value::Integer(7), Value::Text("héllo".into())]
        );
        assert_eq!(log.records()[2].params, 3);
        // 2 bytes would split the `é`: cut before it.
        log.set_value_budget(10);
        log.record("SELECT ?, ?, ?", &params);
        assert_eq!(
            log.records()[3].values,
            [Value::Integer(7), Value::Text("h".into())]
        );
    }
}
