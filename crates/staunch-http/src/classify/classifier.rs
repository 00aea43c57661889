//! [`HttpClassifier`]: which answers and failures are retried, and which
//! count against a circuit breaker.

use std::time::SystemTime;

use http::{HeaderMap, StatusCode};
use staunch::breaker::Outcome;
use staunch::config::ConfigError;
use staunch::retry::Verdict;

use super::{ErrorKind, ErrorKinds, StatusSet};
use crate::retry_after::retry_after;

/// How one attempt is judged: retry verdict and breaker outcome apart.
///
/// | setting | default |
/// |---|---|
/// | [`retry_statuses`](Self::with_retry_statuses) | 429, 500, 502, 503, 504 |
/// | [`breaker_statuses`](Self::with_breaker_statuses) | 500, 502, 503, 504 |
/// | [`retry_errors`](Self::with_retry_errors) | DNS, connect, timeout, reset |
/// | [`breaker_errors`](Self::with_breaker_errors) | DNS, connect, timeout, reset |
/// | [`honor_retry_after`](Self::with_honor_retry_after) | `true` |
///
/// Every other status is final: 2xx and 3xx are successes, other 4xx and 5xx
/// are returned at once. A retryable answer with a `Retry-After` header asks
/// the retry policy not to retry before it (capped by the policy's
/// `max_retry_after`). The breaker side is separate: by default a 429 is
/// retried but says nothing bad about the server's health.
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use staunch::breaker::Outcome;
/// use staunch::retry::Verdict;
/// use staunch_http::HttpClassifier;
/// use std::time::{Duration, SystemTime};
///
/// let classifier = HttpClassifier::default().with_retry_status(408).unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", "3".parse().unwrap());
/// let judged = classifier.classify_status(StatusCode::TOO_MANY_REQUESTS, &headers, SystemTime::now());
/// assert_eq!(judged.verdict, Verdict::retry_after(Duration::from_secs(3)));
/// assert_eq!(judged.breaker, Outcome::Success);
/// assert_eq!(classifier.classify_status(StatusCode::NOT_FOUND, &headers, SystemTime::now()).verdict, Verdict::Fatal);
/// assert!(HttpClassifier::default().with_retry_status(404).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpClassifier {
    retry_statuses: StatusSet,
    breaker_statuses: StatusSet,
    retry_errors: ErrorKinds,
    breaker_errors: ErrorKinds,
    honor_retry_after: bool,
}

/// The judgement of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Classification {
    /// What the retry policy should do (before idempotency and body rules).
    pub verdict: Verdict,
    /// What the endpoint's circuit breaker should record.
    pub breaker: Outcome,
    /// The response status, when there was a response.
    pub status: Option<u16>,
    /// The failure, when there was no response.
    pub error_kind: Option<ErrorKind>,
}

impl Default for HttpClassifier {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Statuses that may be retried: 408, 429 and every 5xx.
/// Builds a set from `codes`, refusing the first one `allowed` rejects with
/// an error naming `field` and the allowed range.
fn status_set(
    codes: impl IntoIterator<Item = u16>,
    allowed: fn(u16) -> bool,
    field: &str,
    range: &str,
) -> Result<StatusSet, ConfigError> {
    let mut set = StatusSet::EMPTY;
    for code in codes {
        if !allowed(code) {
            return Err(ConfigError::invalid(field, code, range));
        }
        set = set.with(code);
    }
    Ok(set)
}

fn retry_status_allowed(code: u16) -> bool {
    matches!(code, 408 | 429 | 500..=599)
}

/// Statuses that may count as breaker failures: every 4xx and 5xx.
fn breaker_status_allowed(code: u16) -> bool {
    (400..=599).contains(&code)
}

impl HttpClassifier {
    /// The documented defaults (see the table above).
    pub const DEFAULT: Self = Self {
        retry_statuses: StatusSet::DEFAULT_RETRY,
        breaker_statuses: StatusSet::DEFAULT_BREAKER,
        retry_errors: ErrorKinds::DEFAULT_RETRY,
        breaker_errors: ErrorKinds::DEFAULT_RETRY,
        honor_retry_after: true,
    };

