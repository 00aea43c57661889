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
    assert!(matches!(plan.retry, CallPolicy::Shared(_)));
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
