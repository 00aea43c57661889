//! Deterministic simulations of the failover acceptance rules for outages:
//! every breaker open, and an upstream hard down with and without breakers,
//! where the retry budget bounds the load (see `support/simulation.rs`).

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, CircuitState};
use staunch::budget::RetryBudget;
use staunch::clock::ManualClock;
use staunch::pool::PerformanceScore;
use staunch::retry::StopReason;

#[path = "support/simulation.rs"]
mod simulation;
use simulation::*;

#[test]
fn every_breaker_open_returns_all_unavailable_without_sleeping() {
    let dead: Vec<Spec> = specs()
        .into_iter()
        .map(|spec| Spec {
            failure_rate: 1.0,
            ..spec
        })
        .collect();
    let breakers = BreakerConfig::default()
        .with_consecutive_failures(2)
        .with_open_duration(Duration::from_secs(60));
    let sim = sim(
        &dead,
        1,
        PerformanceScore::new(),
        breakers,
        None,
        ManualClock::new(),
    );
    // The outage opens every breaker.
    let mut opened_by = 0;
    while sim.registry.snapshots().len() < 20
        || sim
            .registry
            .snapshots()
            .iter()
            .any(|(_, s)| s.state != CircuitState::Open)
    {
        opened_by += 1;
        assert!(opened_by < 100, "breakers did not all open");
        let _ = sim.call(&policy(4));
    }
    for _ in 0..1_000 {
        let (sleeps, now) = (sim.sleeps.get(), sim.clock.elapsed());
        let call = sim.call(&policy(4));
        let err = call.result.unwrap_err();
        assert!(call.tried.is_empty());
        assert_eq!(sim.sleeps.get(), sleeps, "the sleeper was never called");
        assert_eq!(sim.clock.elapsed(), now, "no time passed");
        let StopReason::AllUnavailable {
            next_probe_in: Some(wait),
        } = err.reason()
        else {
            panic!("unexpected reason {:?}", err.reason());
        };
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
    }
}

/// With the upstream hard down and breakers that never trip, only the
/// budget stands between the calls and a retry storm.
#[test]
fn hard_down_upstream_gets_at_most_one_point_two_times_the_calls_plus_the_floor() {
    let dead: Vec<Spec> = specs()
        .into_iter()
        .map(|_| Spec {
            failure_rate: 1.0,
            latency: Duration::from_millis(5),
        })
        .collect();
    let never_trip = BreakerConfig::default().with_enabled(false);
    let gap = Duration::from_millis(10);

    let clock = ManualClock::new();
    let budget = Arc::new(RetryBudget::with_clock(Default::default(), clock.clone()).unwrap());
    let guarded = sim(
        &dead,
        1,
        PerformanceScore::new(),
        never_trip.clone(),
        Some(Arc::clone(&budget)),
        clock,
    );
    let run = simulate(&guarded, &policy(3), CALLS, gap);
    let seconds = guarded.clock.elapsed().as_secs() + 1;
    let floor = u64::from(budget.config().min_per_sec) * seconds;
    let bound = 1.2 * f64::from(run.calls) + floor as f64;
    eprintln!(
        "hard down: {} attempts for {} calls over {seconds} s, bound {bound}",
        run.attempts, run.calls
    );
    assert!(
        f64::from(run.attempts) <= bound,
        "{} attempts for {} calls over {seconds} s: bound {bound}",
        run.attempts,
        run.calls
    );
    assert_eq!(u64::from(run.retries), budget.withdrawn());
    assert!(budget.denied() > 0);

    // Without the budget the same outage triples the load.
    let unguarded = sim(
        &dead,
        1,
        PerformanceScore::new(),
        never_trip,
        None,
        ManualClock::new(),
    );
    let storm = simulate(&unguarded, &policy(3), CALLS, gap);
    assert_eq!(storm.attempts, 3 * CALLS);
}

/// The same outage with ordinary breakers: they open and the calls stop at
/// once, so the load stays under the same bound.
#[test]
fn hard_down_upstream_with_breakers_stays_under_the_bound() {
    let dead: Vec<Spec> = specs()
        .into_iter()
        .map(|spec| Spec {
            failure_rate: 1.0,
            ..spec
        })
        .collect();
    let clock = ManualClock::new();
    let budget = Arc::new(RetryBudget::with_clock(Default::default(), clock.clone()).unwrap());
    let sim = sim(
        &dead,
        1,
        PerformanceScore::new(),
        BreakerConfig::default(),
        Some(Arc::clone(&budget)),
        clock,
    );
    let run = simulate(&sim, &policy(3), CALLS, GAP);
    let seconds = sim.clock.elapsed().as_secs() + 1;
    let bound =
        1.2 * f64::from(run.calls) + (u64::from(budget.config().min_per_sec) * seconds) as f64;
    assert!(f64::from(run.attempts) <= bound, "{run:?} bound {bound}");
    assert!(
        run.attempts < run.calls,
        "open breakers refused most calls: {run:?}"
    );
}
