//! Breakers, budgets and metrics inside async retry calls, on tokio's paused
//! clock (breakers and stores on a `ManualClock`).
#![cfg(feature = "tokio")]

use std::future::pending;
use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{Breaker, BreakerConfig, BreakerRegistry, CircuitState};
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::ManualClock;
use staunch::metrics::{MetricsConfig, MetricsRecorder, MetricsStore};
use staunch::retry::{RetryPolicy, StopReason};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

fn half_open(clock: &ManualClock) -> Breaker {
    let config = BreakerConfig::default().with_consecutive_failures(1);
    let b = Breaker::with_clock("provider", config, Arc::new(clock.clone())).unwrap();
    let _ = b.try_acquire().unwrap().failure();
    clock.advance(30 * SEC);
    b
}

#[tokio::test(start_paused = true)]
async fn cancelled_async_retry_call_frees_the_probe_slot() {
    let clock = ManualClock::new();
    let b = half_open(&clock);
    let policy = RetryPolicy::default();
    let mut call = Box::pin(b.retry_async(&policy, pending::<Result<(), &str>>));
    tokio::select! {
        _ = &mut call => panic!("the probe never answers"),
        _ = tokio::time::sleep(SEC) => {}
    }
    assert_eq!(b.snapshot().probes_in_flight, 1, "the call holds the probe");
    assert!(b.try_acquire().is_err(), "no second probe meanwhile");

    drop(call);
    assert_eq!(b.snapshot().probes_in_flight, 0);
    let probe = b.try_acquire().expect("the slot was freed");
    assert!(probe.is_probe());
    assert_eq!(probe.success(), Some(CircuitState::Closed));
}

#[tokio::test(start_paused = true)]
async fn open_breaker_ends_an_async_call_without_waiting() {
    let clock = ManualClock::new();
    let b = half_open(&clock);
    let _ = b.try_acquire().unwrap().failure(); // the probe fails: open again
    let start = Instant::now();
    let err = b
        .retry_async(&RetryPolicy::default(), || async { Ok::<_, &str>(()) })
        .await
        .unwrap_err();
    assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
    assert_eq!(err.attempts(), 0);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn timed_out_attempts_count_as_breaker_failures() {
    let clock = ManualClock::new();
    let config = BreakerConfig::default().with_consecutive_failures(2);
    let b = Breaker::with_clock("slow", config, Arc::new(clock.clone())).unwrap();
    let policy = RetryPolicy::builder()
        .with_max_attempts(5)
        .with_attempt_timeout(SEC)
        .build();
    let start = Instant::now();
    let err = b
        .retry_async(&policy, || async {
            tokio::time::sleep(10 * SEC).await;
            Ok::<_, &str>(())
        })
        .await
        .unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(err.attempts(), 2);
    assert!(err.timed_out());
    assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
    // Two 1 s attempts and one 1 s backoff; no sleep after the breaker opened.
    assert_eq!(start.elapsed(), 3 * SEC);
}

#[tokio::test(start_paused = true)]
async fn spawned_tasks_share_one_breaker_per_key() {
    let clock = ManualClock::new();
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(3),
        Arc::new(clock.clone()),
    )
    .unwrap();
    let policy = Arc::new(RetryPolicy::builder().with_max_attempts(1).build());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (registry, policy) = (registry.clone(), policy.clone());
        tasks.push(tokio::spawn(async move {
            registry
                .retry_async("azure", &policy, || async { Err::<(), _>("503") })
                .await
                .unwrap_err()
                .reason()
        }));
    }
    let mut reasons = Vec::new();
    for task in tasks {
        reasons.push(task.await.unwrap());
    }
    let rejected = reasons
        .iter()
        .filter(|r| matches!(r, StopReason::CircuitOpen { .. }))
        .count();
    assert_eq!(rejected, 3, "{reasons:?}");
    assert_eq!(registry.get("azure").state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn budget_and_metrics_work_in_async_calls() {
    let clock = ManualClock::new();
    let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(1);
    let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
    let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
    let policy = RetryPolicy::builder().with_max_attempts(4).build();
    let guards = (
        budget.guard(),
        MetricsRecorder::new(&store).with_clock(clock.clone()),
    );
    let err = policy
        .call_async_with(guards, |_| async { Err::<(), _>("busy") })
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::BudgetExhausted);
    assert_eq!(err.attempts(), 2, "one retry from the floor, then refused");
    assert_eq!((budget.withdrawn(), budget.denied()), (1, 1));
    let totals = store.summary().totals;
    assert_eq!((totals.calls, totals.attempts, totals.retries), (1, 2, 1));
    assert_eq!(totals.calls_by_outcome.budget_exhausted, 1);
    assert_eq!(totals.failures_by_reason.budget_denied, 1);
}
