//! The attempt loop against scripted attempts on paused time: endpoint
//! order, backoff, hints, stop rules, idempotency, deadline.

use std::time::Duration;

use proptest::prelude::*;
use staunch::breaker::BreakerConfig;
use staunch::retry::StopReason;
use tokio::time::Instant;

use super::script::{engine_of, upstream, Answer, Scripted, Step, OK, REFUSED, RESET, UNAVAILABLE};
use super::*;
use crate::config::GatewayConfig;

fn limits(max_attempts: u32, repeat: bool) -> AttemptLimits {
    AttemptLimits {
        max_attempts,
        deadline: None,
        repeat_after_delivery: repeat,
    }
}

/// The loop's result, the endpoints it called in order, and the (paused)
/// time it took.
type Run = (
    Result<Attempted<Answer>, AttemptsFailed>,
    Vec<String>,
    Duration,
);

fn run_with(config: &GatewayConfig, steps: &[Step], n: usize, limits: AttemptLimits) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let engine = engine_of(config);
    let upstream = upstream(&engine, n);
    let mut scripted = Scripted::new(steps);
    let (result, took) = rt.block_on(async {
        let start = Instant::now();
        let result = run_attempts(&engine, &upstream, &limits, &mut scripted).await;
        (result, start.elapsed())
    });
    (result, scripted.calls, took)
}

fn run(steps: &[Step], n: usize, limits: AttemptLimits) -> Run {
    run_with(&GatewayConfig::default(), steps, n, limits)
}

#[test]
fn retries_go_to_untried_endpoints_first_and_at_once() {
    let steps = [REFUSED, RESET, OK, OK];
    let (result, calls, took) = run(&steps, 4, limits(10, true));
    let done = result.unwrap();
    assert_eq!(calls, ["e0", "e1", "e2"]);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.endpoint.id(), "e2");
    assert_eq!(done.output.0, 2);
    assert_eq!(took, Duration::ZERO, "a failover waits no backoff");
}

#[test]
fn a_single_endpoint_is_retried_after_the_gateway_backoff() {
    let (result, calls, took) = run(&[UNAVAILABLE, UNAVAILABLE, OK], 1, limits(3, true));
    let done = result.unwrap();
    assert_eq!(calls, ["e0", "e0", "e0"]);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.output.1, 200);
    assert_eq!(
        took,
        Duration::from_millis(100 + 200),
        "100 ms, then 200 ms"
    );
}

#[test]
fn endpoints_are_reused_after_the_backoff_once_all_were_tried() {
    let (result, calls, took) = run(&[REFUSED, REFUSED, REFUSED, OK], 2, limits(4, true));
    assert_eq!(result.unwrap().attempts, 4);
    assert_eq!(calls[..2], ["e0", "e1"]);
    assert!(calls[2..].iter().all(|id| id == "e0" || id == "e1"));
    assert_eq!(
        took,
        Duration::from_millis(200 + 400),
        "the failover to e1 is free; the reuses wait the 2nd and 3rd backoff"
    );
}

#[test]
fn retry_after_raises_the_wait_on_the_same_endpoint_up_to_its_cap() {
    let steps = [Step::Hinted(Duration::from_secs(5)), OK];
    let (result, _, took) = run(&steps, 1, limits(3, true));
    assert_eq!(result.unwrap().output.1, 200);
    assert_eq!(took, Duration::from_secs(5));

    let steps = [Step::Hinted(Duration::from_secs(3600)), OK];
    let (_, _, took) = run(&steps, 1, limits(3, true));
    assert_eq!(
        took,
        Duration::from_secs(60),
        "max_retry_after caps the hint"
    );
}

#[test]
fn max_attempts_caps_the_attempts() {
    let (result, calls, _) = run(&[REFUSED; 5], 5, limits(2, true));
    let failed = result.unwrap_err();
    assert_eq!(calls, ["e0", "e1"]);
    assert_eq!(failed.attempts, 2);
    assert_eq!(failed.errors.len(), 2);
    assert_eq!(failed.retry_after, UNAVAILABLE_RETRY_AFTER);
    assert_eq!(failed.reason, StopReason::Exhausted);
}

