//! The attempt loop against scripted attempts: order, stop rules,
//! idempotency, deadline.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::*;
use crate::client::direct_client;
use crate::config::BackendBase;

/// What a scripted attempt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Answers; `retryable` plays the role of a 5xx.
    Answer { retryable: bool },
    /// Fails; `reached` says whether the request may have been delivered.
    Fail { reached: bool },
    /// Takes this long, then answers (non-retryable).
    Slow(Duration),
}

pub(super) struct Scripted {
    steps: Vec<Step>,
    pub(super) calls: Vec<String>,
}

impl Scripted {
    pub(super) fn new(steps: &[Step]) -> Self {
        Self {
            steps: steps.to_vec(),
            calls: Vec::new(),
        }
    }
}

impl Attempt for Scripted {
    /// (index of the call, retryable)
    type Output = (usize, bool);

    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send {
        let index = self.calls.len();
        self.calls.push(endpoint.id().to_string());
        let step = self.steps[index];
        let id = endpoint.id().to_string();
        async move {
            match step {
                Step::Answer { retryable } => Ok((index, retryable)),
                Step::Fail { reached: false } => {
                    Err(AttemptError::new(AttemptErrorKind::ConnectRefused, id))
                }
                Step::Fail { reached: true } => Err(AttemptError::new(AttemptErrorKind::Reset, id)),
                Step::Slow(d) => match time_left {
                    Some(left) if left < d => {
                        tokio::time::sleep(left).await;
                        Err(AttemptError::new(AttemptErrorKind::Timeout, id))
                    }
                    _ => {
                        tokio::time::sleep(d).await;
                        Ok((index, false))
                    }
                },
            }
        }
    }

    fn is_retryable(&self, output: &Self::Output) -> bool {
        output.1
    }

    fn is_endpoint_failure(&self, output: &Self::Output) -> bool {
        output.1
    }

    fn status(&self, output: &Self::Output) -> Option<u16> {
        Some(if output.1 { 503 } else { 200 })
    }
}

pub(super) fn endpoints(n: usize) -> Vec<Endpoint> {
    let client = direct_client(Duration::from_secs(1));
    (0..n)
        .map(|i| {
            Endpoint::backend(
                format!("e{i}"),
                1,
                BTreeMap::new(),
                BackendBase {
                    authority: "127.0.0.1:9".parse().unwrap(),
                    path: String::new(),
                },
                client.clone(),
                Duration::from_secs(1),
            )
        })
        .collect()
}

/// Engine state with default settings on a fake clock.
pub(super) fn engine() -> crate::engine::Engine {
    let clock = std::sync::Arc::new(staunch::clock::ManualClock::new());
    crate::engine::Engine::with_clock(&crate::config::GatewayConfig::default(), clock).unwrap()
}

fn limits(max_attempts: u32, repeat: bool) -> AttemptLimits {
    AttemptLimits {
        max_attempts,
        deadline: None,
        repeat_after_delivery: repeat,
    }
}

/// The loop's result and the endpoints it called, in order.
type Run = (
    Result<Attempted<(usize, bool)>, AttemptsFailed>,
    Vec<String>,
);

fn run(steps: &[Step], n: usize, limits: AttemptLimits) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let eps = endpoints(n);
    let mut scripted = Scripted::new(steps);
    let result = rt.block_on(run_attempts(&engine(), &eps, &limits, &mut scripted));
    (result, scripted.calls)
}

#[test]
fn endpoints_are_tried_once_each_in_order_until_one_answers() {
    let steps = [
        Step::Fail { reached: false },
        Step::Fail { reached: true },
        Step::Answer { retryable: false },
        Step::Answer { retryable: false },
    ];
    let (result, calls) = run(&steps, 4, limits(10, true));
    let done = result.unwrap();
    assert_eq!(calls, ["e0", "e1", "e2"]);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.endpoint.id(), "e2");
    assert_eq!(done.output.0, 2);
}

#[test]
fn max_attempts_caps_the_endpoints_tried() {
    let steps = [Step::Fail { reached: false }; 5];
    let (result, calls) = run(&steps, 5, limits(2, true));
    let failed = result.unwrap_err();
    assert_eq!(calls, ["e0", "e1"]);
    assert_eq!(failed.attempts, 2);
    assert_eq!(failed.errors.len(), 2);
    assert_eq!(failed.retry_after, UNAVAILABLE_RETRY_AFTER);
}

#[test]
fn non_idempotent_request_stops_after_a_delivery_but_not_after_a_refusal() {
    let steps = [
        Step::Fail { reached: false },
        Step::Fail { reached: true },
        Step::Answer { retryable: false },
    ];
    let (result, calls) = run(&steps, 3, limits(10, false));
    assert_eq!(calls, ["e0", "e1"]);
    assert_eq!(
        result.unwrap_err().last_error().unwrap().kind(),
        AttemptErrorKind::Reset
    );
}

