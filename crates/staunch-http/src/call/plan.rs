//! [`Plan`]: what one request's call needs to know before it starts.

use std::borrow::Cow;

use http::{HeaderMap, Method};
use staunch::retry::{RetryPolicy, Verdict};

use crate::{ErrorKind, HttpPolicy, RequestOptions, RetrySafety};

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
/// retry safety, whether its body replays, and its endpoint key.
#[derive(Debug)]
pub(crate) struct Plan<'p> {
    pub(crate) retry: Cow<'p, RetryPolicy>,
    pub(crate) safety: RetrySafety,
    pub(crate) body: Body,
    /// `scheme://host:port`, made only when breakers or metrics need it.
    pub(crate) key: Option<String>,
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
            Some(o) if changes_policy(o) => Cow::Owned(apply(o, &policy.retry)),
            _ => Cow::Borrowed(&policy.retry),
        };
        let opt_in = match options.and_then(RequestOptions::idempotent) {
            Some(word) => Some(word),
            None => policy.retry_non_idempotent.then_some(true),
        };
        let needs_key = policy.breakers.is_some() || policy.metrics.is_some();
        Self {
            retry,
            safety: RetrySafety::of(method, headers, opt_in),
            body,
            key: needs_key.then(key),
        }
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
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let base = RetryPolicy::builder()
            .with_max_attempts(3)
            .with_attempt_timeout(Duration::from_secs(9))
            .build();
        let policy = apply(&RequestOptions::new().with_max_attempts(7), &base);
        assert_eq!(policy.max_attempts(), 7);
        assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(9)));
        assert_eq!(policy.backoff(), base.backoff());
    }

    #[test]
    fn idempotency_alone_does_not_copy_the_policy() {
        let policy = HttpPolicy::default();
        let word = RequestOptions::new().with_idempotent(true);
        let plan = Plan::new(
            &policy,
            &Method::POST,
            &HeaderMap::new(),
            Some(&word),
            Body::Replayable,
            String::new,
        );
        assert!(matches!(plan.retry, Cow::Borrowed(_)));
        let deadline = RequestOptions::new().with_deadline(Duration::from_secs(1));
        let plan = Plan::new(
            &policy,
            &Method::GET,
            &HeaderMap::new(),
            Some(&deadline),
            Body::Replayable,
            String::new,
        );
        assert_eq!(plan.retry.deadline(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn key_fills_in_the_scheme_default_port() {
        assert_eq!(endpoint_key("http", "api.test", None), "http://api.test:80");
        assert_eq!(
            endpoint_key("https", "api.test", None),
            "https://api.test:443"
        );
        assert_eq!(
            endpoint_key("http", "[::1]", Some(8080)),
            "http://[::1]:8080"
        );
        assert_eq!(endpoint_key("unix", "sock", None), "unix://sock");
        for port in [0, 7, 10, 99, 100, 65535] {
            assert_eq!(
                endpoint_key("http", "h", Some(port)),
                format!("http://h:{port}")
            );
        }
    }

    #[test]
    fn body_over_the_limit_or_streaming_is_sent_once() {
        assert_eq!(Body::of_len(Some(10), 10), Body::Replayable);
        assert_eq!(Body::of_len(Some(11), 10), Body::Once);
        assert_eq!(Body::of_len(None, 10), Body::Once);
    }

    #[test]
    fn post_retries_only_failures_that_sent_nothing() {
        let policy = HttpPolicy::default();
        let plan = Plan::new(
            &policy,
            &Method::POST,
            &HeaderMap::new(),
            None,
            Body::Replayable,
            String::new,
        );
        assert_eq!(plan.gate(Verdict::RETRY, None, true), Verdict::Fatal);
        assert_eq!(
            plan.gate(Verdict::RETRY, Some(ErrorKind::Reset), true),
            Verdict::Fatal
        );
        assert_eq!(
            plan.gate(Verdict::RETRY, Some(ErrorKind::Connect), true),
            Verdict::RETRY
        );
        assert_eq!(
            plan.gate(Verdict::RETRY, Some(ErrorKind::Dns), true),
            Verdict::RETRY
        );
    }

    #[test]
    fn nothing_is_retried_without_a_copy_to_send() {
        let policy = HttpPolicy::default();
        let plan = Plan::new(
            &policy,
            &Method::GET,
            &HeaderMap::new(),
            None,
            Body::Once,
            String::new,
        );
        assert!(!plan.may_resend());
        assert_eq!(
            plan.gate(Verdict::RETRY, Some(ErrorKind::Connect), false),
            Verdict::Fatal
        );
        assert_eq!(plan.gate(Verdict::Success, None, false), Verdict::Success);
    }

    #[test]
    fn policy_wide_opt_in_and_per_request_word() {
        let policy = HttpPolicy::builder()
            .with_retry_non_idempotent(true)
            .build();
        let plan = Plan::new(
            &policy,
            &Method::POST,
            &HeaderMap::new(),
            None,
            Body::Replayable,
            String::new,
        );
        assert_eq!(plan.safety, RetrySafety::Always);
        let no = RequestOptions::new().with_idempotent(false);
        let plan = Plan::new(
            &policy,
            &Method::POST,
            &HeaderMap::new(),
            Some(&no),
            Body::Replayable,
            String::new,
        );
        assert_eq!(plan.safety, RetrySafety::UnsentOnly);
    }

    #[test]
    fn key_is_made_only_when_breakers_or_metrics_need_it() {
        let bare = HttpPolicy::builder().without_breakers().build();
        let plan = Plan::new(
            &bare,
            &Method::GET,
            &HeaderMap::new(),
            None,
            Body::Replayable,
            || "k".into(),
        );
        assert_eq!(plan.key, None);
        let with = HttpPolicy::default();
        let plan = Plan::new(
            &with,
            &Method::GET,
            &HeaderMap::new(),
            None,
            Body::Replayable,
            || "k".into(),
        );
        assert_eq!(plan.key.as_deref(), Some("k"));
    }
}
