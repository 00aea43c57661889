//! The trip rules of the design, one test each, all on fake time.

use staunch::breaker::{BreakerConfig, BreakerError, CircuitState, Outcome};

#[path = "support/breaker.rs"]
mod support;
use support::{breaker, fail, succeed, SEC};

#[test]
fn failure_threshold_failures_within_the_window_open_the_breaker() {
    let (b, clock) = breaker(BreakerConfig::default());
    for _ in 0..4 {
        assert_eq!(fail(&b), None);
        succeed(&b);
        clock.advance(10 * SEC);
    }
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(
        fail(&b),
        Some(CircuitState::Open),
        "5th failure within 60 s"
    );
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn failures_older_than_the_window_do_not_count() {
    let (b, clock) = breaker(BreakerConfig::default());
    for _ in 0..4 {
        fail(&b);
    }
    clock.advance(61 * SEC);
    assert_eq!(b.snapshot().failures_in_window, 0);
    for _ in 0..4 {
        assert_eq!(fail(&b), None);
    }
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn consecutive_failures_open_the_breaker_and_a_success_breaks_the_run() {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(3);
    let (b, _clock) = breaker(config);
    fail(&b);
    fail(&b);
    succeed(&b);
    assert_eq!(b.snapshot().consecutive_failures, 0);
    fail(&b);
    fail(&b);
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(fail(&b), Some(CircuitState::Open));
}

#[test]
fn failure_rate_opens_once_min_calls_were_seen() {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_failure_rate(0.5)
        .with_min_calls(6);
    let (b, _clock) = breaker(config);
    // 3 failures of 3 calls: 100 %, but fewer than min_calls.
    for _ in 0..3 {
        assert_eq!(fail(&b), None);
    }
    succeed(&b);
    succeed(&b);
    assert_eq!(b.snapshot().calls_in_window, Some(5));
    // 4 of 6 calls failed: 66 % >= 50 %.
    assert_eq!(fail(&b), Some(CircuitState::Open));
}

#[test]
fn failure_rate_below_the_limit_keeps_the_breaker_closed() {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_failure_rate(0.5)
        .with_min_calls(4);
    let (b, _clock) = breaker(config);
    for _ in 0..20 {
        succeed(&b);
        succeed(&b);
        assert_eq!(fail(&b), None, "1 in 3 is below 50 %");
    }
    assert_eq!(b.state(), CircuitState::Closed);
    let snap = b.snapshot();
    assert_eq!(
        (
            snap.calls_in_window,
            snap.failures_in_window,
            snap.successes_in_window
        ),
        (Some(60), 20, Some(40))
    );
}

#[test]
fn slow_call_rate_opens_when_calls_are_slower_than_slow_call_duration() {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_slow_call_rate(0.5)
        .with_slow_call_duration(2 * SEC)
        .with_min_calls(4);
    let (b, clock) = breaker(config);
    for _ in 0..2 {
        succeed(&b);
    }
    let permit = b.try_acquire().unwrap();
    clock.advance(2 * SEC);
    assert_eq!(
        permit.success(),
        None,
        "exactly slow_call_duration is not slow"
    );
    let permit = b.try_acquire().unwrap();
    clock.advance(3 * SEC);
    assert_eq!(permit.success(), None, "1 slow of 4 calls");
    let reported = b.try_acquire().unwrap();
    assert_eq!(
        reported.record_with_latency(Outcome::Success, 5 * SEC),
        None,
        "2 slow of 5 calls is below 50 %"
    );
    let permit = b.try_acquire().unwrap();
    clock.advance(3 * SEC);
    assert_eq!(
        permit.failure(),
        Some(CircuitState::Open),
        "3 slow of 6 calls"
    );
    assert_eq!(b.snapshot().slow_calls_in_window, Some(3));
}

#[test]
fn rules_combine_and_the_first_to_fire_opens() {
    let config = BreakerConfig::default()
        .with_failure_threshold(10)
        .with_consecutive_failures(2);
    let (b, _clock) = breaker(config);
    fail(&b);
    assert_eq!(
        fail(&b),
        Some(CircuitState::Open),
        "2 in a row, long before 10"
    );
}

#[test]
fn a_disabled_breaker_never_trips_but_can_be_isolated() {
    let config = BreakerConfig::default()
        .with_enabled(false)
        .with_consecutive_failures(1);
    let (b, _clock) = breaker(config);
    for _ in 0..100 {
        assert_eq!(fail(&b), None);
    }
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(b.snapshot().failures_in_window, 0);
    b.isolate();
    assert!(b.try_acquire().is_err());
}

#[test]
fn the_classifier_decides_which_errors_count_as_failures() {
    let (b, _clock) = breaker(BreakerConfig::default().with_consecutive_failures(2));
    let server_errors = |status: &u16| *status >= 500;
    for _ in 0..10 {
        let result = b.call_with(&server_errors, || Err::<(), u16>(404));
        assert_eq!(result, Err(BreakerError::Inner(404)));
    }
    assert_eq!(b.state(), CircuitState::Closed, "4xx never trips");
    let _ = b.call_with(&server_errors, || Err::<(), u16>(503));
    let _ = b.call_with(&server_errors, || Err::<(), u16>(502));
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn a_closed_success_counts_nothing_unless_a_rule_needs_it() {
    let (plain, _c) = breaker(BreakerConfig::default());
    succeed(&plain);
    assert_eq!(plain.snapshot().calls_in_window, None);
    let (counted, _c) = breaker(BreakerConfig::default().with_count_calls(true));
    succeed(&counted);
    fail(&counted);
    let snap = counted.snapshot();
    assert_eq!(
        (
            snap.calls_in_window,
            snap.successes_in_window,
            snap.failures_in_window
        ),
        (Some(2), Some(1), 1)
    );
}
