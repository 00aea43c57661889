//! [`Plan`]: what one request's call needs to know before it starts.

use http::{HeaderMap, Method};
use staunch::pool::Pool;
use staunch::retry::{RetryPolicy, Verdict};

use super::host::{Host, HostLookup};
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

/// One request's call: its retry policy (with the request's overrides), its
/// retry safety, whether its body replays, and its host (key and breaker)
/// or, with a pool, its route under each base URL.
///
/// A plan borrows nothing: the call's future owns it next to its policy.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The policy's retry policy with the request's overrides, boxed (it is
    /// rare, and the call's future stays small); `None`: the policy's own.
    overridden: Option<Box<RetryPolicy>>,
    pub(crate) safety: RetrySafety,
    pub(crate) body: Body,
    /// The host's key (when metrics need it) and breaker (when there are
    /// breakers); neither with a pool, whose endpoints have their own.
    pub(crate) host: Host,
    /// The request's path relative to the pool, when there is one.
    pub(crate) route: Option<Route>,
}

impl Plan {
    /// The plan of a request with this method, headers, options and body;
    /// `host` finds the request's [`Host`] when breakers or metrics need it.
    pub(crate) fn new<'p>(
        policy: &'p HttpPolicy,
        method: &Method,
        headers: &HeaderMap,
        options: Option<&RequestOptions>,
        body: Body,
        host: impl FnOnce(HostLookup<'p>) -> Host,
    ) -> Self {
        let overridden = match options {
            Some(o) if changes_policy(o) => Some(Box::new(apply(o, &policy.retry))),
            _ => None,
        };
        let opt_in = match options.and_then(RequestOptions::idempotent) {
            Some(word) => Some(word),
            None => policy.retry_non_idempotent.then_some(true),
        };
        let lookup = HostLookup {
            registry: policy.breakers.as_ref(),
            want_key: policy.metrics.is_some(),
        };
        let needs_host =
            (lookup.registry.is_some() || lookup.want_key) && policy.failover.is_none();
        Self {
            overridden,
            safety: RetrySafety::of(method, headers, opt_in),
            body,
            host: if needs_host {
                host(lookup)
            } else {
                Host::default()
            },
            route: None,
        }
    }

    /// With a pool in `policy`: the plan with the request's route, which
    /// `route` makes from the pool.
    #[inline]
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

    /// The call's retry policy: `policy`'s, or the request's overrides of
    /// it.
    #[inline]
    pub(crate) fn retry<'s>(&'s self, policy: &'s HttpPolicy) -> &'s RetryPolicy {
        self.overridden.as_deref().unwrap_or(&policy.retry)
    }

    /// Whether a later attempt may need a copy of the request.
    pub(crate) fn may_resend(&self, policy: &HttpPolicy) -> bool {
        self.body == Body::Replayable && self.retry(policy).max_attempts() > 1
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

#[cfg(test)]
mod tests;