#[test]
fn the_request_attempt_count_replaces_the_live_one_both_ways() {
    let live = GatewayConfig::default().retry.max_attempts;
    for wanted in [1, live, live + 2] {
        let (result, calls, _) = run(&[REFUSED; 6], 6, limits(wanted, true));
        assert_eq!(calls.len() as u32, wanted, "asked for {wanted}");
        assert_eq!(result.unwrap_err().attempts, wanted);
    }
}

#[test]
fn final_answers_are_returned_at_once() {
    for status in [200, 204, 301, 404, 409, 500, 501] {
        let (result, calls, _) = run(&[Step::Answer(status), OK], 2, limits(3, true));
        assert_eq!(result.unwrap().output.1, status);
        assert_eq!(calls, ["e0"], "{status} is not in the retry list");
    }
}

#[test]
fn non_idempotent_request_stops_after_a_delivery_but_not_after_a_refusal() {
    let (result, calls, _) = run(&[REFUSED, RESET, OK], 3, limits(10, false));
    assert_eq!(calls, ["e0", "e1"]);
    let failed = result.unwrap_err();
    assert_eq!(failed.last_error().unwrap().kind(), AttemptErrorKind::Reset);
    assert_eq!(failed.reason, StopReason::Fatal);
}

#[test]
fn non_idempotent_request_returns_the_first_retryable_answer() {
    let (result, calls, _) = run(&[UNAVAILABLE, OK], 2, limits(10, false));
    assert_eq!(calls, ["e0"]);
    assert_eq!(result.unwrap().output, (0, 503, None));
}

#[test]
fn last_retryable_answer_is_returned_when_nothing_does_better() {
    let steps = [UNAVAILABLE, Step::Answer(429), REFUSED];
    let (result, _, _) = run(&steps, 3, limits(3, true));
    let done = result.unwrap();
    assert_eq!(done.output, (1, 429, None));
    assert_eq!(done.attempts, 3, "every attempt counts");
    assert_eq!(done.endpoint.id(), "e1");
}

#[test]
fn replaced_answers_are_let_go_and_the_latest_is_returned() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let engine = engine_of(&GatewayConfig::default());
    let three = upstream(&engine, 3);
    let mut scripted = Scripted::new(&[UNAVAILABLE, Step::Answer(429), OK]);
    let done = rt
        .block_on(run_attempts(
            &engine,
            &three,
            &limits(3, true),
            &mut scripted,
        ))
        .unwrap();
    assert_eq!(done.output.0, 2);
    assert_eq!(scripted.discarded, [0, 1]);
}

#[test]
fn no_endpoints_fail_at_once() {
    let (result, calls, took) = run(&[], 0, limits(3, true));
    assert!(calls.is_empty());
    let failed = result.unwrap_err();
    assert_eq!(failed.attempts, 0);
    assert!(failed.all_unavailable());
    assert_eq!(took, Duration::ZERO);
}

#[test]
fn deadline_bounds_each_attempt_and_stops_new_ones() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let engine = engine_of(&GatewayConfig::default());
        let eps = upstream(&engine, 3);
        let start = Instant::now();
        let limits = AttemptLimits {
            max_attempts: 10,
            deadline: Some(start + Duration::from_millis(300)),
            repeat_after_delivery: true,
        };
        let mut scripted = Scripted::new(&[
            Step::Slow(Duration::from_millis(200)),
            Step::Slow(Duration::from_secs(5)),
            OK,
        ]);
        // The first answers at 200 ms, within the deadline.
        let done = run_attempts(&engine, &eps, &limits, &mut scripted)
            .await
            .unwrap();
        assert_eq!(done.attempts, 1);

        let mut scripted = Scripted::new(&[Step::Slow(Duration::from_secs(5)), OK]);
        let start = Instant::now();
        let limits = AttemptLimits {
            deadline: Some(start + Duration::from_millis(300)),
            ..limits
        };
        let failed = run_attempts(&engine, &eps, &limits, &mut scripted)
            .await
            .unwrap_err();
        assert_eq!(
            scripted.calls.len(),
            1,
            "no attempt starts past the deadline"
        );
        assert_eq!(
            failed.last_error().unwrap().kind(),
            AttemptErrorKind::Timeout
        );
        assert_eq!(failed.reason, StopReason::Deadline);
        assert_eq!(Instant::now() - start, Duration::from_millis(300));
    });
}

