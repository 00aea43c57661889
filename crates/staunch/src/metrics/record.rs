//! What the engine reports: one record per attempt, one per finished call.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// An endpoint's id as shared between the pool, breakers and metrics: cloning
/// it is a reference-count increment, not a string copy.
pub type EndpointId = Arc<str>;

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The operation succeeded.
    Success,
    /// It failed in a way worth retrying (5xx, reset, refused connection).
    RetryableFailure,
    /// The per-attempt timeout fired; retryable.
    Timeout,
    /// It failed in a way that must not be retried (4xx, bad request).
    Fatal,
    /// Not sent: the endpoint's circuit breaker was open.
    Rejected,
    /// Not sent: the retry budget refused this retry.
    BudgetDenied,
}

impl AttemptOutcome {
    /// Every outcome, in the order used by counters and labels.
    pub const ALL: [Self; 6] = [
        Self::Success,
        Self::RetryableFailure,
        Self::Timeout,
        Self::Fatal,
        Self::Rejected,
        Self::BudgetDenied,
    ];

    /// The snake_case name used in JSON and as the `outcome` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::RetryableFailure => "retryable_failure",
            Self::Timeout => "timeout",
            Self::Fatal => "fatal",
            Self::Rejected => "rejected",
            Self::BudgetDenied => "budget_denied",
        }
    }

    /// Whether the attempt reached the endpoint. Attempts that were not sent
    /// (breaker open, budget refused) have no latency and are not counted as
    /// attempts or retries, only as failures.
    pub const fn was_sent(self) -> bool {
        !matches!(self, Self::Rejected | Self::BudgetDenied)
    }

    /// Position in [`ALL`](Self::ALL).
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::Success => 0,
            Self::RetryableFailure => 1,
            Self::Timeout => 2,
            Self::Fatal => 3,
            Self::Rejected => 4,
            Self::BudgetDenied => 5,
        }
    }
}

/// How a whole call ended, after all its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallOutcome {
    /// One of the attempts succeeded.
    Success,
    /// Every allowed attempt failed with a retryable error.
    Exhausted,
    /// An attempt failed with an error that must not be retried.
    Fatal,
    /// The total timeout (deadline) stopped the call.
    DeadlineExceeded,
    /// The retry budget refused the next retry.
    BudgetExhausted,
    /// No endpoint could be tried: every breaker open or excluded.
    Unavailable,
}

impl CallOutcome {
    /// Every outcome, in the order used by counters and labels.
    pub const ALL: [Self; 6] = [
        Self::Success,
        Self::Exhausted,
        Self::Fatal,
        Self::DeadlineExceeded,
        Self::BudgetExhausted,
        Self::Unavailable,
    ];

    /// The snake_case name used in JSON and as the `outcome` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Exhausted => "exhausted",
            Self::Fatal => "fatal",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::BudgetExhausted => "budget_exhausted",
            Self::Unavailable => "unavailable",
        }
    }

    /// Position in [`ALL`](Self::ALL).
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::Success => 0,
            Self::Exhausted => 1,
            Self::Fatal => 2,
            Self::DeadlineExceeded => 3,
            Self::BudgetExhausted => 4,
            Self::Unavailable => 5,
        }
    }
}

/// One attempt of one call.
///
/// ```
/// use staunch::metrics::{AttemptOutcome, AttemptRecord};
/// use std::time::{Duration, SystemTime};
///
/// let record = AttemptRecord::new(42, 2, AttemptOutcome::Success, SystemTime::now())
///     .with_endpoint("proxy-eu-1")
///     .with_status(200)
///     .with_delay_before(Duration::from_secs(1))
///     .with_latency(Duration::from_millis(80));
/// assert_eq!(record.endpoint.as_deref(), Some("proxy-eu-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// Identifies the call; every attempt of a call carries the same id.
    pub call_id: u64,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// Where it went, when the call runs over a pool.
    pub endpoint: Option<EndpointId>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The protocol status (HTTP status code), when there was one.
    pub status: Option<u16>,
    /// A short, fixed name for the error (`"connect"`, `"reset"`), when
    /// there was one.
    pub error_kind: Option<&'static str>,
    /// The backoff slept before this attempt (zero for the first).
    pub delay_before: Duration,
    /// How long the attempt took.
    pub latency: Duration,
    /// When it finished (wall clock); decides its minute bucket.
    pub at: SystemTime,
}

impl AttemptRecord {
    /// A record with no endpoint, status or error kind and zero durations.
    pub fn new(call_id: u64, attempt: u32, outcome: AttemptOutcome, at: SystemTime) -> Self {
        Self {
            call_id,
            attempt,
            endpoint: None,
            outcome,
            status: None,
            error_kind: None,
            delay_before: Duration::ZERO,
            latency: Duration::ZERO,
            at,
        }
    }

    /// Sets [`endpoint`](Self::endpoint).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<EndpointId>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets [`status`](Self::status).
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets [`error_kind`](Self::error_kind).
    #[must_use]
    pub fn with_error_kind(mut self, kind: &'static str) -> Self {
        self.error_kind = Some(kind);
        self
    }

    /// Sets [`delay_before`](Self::delay_before).
    #[must_use]
    pub fn with_delay_before(mut self, delay: Duration) -> Self {
        self.delay_before = delay;
        self
    }

    /// Sets [`latency`](Self::latency).
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

/// One finished call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The id its attempts carried.
    pub call_id: u64,
    /// How many attempts were sent.
    pub attempts: u32,
    /// How it ended.
    pub outcome: CallOutcome,
    /// The endpoint of the last attempt, if any; the call is counted there.
    pub endpoint: Option<EndpointId>,
    /// From the start of the first attempt to the end of the last.
    pub duration: Duration,
    /// When it finished (wall clock).
    pub at: SystemTime,
}

impl CallRecord {
    /// A record with no endpoint and zero duration.
    pub fn new(call_id: u64, attempts: u32, outcome: CallOutcome, at: SystemTime) -> Self {
        Self {
            call_id,
            attempts,
            outcome,
            endpoint: None,
            duration: Duration::ZERO,
            at,
        }
    }

    /// Sets [`endpoint`](Self::endpoint).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<EndpointId>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets [`duration`](Self::duration).
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_all() {
        for (i, outcome) in AttemptOutcome::ALL.iter().enumerate() {
            assert_eq!(outcome.index(), i);
        }
        for (i, outcome) in CallOutcome::ALL.iter().enumerate() {
            assert_eq!(outcome.index(), i);
        }
    }

    #[test]
    fn labels_match_serde_names() {
        for outcome in AttemptOutcome::ALL {
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
        }
        for outcome in CallOutcome::ALL {
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
        }
    }

    #[test]
    fn rejected_and_budget_denied_were_not_sent() {
        let unsent: Vec<_> = AttemptOutcome::ALL
            .into_iter()
            .filter(|o| !o.was_sent())
            .collect();
        assert_eq!(
            unsent,
            [AttemptOutcome::Rejected, AttemptOutcome::BudgetDenied]
        );
    }
}
