//! The figures every query reports, built from a bucket sum.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::layout::{Counts, ATTEMPT_SLOTS, CALLS, LATENCY_BUCKETS_SECONDS, RETRIES, SUCCESS};
use super::{AttemptOutcome, CallOutcome};

/// Successful attempts by attempt number: 1 to 10, then all later ones
/// together. Serialised as `{"1": n, ..., "10": n, "more": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuccessesByAttempt([u64; ATTEMPT_SLOTS]);

impl SuccessesByAttempt {
    /// Successes at attempt `attempt` (1 = first); attempts after the 10th
    /// share one count, returned for any `attempt` above 10.
    pub fn at(&self, attempt: u32) -> u64 {
        match attempt {
            0 => 0,
            n => self.0[(n as usize - 1).min(ATTEMPT_SLOTS - 1)],
        }
    }

    /// Successes after the 10th attempt.
    pub fn more(&self) -> u64 {
        self.0[ATTEMPT_SLOTS - 1]
    }

    /// Successes at attempt `attempts` or earlier (every success when
    /// `attempts` is above 10).
    pub fn within(&self, attempts: u32) -> u64 {
        let n = (attempts as usize).min(ATTEMPT_SLOTS);
        self.0[..n].iter().sum()
    }

    /// All successes.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Serialize for SuccessesByAttempt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(ATTEMPT_SLOTS))?;
        for (i, count) in self.0[..ATTEMPT_SLOTS - 1].iter().enumerate() {
            map.serialize_entry(&(i + 1).to_string(), count)?;
        }
        map.serialize_entry("more", &self.more())?;
        map.end()
    }
}

/// Finished calls by how they ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct CallsByOutcome {
    /// Calls that succeeded.
    pub success: u64,
    /// Calls that ran out of attempts.
    pub exhausted: u64,
    /// Calls stopped by an error that must not be retried.
    pub fatal: u64,
    /// Calls stopped by their deadline.
    pub deadline_exceeded: u64,
    /// Calls stopped by the retry budget.
    pub budget_exhausted: u64,
    /// Calls with no endpoint to try.
    pub unavailable: u64,
}

/// Failed attempts by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct FailuresByReason {
    /// Retryable failures (5xx, resets, refused connections).
    pub retryable_failure: u64,
    /// Per-attempt timeouts.
    pub timeout: u64,
    /// Failures that must not be retried.
    pub fatal: u64,
    /// Not sent: breaker open.
    pub rejected: u64,
    /// Not sent: retry budget refused.
    pub budget_denied: u64,
}

/// Latency of sent attempts, in milliseconds; `None` without attempts.
/// Percentiles are read from the histogram
/// ([`LATENCY_BUCKETS_SECONDS`]), interpolating inside a bucket;
/// attempts slower than the last bound count as that bound.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct LatencyStats {
    /// Mean latency (exact, from the latency sum).
    pub avg_ms: Option<f64>,
    /// Median.
    pub p50_ms: Option<f64>,
    /// 95th percentile.
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
}

/// The figures every query reports, for a whole window or a part of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// Finished calls.
    pub calls: u64,
    /// Finished calls by outcome.
    pub calls_by_outcome: CallsByOutcome,
    /// Attempts sent (successes, retryable failures, timeouts, fatal).
    pub attempts: u64,
    /// Attempts sent with an attempt number above 1.
    pub retries: u64,
    /// Successful attempts.
    pub successes: u64,
    /// Successful attempts by attempt number.
    pub successes_by_attempt: SuccessesByAttempt,
    /// Failed attempts, sent or not.
    pub failures: u64,
    /// Failed attempts by reason.
    pub failures_by_reason: FailuresByReason,
    /// `successes / attempts`; `None` without attempts.
    pub success_ratio: Option<f64>,
    /// Latency of sent attempts.
    pub latency: LatencyStats,
}

