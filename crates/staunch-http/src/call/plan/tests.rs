use super::*;
use std::sync::Arc;
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
        |_| Host::default(),
    );
    assert!(plan.overridden.is_none());
    let deadline = RequestOptions::new().with_deadline(Duration::from_secs(1));
    let plan = Plan::new(
        &policy,
        &Method::GET,
        &HeaderMap::new(),
        Some(&deadline),
        Body::Replayable,
        |_| Host::default(),
    );
    assert_eq!(plan.retry(&policy).deadline(), Some(Duration::from_secs(1)));
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
        |_| Host::default(),
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
        |_| Host::default(),
    );
    assert!(!plan.may_resend(&policy));
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
        |_| Host::default(),
    );
    assert_eq!(plan.safety, RetrySafety::Always);
    let no = RequestOptions::new().with_idempotent(false);
    let plan = Plan::new(
        &policy,
        &Method::POST,
        &HeaderMap::new(),
        Some(&no),
        Body::Replayable,
        |_| Host::default(),
    );
    assert_eq!(plan.safety, RetrySafety::UnsentOnly);
}

/// The lookup each policy asks for, or `None` when it asks for none.
fn lookup_asked_by(policy: &HttpPolicy) -> Option<(bool, bool)> {
    let mut asked = None;
    Plan::new(
        policy,
        &Method::GET,
        &HeaderMap::new(),
        None,
        Body::Replayable,
        |lookup| {
            asked = Some((lookup.registry.is_some(), lookup.want_key));
            Host::default()
        },
    );
    asked
}

#[test]
fn host_is_looked_up_only_when_breakers_or_metrics_need_it() {
    let bare = HttpPolicy::builder().without_breakers().build();
    assert_eq!(lookup_asked_by(&bare), None);
    assert_eq!(
        lookup_asked_by(&HttpPolicy::default()),
        Some((true, false)),
        "a breaker, no key"
    );
    let sink: Arc<dyn staunch::metrics::MetricsSink> = Arc::new(staunch::metrics::NoopSink);
    let metrics_only = HttpPolicy::builder()
        .without_breakers()
        .with_metrics(sink)
        .build();
    assert_eq!(
        lookup_asked_by(&metrics_only),
        Some((false, true)),
        "a key, no breaker"
    );
}
