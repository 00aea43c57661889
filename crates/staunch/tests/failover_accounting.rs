//! What a failover call records: endpoint statistics, breaker outcomes,
//! metrics records and retry budget, on a blocking executor and a manual
//! clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::breaker::CircuitState;
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::metrics::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, MetricsSink};
use staunch::pool::{Failover, RoundRobin};
use staunch::retry::{RetryPolicy, StopReason, Verdict};

#[path = "support/failover.rs"]
mod support;
use support::{rig, run};

#[test]
fn budget_refusing_a_retry_ends_the_call_with_budget_exhausted() {
    let rig = rig(3, 100);
    let budget = Arc::new(
        RetryBudget::with_clock(
            BudgetConfig::default().with_ratio(0.0).with_min_per_sec(1),
            rig.clock.clone(),
        )
        .unwrap(),
    );
    let failover = rig
        .builder()
        .with_budget(Arc::clone(&budget))
        .build()
        .unwrap();
    let (result, tried, _) = run(&failover, &RetryPolicy::default(), &rig.clock, |_| true);
    let err = result.unwrap_err();
    assert_eq!(err.reason(), StopReason::BudgetExhausted);
    assert_eq!(tried.len(), 2, "the floor allows one retry this second");
    assert_eq!(err.last_endpoint(), Some(tried[1].as_str()));
    assert_eq!(
        (budget.deposited(), budget.withdrawn(), budget.denied()),
        (1, 1, 1)
    );
}

#[test]
fn fatal_outcome_is_not_a_failure_of_the_endpoint() {
    let rig = rig(2, 1);
    let failover = rig.builder().build().unwrap();
    let result = failover
        .call(&RetryPolicy::default(), |_| Err::<(), _>("404"))
        .classify(|_: &Result<(), &str>| Verdict::Fatal)
        .sleeper(|_: Duration| unreachable!("a fatal error is not retried"))
        .run();
    let err = result.unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (StopReason::Fatal, 1));
    let endpoint = err.last_endpoint().unwrap();
    assert_eq!(rig.registry.get(endpoint).state(), CircuitState::Closed);
    assert_eq!(rig.pool.get(endpoint).unwrap().stats().total_failures(), 0);
}

#[test]
fn attempt_outcome_and_latency_reach_the_endpoint_statistics() {
    let rig = rig(2, 100);
    let failover = rig
        .builder()
        .with_strategy(RoundRobin::new())
        .build()
        .unwrap();
    let clock = rig.clock.clone();
    let result = failover
        .call(&RetryPolicy::default(), |target| {
            clock.advance(Duration::from_millis(40));
            if target.id() == "ep-0" {
                Err("reset by peer")
            } else {
                Ok(())
            }
        })
        .sleeper(|_: Duration| {})
        .run();
    assert!(result.is_ok());
    let failed = rig.pool.get("ep-0").unwrap();
    assert_eq!(failed.stats().total_failures(), 1);
    assert_eq!(
        failed.stats().last_error().unwrap().message,
        "reset by peer"
    );
    assert_eq!(
        failed.stats().ewma_latency(),
        Some(Duration::from_millis(40))
    );
    assert_eq!(failed.stats().in_flight(), 0);
    assert_eq!(rig.pool.get("ep-1").unwrap().stats().total_successes(), 1);
}

#[test]
fn panicking_attempt_releases_its_in_flight_count_and_probe_slot() {
    let rig = rig(1, 1);
    let failover = rig.builder().build().unwrap();
    let (opened, _, _) = run(&failover, &RetryPolicy::no_retry(), &rig.clock, |_| true);
    assert!(opened.is_err());
    rig.clock.advance(Duration::from_secs(30));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = failover
            .call(&RetryPolicy::no_retry(), |_| -> Result<(), String> {
                panic!("boom")
            })
            .run();
    }));
    assert!(panicked.is_err());
    let entry = rig.pool.get("ep-0").unwrap();
    assert_eq!(entry.stats().in_flight(), 0);
    assert_eq!(rig.registry.get("ep-0").state(), CircuitState::HalfOpen);
    let (probe, _, _) = run(&failover, &RetryPolicy::no_retry(), &rig.clock, |_| false);
    assert_eq!(probe.unwrap(), 0, "the probe slot was freed");
}

/// Keeps every record it is given.
#[derive(Default)]
struct Recorder {
    attempts: Mutex<Vec<AttemptRecord>>,
    calls: Mutex<Vec<CallRecord>>,
}

impl MetricsSink for Recorder {
    fn record_attempt(&self, record: &AttemptRecord) {
        self.attempts.lock().unwrap().push(record.clone());
    }

    fn record_call(&self, record: &CallRecord) {
        self.calls.lock().unwrap().push(record.clone());
    }
}

/// Round robin over `rig`'s endpoints with a 5 ms failover delay, every
/// record kept.
fn recorded_round_robin(rig: &support::Rig) -> (Failover<u32>, Arc<Recorder>) {
    let sink = Arc::new(Recorder::default());
    let failover = rig
        .builder()
        .with_strategy(RoundRobin::new())
        .with_failover_delay(Duration::from_millis(5))
        .with_sink(Arc::clone(&sink))
        .build()
        .unwrap();
    (failover, sink)
}

