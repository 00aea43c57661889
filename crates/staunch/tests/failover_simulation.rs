//! Deterministic simulations of the failover acceptance rules on endpoint
//! choice: thousands of calls over 20 endpoints with assorted failure rates
//! and latencies (see `support/simulation.rs`).

use staunch::breaker::BreakerConfig;
use staunch::clock::ManualClock;
use staunch::pool::{PerformanceScore, Random};

#[path = "support/simulation.rs"]
mod simulation;
use simulation::*;

#[test]
fn performance_score_first_retry_succeeds_at_least_20_percent_more_than_random() {
    for seed in [1, 2, 3] {
        let performance = sim(
            &specs(),
            seed,
            PerformanceScore::new(),
            proxy_breakers(),
            None,
            ManualClock::new(),
        );
        let random = sim(
            &specs(),
            seed,
            Random::new(),
            proxy_breakers(),
            None,
            ManualClock::new(),
        );
        let perf = simulate(&performance, &policy(4), CALLS, GAP);
        let rand = simulate(&random, &policy(4), CALLS, GAP);
        assert!(
            perf.first_retries >= 50 && rand.first_retries >= 50,
            "{perf:?} {rand:?}"
        );
        let (p, r) = (
            perf.first_retry_success_rate(),
            rand.first_retry_success_rate(),
        );
        eprintln!("seed {seed}: first-retry success performance {p:.3}, random {r:.3}");
        assert!(
            p >= 1.2 * r,
            "seed {seed}: first-retry success: performance {p:.3} ({} of {}), random {r:.3} ({} of {})",
            perf.first_retry_successes,
            perf.first_retries,
            rand.first_retry_successes,
            rand.first_retries
        );
    }
}

#[test]
fn ninety_percent_of_successful_calls_need_at_most_two_retries() {
    let sim = sim(
        &specs(),
        1,
        PerformanceScore::new(),
        proxy_breakers(),
        None,
        ManualClock::new(),
    );
    let run = simulate(&sim, &policy(6), CALLS, GAP);
    assert!(run.successes > CALLS / 2, "{run:?}");
    let share = f64::from(run.successes_within_two_retries) / f64::from(run.successes);
    assert!(
        share >= 0.9,
        "{share:.3} of successes within 2 retries: {run:?}"
    );
}

#[test]
fn retry_never_revisits_a_failed_endpoint_while_another_is_available() {
    for strategy in [0, 1] {
        let specs = specs();
        let sim = match strategy {
            0 => sim(
                &specs,
                1,
                PerformanceScore::new(),
                proxy_breakers(),
                None,
                ManualClock::new(),
            ),
            _ => sim(
                &specs,
                1,
                Random::new(),
                proxy_breakers(),
                None,
                ManualClock::new(),
            ),
        };
        let run = simulate(&sim, &policy(6), CALLS, GAP);
        assert!(run.retries > 100, "the check is not vacuous: {run:?}");
        assert_eq!(run.violations, 0, "{run:?}");
    }
    // Three endpoints, eight attempts: revisits must happen, and only once
    // every other endpoint failed the call or is open.
    let specs: Vec<Spec> = specs().into_iter().skip(13).take(3).collect();
    let sim = sim(
        &specs,
        1,
        Random::new(),
        BreakerConfig::default().without_failure_threshold(),
        None,
        ManualClock::new(),
    );
    let run = simulate(&sim, &policy(8), 2_000, GAP);
    assert!(run.revisits > 100, "{run:?}");
    assert_eq!(run.violations, 0, "{run:?}");
}