#[test]
fn a_backoff_that_would_end_past_the_deadline_is_not_slept() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let engine = engine_of(&GatewayConfig::default());
        let one = upstream(&engine, 1);
        let start = Instant::now();
        let limits = AttemptLimits {
            max_attempts: 3,
            deadline: Some(start + Duration::from_millis(50)),
            repeat_after_delivery: true,
        };
        let mut scripted = Scripted::new(&[REFUSED, OK]);
        let failed = run_attempts(&engine, &one, &limits, &mut scripted)
            .await
            .unwrap_err();
        assert_eq!(failed.attempts, 1);
        assert_eq!(failed.reason, StopReason::Deadline);
        assert_eq!(start.elapsed(), Duration::ZERO, "fails at once, no sleep");
    });
}

#[test]
fn attempt_timeout_cuts_an_attempt_and_retries() {
    let mut config = GatewayConfig::default();
    config.retry.attempt_timeout = Some(Duration::from_millis(100));
    let steps = [Step::Slow(Duration::from_secs(5)), OK];
    let (result, calls, took) = run_with(&config, &steps, 2, limits(3, true));
    assert_eq!(result.unwrap().output.1, 200);
    assert_eq!(calls, ["e0", "e1"]);
    assert_eq!(took, Duration::from_millis(100));
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    prop_oneof![
        prop_oneof![Just(200u16), Just(404), Just(429), Just(503)].prop_map(Step::Answer),
        any::<bool>().prop_map(|reached| Step::Fail { reached }),
    ]
}

proptest! {
    #[test]
    fn runner_never_breaks_its_rules(
        steps in prop::collection::vec(step(), 1..8),
        n in 1usize..5,
        cap in 1u32..8,
        repeat in any::<bool>(),
    ) {
        // Breakers that never open, so every endpoint stays available.
        let config = GatewayConfig::default()
            .with_circuit_breaker(BreakerConfig::default().with_enabled(false));
        let max_attempts = cap.min(steps.len() as u32);
        let (result, calls, _) = run_with(&config, &steps, n, limits(max_attempts, repeat));
        let made = calls.len();
        prop_assert!(made >= 1 && made <= max_attempts as usize);
        // Round robin from e0, and never back to a tried endpoint while
        // another is untried.
        let fresh = made.min(n);
        let expected: Vec<String> = (0..fresh).map(|i| format!("e{i}")).collect();
        prop_assert_eq!(&calls[..fresh], &expected[..]);
        // Nothing follows a delivery unless the request may be repeated.
        if !repeat {
            for s in &steps[..made - 1] {
                let delivered = s.is_answer() || *s == RESET;
                prop_assert!(!delivered, "{:?} followed a delivery", calls);
            }
        }
        // A final answer ends the loop.
        if let Some(i) = steps[..made].iter().position(|s| s.is_final_answer()) {
            prop_assert_eq!(i + 1, made);
        }
        // The loop stops early only after a final answer or a delivery it
        // may not repeat.
        if made < max_attempts as usize {
            let last = steps[made - 1];
            let stops = last.is_final_answer() || (!repeat && (last.is_answer() || last == RESET));
            prop_assert!(stops, "stopped after {:?}", last);
        }
        let answered = steps[..made].iter().any(|s| s.is_answer());
        match result {
            Ok(done) => {
                prop_assert!(answered);
                prop_assert_eq!(done.attempts as usize, made);
                let last_answer = steps[..made].iter().rposition(|s| s.is_answer()).unwrap();
                prop_assert_eq!(done.output.0, last_answer);
            }
            Err(failed) => {
                prop_assert!(!answered);
                prop_assert_eq!(failed.attempts as usize, made);
                prop_assert_eq!(failed.errors.len(), made);
            }
        }
    }
}
