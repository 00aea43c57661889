//! A retry budget inside retry calls: deposits once per call, pays for every
//! retry, and ends a call it refuses with `BudgetExhausted`. Fake time only.

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{Breaker, BreakerConfig};
use staunch::budget::{BudgetConfig, BudgetGuard, RetryBudget};
use staunch::clock::ManualClock;
use staunch::retry::{RetryPolicy, StopReason};

fn budget(ratio: f64, floor: u32) -> (RetryBudget, ManualClock) {
    let clock = ManualClock::new();
    let config = BudgetConfig::default()
        .with_ratio(ratio)
        .with_min_per_sec(floor);
    (
        RetryBudget::with_clock(config, clock.clone()).unwrap(),
        clock,
    )
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_base_delay(Duration::from_millis(100))
        .build()
}

#[test]
fn budget_denial_ends_the_call_with_the_last_error_and_is_counted() {
    let (budget, clock) = budget(0.5, 0);
    for _ in 0..4 {
        assert_eq!(budget.retry(&policy(1), || Ok::<_, &str>(())), Ok(()));
    }
    let mut n = 0;
    let mut slept = Vec::new();
    let err = policy(5)
        .call_with(BudgetGuard::new(&budget), |_| {
            n += 1;
            Err::<(), _>(format!("503 #{n}"))
        })
        .sleeper(|d| {
            slept.push(d);
            clock.advance(d);
        })
        .run()
        .unwrap_err();
    // 5 requests allow 2.5 retries: the third retry is refused.
    assert_eq!(err.reason(), StopReason::BudgetExhausted);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.last_error().map(String::as_str), Some("503 #3"));
    assert_eq!(slept.len(), 2, "no sleep for the refused retry");
    assert_eq!(
        (budget.deposited(), budget.withdrawn(), budget.denied()),
        (5, 2, 1)
    );
}

#[test]
fn budget_deposits_once_per_call_and_withdraws_once_per_retry() {
    let (budget, clock) = budget(1.0, 10);
    let mut n = 0;
    let result = policy(4)
        .call_with(budget.guard(), |_| {
            n += 1;
            if n < 4 {
                Err("busy")
            } else {
                Ok(n)
            }
        })
        .sleeper(|d| clock.advance(d))
        .run();
    assert_eq!(result, Ok(4));
    assert_eq!(
        (budget.deposited(), budget.withdrawn(), budget.denied()),
        (1, 3, 0)
    );
}

#[test]
fn hard_down_upstream_gets_no_retry_storm() {
    let (budget, clock) = budget(0.2, 0);
    let budget = Arc::new(budget);
    let calls = 200;
    let mut attempts = 0u32;
    for _ in 0..calls {
        let _ = policy(3)
            .call_with(BudgetGuard::new(budget.clone()), |_| {
                attempts += 1;
                Err::<(), _>("connection refused")
            })
            .sleeper(|_| {})
            .run();
        clock.advance(Duration::from_millis(10));
    }
    assert!(
        f64::from(attempts) <= 1.2 * f64::from(calls),
        "{attempts} attempts for {calls} calls"
    );
    assert_eq!(u64::from(attempts), budget.deposited() + budget.withdrawn());
    assert!(budget.denied() > 0);
}

#[test]
fn breaker_placed_first_stops_a_retry_before_the_budget_pays() {
    let (budget, clock) = budget(1.0, 10);
    let config = BreakerConfig::default().with_consecutive_failures(1);
    let breaker = Breaker::with_clock("db", config, Arc::new(clock.clone())).unwrap();
    let err = policy(3)
        .call_with((breaker.guard(), budget.guard()), |_| Err::<(), _>("down"))
        .sleeper(|d| clock.advance(d))
        .run()
        .unwrap_err();
    assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        (budget.deposited(), budget.withdrawn(), budget.denied()),
        (1, 0, 0)
    );
}

#[test]
fn call_refused_before_its_first_attempt_deposits_nothing() {
    let (budget, clock) = budget(1.0, 10);
    let config = BreakerConfig::default().with_consecutive_failures(1);
    let breaker = Breaker::with_clock("db", config, Arc::new(clock.clone())).unwrap();
    breaker.isolate();
    let err = policy(3)
        .call_with((breaker.guard(), budget.guard()), |_| Ok::<_, &str>(()))
        .run()
        .unwrap_err();
    assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
    assert_eq!(budget.deposited(), 0);
}