#[test]
fn every_attempt_and_call_is_recorded_with_endpoint_delay_and_latency() {
    let rig = rig(2, 100);
    let (failover, sink) = recorded_round_robin(&rig);
    let clock = rig.clock.clone();
    let result = failover
        .call(&RetryPolicy::default(), |target| {
            clock.advance(Duration::from_millis(20));
            if target.id() == "ep-0" {
                Err("503")
            } else {
                Ok(())
            }
        })
        .sleeper(|d: Duration| clock.advance(d))
        .run();
    assert!(result.is_ok());
    let attempts = sink.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        (
            attempts[0].attempt,
            attempts[0].outcome,
            attempts[0].endpoint.as_deref()
        ),
        (1, AttemptOutcome::RetryableFailure, Some("ep-0"))
    );
    assert_eq!(
        (
            attempts[1].attempt,
            attempts[1].outcome,
            attempts[1].endpoint.as_deref()
        ),
        (2, AttemptOutcome::Success, Some("ep-1"))
    );
    assert_eq!(attempts[1].delay_before, Duration::from_millis(5));
    assert_eq!(attempts[1].latency, Duration::from_millis(20));
    assert_eq!(attempts[0].call_id, attempts[1].call_id);
    let calls = sink.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].outcome, calls[0].attempts),
        (CallOutcome::Success, 2)
    );
    assert_eq!(calls[0].endpoint.as_deref(), Some("ep-1"));
    assert_eq!(calls[0].duration, Duration::from_millis(45));
}

#[test]
fn unavailable_call_is_recorded_as_rejected_and_unavailable() {
    let rig = rig(2, 100);
    rig.registry.isolate("ep-0");
    rig.registry.isolate("ep-1");
    let sink = Arc::new(Recorder::default());
    let failover = rig.builder().with_sink(Arc::clone(&sink)).build().unwrap();
    let (result, _, _) = run(&failover, &RetryPolicy::default(), &rig.clock, |_| false);
    assert_eq!(
        result.unwrap_err().reason(),
        StopReason::AllUnavailable {
            next_probe_in: None
        }
    );
    let attempts = sink.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].outcome, attempts[0].endpoint.clone()),
        (AttemptOutcome::Rejected, None)
    );
    assert_eq!(
        sink.calls.lock().unwrap()[0].outcome,
        CallOutcome::Unavailable
    );
}

#[test]
fn refused_call_deposits_nothing_into_the_budget() {
    let rig = rig(2, 100);
    let budget =
        Arc::new(RetryBudget::with_clock(BudgetConfig::default(), rig.clock.clone()).unwrap());
    let failover = rig
        .builder()
        .with_budget(Arc::clone(&budget))
        .build()
        .unwrap();
    run(&failover, &RetryPolicy::default(), &rig.clock, |_| false)
        .0
        .unwrap();
    rig.registry.isolate("ep-0");
    rig.registry.isolate("ep-1");
    let (refused, _, _) = run(&failover, &RetryPolicy::default(), &rig.clock, |_| false);
    assert!(refused.is_err());
    assert_eq!(budget.deposited(), 1, "only the call that was sent");
}

#[test]
fn failovers_count_only_retries_that_went_ahead() {
    let rig = rig(2, 100);
    let deny_all = Arc::new(
        RetryBudget::with_clock(
            BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0),
            rig.clock.clone(),
        )
        .unwrap(),
    );
    let policy = RetryPolicy::builder()
        .with_base_delay(Duration::ZERO)
        .build();
    for (budget, want) in [(None, 1), (Some(deny_all), 0)] {
        let mut builder = rig.builder().with_strategy(RoundRobin::new());
        if let Some(budget) = budget {
            builder = builder.with_budget(budget);
        }
        let failover = builder.build().unwrap();
        let mut run = failover.start();
        let _ = policy
            .call_with(&mut run, |run| {
                let target = run.target().expect("an endpoint");
                if target.id() == "ep-0" {
                    Err("down")
                } else {
                    Ok(())
                }
            })
            .sleeper(|_: Duration| {})
            .run();
        assert_eq!(run.failovers(), want, "budget denied: {}", want == 0);
    }
}

#[test]
fn call_times_are_the_last_attempts_unless_a_wait_came_after_it() {
    let rig = rig(2, 100);
    let (failover, sink) = recorded_round_robin(&rig);
    let clock = rig.clock.clone();
    // Ends on its first attempt: the call ends when the attempt does.
    let ok = failover
        .call(&RetryPolicy::default(), |_| {
            clock.advance(Duration::from_millis(20));
            Ok::<_, &str>(())
        })
        .run();
    assert!(ok.is_ok());
    // Fails, waits 5 ms, then finds every endpoint open: the wait counts.
    let registry = rig.registry.clone();
    let failed = failover
        .call(&RetryPolicy::default(), |_| {
            clock.advance(Duration::from_millis(20));
            Err::<(), _>("503")
        })
        .sleeper(|d: Duration| {
            clock.advance(d);
            registry.isolate("ep-0");
            registry.isolate("ep-1");
        })
        .run();
    assert!(matches!(
        failed.unwrap_err().reason(),
        StopReason::AllUnavailable { .. }
    ));
    let attempts = sink.attempts.lock().unwrap().clone();
    let calls = sink.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].duration, Duration::from_millis(20));
    assert_eq!(calls[0].at, attempts[0].at);
    assert_eq!(calls[1].duration, Duration::from_millis(25));
    let first_try = attempts
        .iter()
        .find(|a| a.call_id == calls[1].call_id && a.attempt == 1)
        .unwrap();
    assert_eq!(
        calls[1].at.duration_since(first_try.at).unwrap(),
        Duration::from_millis(5)
    );
}
