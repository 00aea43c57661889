use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use staunch::breaker::Outcome;
use staunch::retry::Verdict;

use super::*;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn judge(c: &HttpClassifier, code: u16) -> Classification {
    c.classify_status(
        StatusCode::from_u16(code).unwrap(),
        &HeaderMap::new(),
        now(),
    )
}

#[test]
fn default_retries_429_and_gateway_errors_only() {
    let c = HttpClassifier::default();
    for code in [429, 500, 502, 503, 504] {
        assert_eq!(judge(&c, code).verdict, Verdict::RETRY, "{code}");
    }
    for code in [400, 401, 403, 404, 408, 409, 422, 501, 505] {
        assert_eq!(judge(&c, code).verdict, Verdict::Fatal, "{code}");
    }
}

#[test]
fn success_and_redirect_statuses_are_successes() {
    let c = HttpClassifier::default();
    for code in [200, 201, 204, 301, 304, 307] {
        let judged = judge(&c, code);
        assert_eq!(judged.verdict, Verdict::Success, "{code}");
        assert_eq!(judged.breaker, Outcome::Success, "{code}");
    }
}

#[test]
fn too_many_requests_is_retried_but_not_a_breaker_failure_by_default() {
    let judged = judge(&HttpClassifier::default(), 429);
    assert!(judged.verdict.is_retry());
    assert_eq!(judged.breaker, Outcome::Success);
    let strict = HttpClassifier::default().with_breaker_status(429).unwrap();
    assert_eq!(judge(&strict, 429).breaker, Outcome::Failure);
}

#[test]
fn request_timeout_and_any_5xx_may_be_added() {
    let c = HttpClassifier::default()
        .with_retry_status(408)
        .unwrap()
        .with_retry_status(501)
        .unwrap();
    assert!(judge(&c, 408).verdict.is_retry());
    assert!(judge(&c, 501).verdict.is_retry());
    assert!(judge(&c, 503).verdict.is_retry(), "the defaults stay");
}

#[test]
fn other_4xx_cannot_be_made_retryable() {
    for code in [400, 404, 409, 200, 302, 600] {
        let err = HttpClassifier::default()
            .with_retry_status(code)
            .unwrap_err();
        assert_eq!(err.field(), Some("http.retry_statuses"));
        assert!(err.to_string().contains(&code.to_string()), "{err}");
        assert!(err.to_string().contains("408, 429 or 500 to 599"), "{err}");
    }
    let err = HttpClassifier::default()
        .with_breaker_statuses([503, 302])
        .unwrap_err();
    assert_eq!(err.field(), Some("http.breaker_statuses"));
}

#[test]
fn removed_status_becomes_final() {
    let c = HttpClassifier::default().without_retry_status(429);
    assert_eq!(judge(&c, 429).verdict, Verdict::Fatal);
}

#[test]
fn retry_after_becomes_the_verdicts_hint_unless_turned_off() {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("4"));
    let c = HttpClassifier::default();
    let judged = c.classify_status(StatusCode::SERVICE_UNAVAILABLE, &headers, now());
    assert_eq!(judged.verdict, Verdict::retry_after(Duration::from_secs(4)));
    let off = c.with_honor_retry_after(false);
    let judged = off.classify_status(StatusCode::SERVICE_UNAVAILABLE, &headers, now());
    assert_eq!(judged.verdict, Verdict::RETRY);
}

#[test]
fn retry_after_on_a_final_status_is_ignored() {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("4"));
    let judged = HttpClassifier::default().classify_status(StatusCode::NOT_FOUND, &headers, now());
    assert_eq!(judged.verdict, Verdict::Fatal);
}

#[test]
fn transport_failures_retry_and_count_by_kind() {
    let c = HttpClassifier::default();
    for kind in [
        ErrorKind::Dns,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
    ] {
        let judged = c.classify_error(kind);
        assert_eq!(judged.verdict, Verdict::RETRY, "{kind}");
        assert_eq!(judged.breaker, Outcome::Failure, "{kind}");
    }
    for kind in [ErrorKind::Body, ErrorKind::Other] {
        let judged = c.classify_error(kind);
        assert_eq!(judged.verdict, Verdict::Fatal, "{kind}");
        assert_eq!(judged.breaker, Outcome::Success, "{kind}");
    }
    let no_timeouts = c.with_retry_errors(ErrorKinds::DEFAULT_RETRY.without(ErrorKind::Timeout));
    assert_eq!(
        no_timeouts.classify_error(ErrorKind::Timeout).verdict,
        Verdict::Fatal
    );
}

proptest! {
    #[test]
    fn every_status_gets_exactly_the_documented_verdict(code in 100u16..=999) {
        let judged = judge(&HttpClassifier::default(), code);
        let expected = match code {
            429 | 500 | 502 | 503 | 504 => Verdict::RETRY,
            400..=599 => Verdict::Fatal,
            _ => Verdict::Success,
        };
        prop_assert_eq!(judged.verdict, expected);
        prop_assert_eq!(judged.status, Some(code));
    }

    #[test]
    fn allowed_retry_statuses_are_accepted_and_others_refused(code in 0u16..=1000) {
        let result = HttpClassifier::default().with_retry_status(code);
        prop_assert_eq!(result.is_ok(), matches!(code, 408 | 429 | 500..=599));
    }
}
