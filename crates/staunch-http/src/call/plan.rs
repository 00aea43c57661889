//! [`Plan`]: what one request's call needs to know before it starts.

use std::ops::Deref;

use http::{HeaderMap, Method};
use staunch::pool::Pool;
use staunch::retry::{RetryPolicy, Verdict};

use super::route::Route;
use crate::{BaseUrl, ErrorKind, HttpPolicy, RequestOptions, RetrySafety};

/// Whether a request's body can be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// No body, or a buffered one within `max_replay_body`.
    Replayable,
    /// A streaming body, or a buffered one over the limit: sent once.
    Once,
}

impl Body {
    /// A buffered body of `len` bytes (`None`: streaming, length unknown).
    pub(crate) fn of_len(len: Option<u64>, limit: usize) -> Self {
        match len {
            Some(len) if len <= limit as u64 => Self::Replayable,
            _ => Self::Once,
        }
    }
}

/// The retry policy of one call: the policy's own, or a copy changed by the
/// request's options. The copy is boxed: it is rare, and the call's future
/// (which holds the plan and is moved while it is set up) stays small.
#[derive(Debug)]
pub(crate) enum CallPolicy<'p> {
    /// The policy's retry policy, as it is.
    Shared(&'p RetryPolicy),
    /// A copy with the request's overrides.
    Overridden(Box<RetryPolicy>),
}

impl Deref for CallPolicy<'_> {
    type Target = RetryPolicy;

    #[inline]
    fn deref(&self) -> &RetryPolicy {
        match self {
            Self::Shared(policy) => policy,
            Self::Overridden(policy) => policy,
        }
    }
}

/// One request's call: its retry policy (with the request's overrides), its
/// retry safety, whether its body replays, and its endpoint key or, with a
/// pool, its route under each base URL.
#[derive(Debug)]
pub(crate) struct Plan<'p> {
    pub(crate) retry: CallPolicy<'p>,
    pub(crate) safety: RetrySafety,
    pub(crate) body: Body,
    /// `scheme://host:port`, made only when breakers or metrics need it
    /// and there is no pool.
    pub(crate) key: Option<String>,
    /// The request's path relative to the pool, when there is one.
    pub(crate) route: Option<Route>,
}

impl<'p> Plan<'p> {
    /// The plan of a request with this method, headers, options and body;
    /// `key` makes the endpoint key when it is needed.
    pub(crate) fn new(
        policy: &'p HttpPolicy,
        method: &Method,
        headers: &HeaderMap,
        options: Option<&RequestOptions>,
        body: Body,
        key: impl FnOnce() -> String,
    ) -> Self {
        let retry = match options {
            Some(o) if changes_policy(o) => {
                CallPolicy::Overridden(Box::new(apply(o, &policy.retry)))
            }
            _ => CallPolicy::Shared(&policy.retry),
        };
        let opt_in = match options.and_then(RequestOptions::idempotent) {
            Some(word) => Some(word),
            None => policy.retry_non_idempotent.then_some(true),
        };
        let needs_key =
            (policy.breakers.is_some() || policy.metrics.is_some()) && policy.failover.is_none();
        Self {
            retry,
            safety: RetrySafety::of(method, headers, opt_in),
            body,
            key: needs_key.then(key),
            route: None,
        }
    }

    /// With a pool in `policy`: the plan with the request's route, which
    /// `route` makes from the pool.
    pub(crate) fn routed(
        mut self,
        policy: &HttpPolicy,
        route: impl FnOnce(&Pool<BaseUrl>) -> Route,
    ) -> Self {
        if let Some(failover) = &policy.failover {
            self.route = Some(route(failover.pool()));
        }
        self
    }

    /// Whether a later attempt may need a copy of the request.
    pub(crate) fn may_resend(&self) -> bool {
        self.body == Body::Replayable && self.retry.max_attempts() > 1
    }

    /// The classifier's verdict after the request's own rules: a retry is
    /// only allowed when the request can be sent again (`can_resend`) and
    /// its retry safety allows it for this failure.
    #[inline]
    pub(crate) fn gate(
        &self,
        verdict: Verdict,
        kind: Option<ErrorKind>,
        can_resend: bool,
    ) -> Verdict {
        match verdict {
            Verdict::Retry { .. } if !can_resend => Verdict::Fatal,
            Verdict::Retry { .. }
                if !self
                    .safety
                    .allows(kind.is_some_and(ErrorKind::nothing_sent)) =>
            {
                Verdict::Fatal
            }
            verdict => verdict,
        }
    }
}

/// Whether `options` override a retry setting (the policy must be copied).
fn changes_policy(options: &RequestOptions) -> bool {
    options.max_attempts().is_some()
        || options.attempt_timeout().is_some()
        || options.deadline().is_some()
}

/// `base` with the retry overrides of `options`.
fn apply(options: &RequestOptions, base: &RetryPolicy) -> RetryPolicy {
    let mut builder = base.to_builder();
    if let Some(n) = options.max_attempts() {
        builder = builder.with_max_attempts(n);
    }
    if let Some(t) = options.attempt_timeout() {
        builder = builder.with_attempt_timeout(t);
    }
    if let Some(d) = options.deadline() {
        builder = builder.with_deadline(d);
    }
    builder.build()
}

/// `scheme://host:port`, the key of a host's breaker and metrics. Built by
/// hand: it is made on every call that has breakers or metrics.
pub(crate) fn endpoint_key(scheme: &str, host: &str, port: Option<u16>) -> String {
    let port = port.or(match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    });
    let mut key = String::with_capacity(scheme.len() + host.len() + 9);
    key.push_str(scheme);
    key.push_str("://");
    key.push_str(host);
    if let Some(port) = port {
        key.push(':');
        let mut digits = [0u8; 5];
        let mut start = digits.len();
        let mut rest = port;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &d in &digits[start..] {
            key.push(char::from(d));
        }
    }
    key
}

#[cfg(test)]
mod tests;