    /// Replaces the retried statuses. Allowed: 408, 429 and 500 to 599;
    /// anything else is refused, naming the code.
    pub fn with_retry_statuses(
        mut self,
        codes: impl IntoIterator<Item = u16>,
    ) -> Result<Self, ConfigError> {
        self.retry_statuses = status_set(
            codes,
            retry_status_allowed,
            "http.retry_statuses",
            "408, 429 or 500 to 599",
        )?;
        Ok(self)
    }

    /// Adds one retried status (408, 429 or 500 to 599).
    pub fn with_retry_status(self, code: u16) -> Result<Self, ConfigError> {
        let codes = self.retry_statuses;
        self.with_retry_statuses(codes.iter().chain([code]))
    }

    /// Stops retrying `code`.
    pub const fn without_retry_status(mut self, code: u16) -> Self {
        self.retry_statuses = self.retry_statuses.without(code);
        self
    }

    /// Replaces the statuses that count as breaker failures. Allowed: 400
    /// to 599 (add 429 to let rate limiting open the breaker).
    pub fn with_breaker_statuses(
        mut self,
        codes: impl IntoIterator<Item = u16>,
    ) -> Result<Self, ConfigError> {
        self.breaker_statuses = status_set(
            codes,
            breaker_status_allowed,
            "http.breaker_statuses",
            "400 to 599",
        )?;
        Ok(self)
    }

    /// Adds one breaker-failure status (400 to 599).
    pub fn with_breaker_status(self, code: u16) -> Result<Self, ConfigError> {
        let codes = self.breaker_statuses;
        self.with_breaker_statuses(codes.iter().chain([code]))
    }

    /// Replaces the retried failure kinds.
    pub const fn with_retry_errors(mut self, kinds: ErrorKinds) -> Self {
        self.retry_errors = kinds;
        self
    }

    /// Replaces the failure kinds that count as breaker failures.
    pub const fn with_breaker_errors(mut self, kinds: ErrorKinds) -> Self {
        self.breaker_errors = kinds;
        self
    }

    /// Whether `Retry-After` on a retried answer is read (default `true`).
    pub const fn with_honor_retry_after(mut self, honor: bool) -> Self {
        self.honor_retry_after = honor;
        self
    }

    /// The retried statuses.
    pub const fn retry_statuses(&self) -> StatusSet {
        self.retry_statuses
    }

    /// The statuses that count as breaker failures.
    pub const fn breaker_statuses(&self) -> StatusSet {
        self.breaker_statuses
    }

    /// The retried failure kinds.
    pub const fn retry_errors(&self) -> ErrorKinds {
        self.retry_errors
    }

    /// The failure kinds that count as breaker failures.
    pub const fn breaker_errors(&self) -> ErrorKinds {
        self.breaker_errors
    }

    /// Whether `Retry-After` is read.
    pub const fn honor_retry_after(&self) -> bool {
        self.honor_retry_after
    }

    /// Judges a response by its status (and `Retry-After`, read relative to
    /// `now`).
    pub fn classify_status(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Classification {
        self.classify_response(status, headers, || now)
    }

    /// [`classify_status`](Self::classify_status), reading the wall clock
    /// only for an HTTP-date `Retry-After` on a retried answer.
    #[inline]
    pub(crate) fn classify_response(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        now: impl FnOnce() -> SystemTime,
    ) -> Classification {
        let code = status.as_u16();
        let verdict = if self.retry_statuses.contains(code) {
            let after = if self.honor_retry_after {
                retry_after(headers, now())
            } else {
                None
            };
            Verdict::Retry { after }
        } else if status.is_client_error() || status.is_server_error() {
            Verdict::Fatal
        } else {
            Verdict::Success
        };
        let breaker = if self.breaker_statuses.contains(code) {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        Classification {
            verdict,
            breaker,
            status: Some(code),
            error_kind: None,
        }
    }

    /// Judges an attempt that got no response.
    pub fn classify_error(&self, kind: ErrorKind) -> Classification {
        let verdict = if self.retry_errors.contains(kind) {
            Verdict::RETRY
        } else {
            Verdict::Fatal
        };
        let breaker = if self.breaker_errors.contains(kind) {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        Classification {
            verdict,
            breaker,
            status: None,
            error_kind: Some(kind),
        }
    }
}

#[cfg(test)]
mod tests;