#[test]
fn non_idempotent_request_returns_the_first_5xx() {
    let steps = [
        Step::Answer { retryable: true },
        Step::Answer { retryable: false },
    ];
    let (result, calls) = run(&steps, 2, limits(10, false));
    assert_eq!(calls, ["e0"]);
    assert_eq!(result.unwrap().output, (0, true));
}

#[test]
fn last_5xx_is_returned_when_nothing_does_better() {
    let steps = [
        Step::Answer { retryable: true },
        Step::Answer { retryable: true },
        Step::Fail { reached: false },
    ];
    let (result, _) = run(&steps, 3, limits(10, true));
    let done = result.unwrap();
    assert_eq!(done.output, (1, true));
    assert_eq!(done.attempts, 3, "every attempt counts");
    assert_eq!(done.endpoint.id(), "e1");
}

#[test]
fn no_endpoints_fail_at_once() {
    let (result, calls) = run(&[], 0, limits(3, true));
    assert!(calls.is_empty());
    assert_eq!(result.unwrap_err().attempts, 0);
}

#[test]
fn deadline_bounds_each_attempt_and_stops_new_ones() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let eps = endpoints(3);
        let start = Instant::now();
        let limits = AttemptLimits {
            max_attempts: 10,
            deadline: Some(start + Duration::from_millis(300)),
            repeat_after_delivery: true,
        };
        let mut scripted = Scripted::new(&[
            Step::Slow(Duration::from_millis(200)),
            Step::Slow(Duration::from_secs(5)),
            Step::Answer { retryable: false },
        ]);
        // The first answers at 200 ms, within the deadline.
        let done = run_attempts(&engine(), &eps, &limits, &mut scripted)
            .await
            .unwrap();
        assert_eq!(done.attempts, 1);

        let mut scripted = Scripted::new(&[
            Step::Slow(Duration::from_secs(5)),
            Step::Answer { retryable: false },
        ]);
        let start = Instant::now();
        let limits = AttemptLimits {
            deadline: Some(start + Duration::from_millis(300)),
            ..limits
        };
        let failed = run_attempts(&engine(), &eps, &limits, &mut scripted)
            .await
            .unwrap_err();
        assert_eq!(
            scripted.calls,
            ["e0"],
            "no attempt starts past the deadline"
        );
        assert_eq!(
            failed.last_error().unwrap().kind(),
            AttemptErrorKind::Timeout
        );
        assert_eq!(Instant::now() - start, Duration::from_millis(300));
    });
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        any::<bool>().prop_map(|retryable| Step::Answer { retryable }),
        any::<bool>().prop_map(|reached| Step::Fail { reached }),
    ]
}

proptest! {
    #[test]
    fn runner_never_breaks_its_rules(
        steps in prop::collection::vec(step(), 0..8),
        max_attempts in 1u32..10,
        repeat in any::<bool>(),
    ) {
        let n = steps.len();
        let (result, calls) = run(&steps, n, limits(max_attempts, repeat));
        let made = calls.len();
        // Each endpoint at most once, in order, within the cap.
        prop_assert!(made <= n.min(max_attempts as usize));
        let expected: Vec<String> = (0..made).map(|i| format!("e{i}")).collect();
        prop_assert_eq!(&calls, &expected);
        // Nothing follows a delivery unless the request may be repeated.
        if !repeat {
            for s in &steps[..made.saturating_sub(1)] {
                let delivered = matches!(s, Step::Answer { .. } | Step::Fail { reached: true });
                prop_assert!(!delivered, "{:?} followed a delivery", calls);
            }
        }
        // A final answer ends the loop and is what is returned.
        if let Some(i) = steps[..made].iter().position(|s| *s == Step::Answer { retryable: false }) {
            prop_assert_eq!(i + 1, made);
        }
        let answered = steps[..made].iter().any(|s| matches!(s, Step::Answer { .. }));
        match result {
            Ok(done) => {
                prop_assert!(answered);
                prop_assert_eq!(done.attempts as usize, made);
                let last_answer = steps[..made]
                    .iter()
                    .rposition(|s| matches!(s, Step::Answer { .. }))
                    .unwrap();
                prop_assert_eq!(done.output.0, last_answer);
            }
            Err(failed) => {
                prop_assert!(!answered);
                prop_assert_eq!(failed.attempts as usize, made);
                prop_assert_eq!(failed.errors.len(), made);
            }
        }
        // Without endpoints left untried for no reason: a loop that stopped
        // early did so because of an answer, a delivery or the cap.
        if made < n.min(max_attempts as usize) && made > 0 {
            let last = steps[made - 1];
            let stops = matches!(last, Step::Answer { retryable: false })
                || (!repeat && matches!(last, Step::Answer { .. } | Step::Fail { reached: true }));
            prop_assert!(stops, "stopped after {:?}", last);
        }
    }
}