impl Totals {
    pub(crate) fn from_counts(counts: &Counts) -> Self {
        let f = &counts.fields;
        let calls_by_outcome = CallsByOutcome {
            success: f[CALLS + CallOutcome::Success.index()],
            exhausted: f[CALLS + CallOutcome::Exhausted.index()],
            fatal: f[CALLS + CallOutcome::Fatal.index()],
            deadline_exceeded: f[CALLS + CallOutcome::DeadlineExceeded.index()],
            budget_exhausted: f[CALLS + CallOutcome::BudgetExhausted.index()],
            unavailable: f[CALLS + CallOutcome::Unavailable.index()],
        };
        let failures_by_reason = FailuresByReason {
            retryable_failure: counts.failures_of(AttemptOutcome::RetryableFailure),
            timeout: counts.failures_of(AttemptOutcome::Timeout),
            fatal: counts.failures_of(AttemptOutcome::Fatal),
            rejected: counts.failures_of(AttemptOutcome::Rejected),
            budget_denied: counts.failures_of(AttemptOutcome::BudgetDenied),
        };
        let mut by_attempt = [0; ATTEMPT_SLOTS];
        by_attempt.copy_from_slice(&f[SUCCESS..SUCCESS + ATTEMPT_SLOTS]);
        let successes = counts.successes();
        let attempts = counts.sent();
        let histogram = counts.histogram();
        let ratio = |num: u64| (attempts > 0).then(|| num as f64 / attempts as f64);
        Self {
            calls: counts.calls(),
            calls_by_outcome,
            attempts,
            retries: f[RETRIES],
            successes,
            successes_by_attempt: SuccessesByAttempt(by_attempt),
            failures: AttemptOutcome::ALL[1..]
                .iter()
                .map(|&o| counts.failures_of(o))
                .sum(),
            failures_by_reason,
            success_ratio: ratio(successes),
            latency: LatencyStats {
                avg_ms: (attempts > 0).then(|| counts.latency_nanos as f64 / attempts as f64 / 1e6),
                p50_ms: quantile(histogram, 0.50).map(|s| s * 1e3),
                p95_ms: quantile(histogram, 0.95).map(|s| s * 1e3),
                p99_ms: quantile(histogram, 0.99).map(|s| s * 1e3),
            },
        }
    }
}

/// The `q` quantile, in seconds, of a histogram over
/// [`LATENCY_BUCKETS_SECONDS`] plus an overflow bucket.
pub(crate) fn quantile(histogram: &[u64], q: f64) -> Option<f64> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0.0;
    for (i, &count) in histogram.iter().enumerate() {
        let count = count as f64;
        if count > 0.0 && below + count >= rank {
            let Some(&upper) = LATENCY_BUCKETS_SECONDS.get(i) else {
                return LATENCY_BUCKETS_SECONDS.last().copied();
            };
            let lower = if i == 0 {
                0.0
            } else {
                LATENCY_BUCKETS_SECONDS[i - 1]
            };
            return Some(lower + (upper - lower) * ((rank - below) / count));
        }
        below += count;
    }
    LATENCY_BUCKETS_SECONDS.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::layout::HIST;

    #[test]
    fn quantile_interpolates_inside_a_bucket() {
        let mut histogram = [0u64; 12];
        histogram[1] = 100; // 5 ms to 10 ms
        let p50 = quantile(&histogram, 0.5).unwrap();
        assert!((p50 - 0.0075).abs() < 1e-12, "{p50}");
        assert_eq!(quantile(&[0; 12], 0.5), None);
    }

    #[test]
    fn quantile_in_overflow_bucket_is_last_bound() {
        let mut histogram = [0u64; 12];
        histogram[11] = 3;
        assert_eq!(quantile(&histogram, 0.99), Some(10.0));
    }

    #[test]
    fn successes_by_attempt_serialises_as_named_map() {
        let mut counts = [0; ATTEMPT_SLOTS];
        counts[0] = 7;
        counts[ATTEMPT_SLOTS - 1] = 2;
        let json = serde_json::to_value(SuccessesByAttempt(counts)).unwrap();
        assert_eq!(json["1"], 7);
        assert_eq!(json["10"], 0);
        assert_eq!(json["more"], 2);
        assert_eq!(SuccessesByAttempt(counts).within(2), 7);
        assert_eq!(SuccessesByAttempt(counts).at(15), 2);
    }

    #[test]
    fn totals_without_attempts_have_no_ratio_or_latency() {
        let totals = Totals::from_counts(&Counts::ZERO);
        assert_eq!(totals.success_ratio, None);
        assert_eq!(totals.latency, LatencyStats::default());
        let json = serde_json::to_value(&totals).unwrap();
        assert!(json["success_ratio"].is_null());
    }

    #[test]
    fn totals_read_every_field() {
        let mut counts = Counts::ZERO;
        counts.fields[SUCCESS] = 3;
        counts.fields[SUCCESS + 1] = 1;
        counts.fields[RETRIES] = 2;
        counts.fields[HIST] = 5;
        counts.latency_nanos = 5_000_000;
        let totals = Totals::from_counts(&counts);
        assert_eq!(totals.successes, 4);
        assert_eq!(totals.attempts, 5);
        assert_eq!(totals.retries, 2);
        assert_eq!(totals.success_ratio, Some(0.8));
        assert_eq!(totals.latency.avg_ms, Some(1.0));
    }
}
