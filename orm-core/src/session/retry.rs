//! Transactions run again when the database refuses them for a conflict
//! with another transaction: serialization failures (SQLSTATE 40001) and
//! deadlocks (40P01), the two failures that a later attempt of the same
//! work can get past.

use std::sync::Arc;
use std::time::Duration;

use super::{Session, TransactionOptions};
use crate::{DatabaseErrorKind, Error, Result};

/// How [`Session::transaction_with_retry`] retries: at most
/// [`max_attempts`](RetryPolicy::max_attempts) runs of the work (10 by
/// default), with a jittered exponential backoff between them (5 ms doubling
/// up to 1 s by default), on serialization failures and deadlocks only.
///
/// The delay before attempt `n + 1` is `d / 2` plus a random part of up to
/// `d / 2`, where `d = min(max, base * 2^(n - 1))` ("equal jitter"): it
/// grows with each failure, and sessions that collided once do not collide
/// again in step.
#[derive(Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    on_retry: Option<RetryHook>,
}

/// What [`RetryPolicy::on_retry`] keeps: shared, so the policy clones.
type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;

/// A failed attempt about to be retried, as [`RetryPolicy::on_retry`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryEvent<'a> {
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// Why it failed.
    pub error: &'a Error,
    /// How long the session waits before the next attempt.
    pub delay: Duration,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("on_retry", &self.on_retry.is_some())
            .finish()
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_secs(1),
            on_retry: None,
        }
    }
}

impl RetryPolicy {
    /// The defaults: 10 attempts, 5 ms doubling up to 1 s.
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// How many times the work may run in all, the first included; at
    /// least 1 (0 is refused with [`Error::Misuse`] when the policy is used).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The backoff: `base` before the second attempt, doubling after each
    /// failure, never more than `max` (both before jitter).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// Calls `hook` before each retry (after the failed attempt's rollback),
    /// for logging or metrics. Each retry is also a `tracing` debug event.
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// Whether `error` is one a retry may cure: a serialization failure or
    /// a deadlock. Anything else (a constraint violation, the work's own
    /// error, a lost connection) would fail again, or must not run twice.
    pub fn retries(&self, error: &Error) -> bool {
        matches!(
            error,
            Error::Database(db) if matches!(
                db.kind(),
                DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::Deadlock
            )
        )
    }

    /// The wait after failed attempt `attempt` (from 1), given a random
    /// `unit` in [0, 1).
    fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        ceiling / 2 + (ceiling / 2).mul_f64(unit)
    }
}

/// A random number in [0, 1) from std alone: every `RandomState` has new
/// keys (random per thread, then counted), so hashing nothing with it
/// gives a fresh SipHash output.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

impl Session {
    /// Runs `work` in a transaction opened with `options`, and runs it again
    /// (in a new transaction) when the database refuses it with a
    /// serialization failure or a deadlock, up to the policy's attempts,
    /// waiting a jittered, growing delay between them. Returns the first
    /// successful attempt's value, else the last attempt's error; any other
    /// error is returned at once, without a retry.
    ///
    /// ```no_run
    /// # extern crate orm_core as eagerly;
    /// # fn run(session: &mut eagerly::Session) -> eagerly::Result<()> {
    /// use eagerly::{Isolation, RetryPolicy, Value};
    /// let retry = RetryPolicy::new().max_attempts(20);
    /// session.transaction_with_retry(Isolation::Serializable, &retry, |s| {
    ///     s.execute("UPDATE counters SET value = value + 1 WHERE id = $1", &[Value::Integer(1)])?;
    ///     Ok(())
    /// })?;
    /// # Ok(()) }
    /// ```
    ///
    /// `work` may run several times, so it must do everything through the
    /// session it is given and nothing it cannot do twice outside it. A
    /// failed attempt is rolled back whole: none of its writes land, and
    /// nothing it loaded is served again. Every attempt starts with an
    /// empty identity map (as after [`expire_all`](Session::expire_all)),
    /// so what the work reads it reads inside its own transaction: an
    /// object served from the map, read before, would be a read the
    /// database does not see, and a conflict on it would go undetected.
    ///
    /// Only an outermost transaction can be retried (a serialization
    /// failure ends the whole transaction): called inside an open one, or
    /// with `max_attempts(0)`, it is [`Error::Misuse`], refused before
    /// anything is sent. A panic in `work` rolls back and goes on
    /// unwinding, without a retry.
    pub fn transaction_with_retry<T>(
        &mut self,
        options: impl Into<TransactionOptions>,
        policy: &RetryPolicy,
        mut work: impl FnMut(&mut Session) -> Result<T>,
    ) -> Result<T> {
        if self.engine.transaction.is_open() {
            return Err(Error::Misuse(
                "transaction_with_retry inside an open transaction: a serialization failure \
                 ends the whole transaction, so only the outermost one can be retried"
                    .into(),
            ));
        }
        if policy.max_attempts == 0 {
            return Err(Error::Misuse(
                "RetryPolicy::max_attempts(0): the work must be allowed one attempt at least"
                    .into(),
            ));
        }
        let options = options.into();
        let mut attempt = 1;
        loop {
            self.expire_all();
            let error = match self.transaction_with(options, &mut work) {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if attempt >= policy.max_attempts || !policy.retries(&error) {
                return Err(error);
            }
            let delay = policy.delay(attempt, random_unit());
            tracing::debug!(attempt, ?delay, %error, "eagerly: retrying the transaction");
            if let Some(hook) = &policy.on_retry {
                hook(&RetryEvent {
                    attempt,
                    error: &error,
                    delay,
                });
            }
            std::thread::sleep(delay);
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_half_of_each_random() {
        let policy =
            RetryPolicy::new().backoff(Duration::from_millis(10), Duration::from_millis(50));
        let ms = |attempt, unit| policy.delay(attempt, unit).as_secs_f64() * 1000.0;
        assert_eq!(ms(1, 0.0), 5.0);
        assert_eq!(ms(1, 0.5), 7.5);
        assert_eq!(ms(2, 0.0), 10.0);
        assert_eq!(ms(3, 0.0), 20.0);
        // 80 ms capped at 50.
        assert_eq!(ms(4, 0.0), 25.0);
        assert!(ms(4, 0.999_999) <= 50.0);
        // Far past any shift: still the cap, no overflow.
        assert_eq!(ms(200, 0.0), 25.0);
    }

    #[test]
    fn random_units_lie_in_the_unit_interval_and_vary() {
        let units: Vec<f64> = (0..64).map(|_| random_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let mut distinct = units.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert!(distinct.len() > 60, "{units:?}");
    }

    #[test]
    fn only_conflicts_are_retried() {
        let policy = RetryPolicy::new();
        let db = |kind| {
            Error::Database(crate::DatabaseError::new(
                kind,
                "x",
                Box::new(std::fmt::Error),
            ))
        };
        assert!(policy.retries(&db(DatabaseErrorKind::SerializationFailure)));
        assert!(policy.retries(&db(DatabaseErrorKind::Deadlock)));
        assert!(!policy.retries(&db(DatabaseErrorKind::Busy)));
        assert!(!policy.retries(&db(DatabaseErrorKind::UniqueViolation)));
        assert!(!policy.retries(&Error::Misuse("x".into())));
    }
}
