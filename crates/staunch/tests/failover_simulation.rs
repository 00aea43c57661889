//! Deterministic simulations of issue 5's acceptance rules: 20 endpoints
//! with assorted failure rates and latencies, thousands of calls, a seeded
//! random generator and a manual clock (each attempt advances it by the
//! endpoint's latency, each sleep by its delay).

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::backoff::Schedule;
use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::budget::RetryBudget;
use staunch::clock::ManualClock;
use staunch::pool::{
    Endpoint, Failover, FailoverError, PerformanceScore, Pool, Random, Strategy, Target,
};
use staunch::retry::{RetryPolicy, StopReason};

/// How a simulated endpoint behaves.
#[derive(Debug, Clone, Copy)]
struct Spec {
    failure_rate: f64,
    latency: Duration,
}

/// 20 endpoints as a rotating-proxy pool has them: a few good ones, many
/// mediocre, some bad, one dead; fast and slow among each.
fn specs() -> Vec<Spec> {
    let rates = [
        0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.5, 0.55, 0.6, 0.6, 0.65,
        0.7, 0.75, 0.9, 1.0,
    ];
    let latencies_ms = [
        120, 40, 300, 60, 25, 500, 80, 200, 35, 150, 700, 50, 90, 400, 30, 250, 20, 600, 45, 100,
    ];
    rates
        .iter()
        .zip(latencies_ms)
        .map(|(&failure_rate, ms)| Spec {
            failure_rate,
            latency: Duration::from_millis(ms),
        })
        .collect()
}

struct Sim {
    clock: ManualClock,
    registry: BreakerRegistry<String>,
    failover: Failover<Spec>,
    rng: RefCell<SmallRng>,
    sleeps: Cell<u32>,
}

fn sim(
    specs: &[Spec],
    seed: u64,
    strategy: impl Strategy<Spec> + 'static,
    breakers: BreakerConfig,
    budget: Option<Arc<RetryBudget>>,
    clock: ManualClock,
) -> Sim {
    let pool = Pool::builder()
        .with_endpoints(
            specs
                .iter()
                .enumerate()
                .map(|(i, spec)| Endpoint::new(format!("ep-{i:02}"), *spec)),
        )
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let registry = BreakerRegistry::with_clock(breakers, Arc::new(clock.clone())).unwrap();
    let mut builder = Failover::builder(pool, registry.clone())
        .with_strategy(strategy)
        .with_seed(seed);
    if let Some(budget) = budget {
        builder = builder.with_budget(budget);
    }
    Sim {
        clock,
        registry,
        failover: builder.build().unwrap(),
        rng: RefCell::new(SmallRng::seed_from_u64(seed ^ 0x5EED)),
        sleeps: Cell::new(0),
    }
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_schedule(Schedule::exponential(Duration::from_millis(200), 2.0))
        .with_rng_seed(9)
        .build()
}

/// One call: the endpoints it tried with their outcome, and its result.
struct Call {
    tried: Vec<(String, bool)>,
    result: Result<(), FailoverError<String>>,
    /// Retries that went back to an endpoint that failed this call.
    revisits: u32,
    /// Of those, the ones made while another endpoint would have admitted
    /// the call (a broken rule).
    violations: u32,
}

/// Whether `id`'s breaker would let a call through now, read from its
/// snapshot.
fn admits(registry: &BreakerRegistry<String>, id: &str) -> bool {
    let Some(snapshot) = registry.snapshot(id) else {
        return true;
    };
    match snapshot.state {
        CircuitState::Closed => true,
        CircuitState::Open => snapshot.next_probe_in.is_some_and(|d| d.is_zero()),
        CircuitState::HalfOpen => snapshot.probes_in_flight < 1,
        CircuitState::Isolated => false,
    }
}

impl Sim {
    fn call(&self, policy: &RetryPolicy) -> Call {
        let tried = RefCell::new(Vec::<(String, bool)>::new());
        let (revisits, violations) = (Cell::new(0), Cell::new(0));
        let pool = self.failover.pool();
        let result = self
            .failover
            .call(policy, |target: Target<Spec>| {
                let failed_before = tried
                    .borrow()
                    .iter()
                    .any(|(id, ok)| !ok && id == target.id());
                if failed_before {
                    revisits.set(revisits.get() + 1);
                    let other_available = pool.entries().iter().any(|e| {
                        !tried.borrow().iter().any(|(id, _)| id == e.id())
                            && admits(&self.registry, e.id())
                    });
                    if other_available {
                        violations.set(violations.get() + 1);
                    }
                }
                let spec = *target.address();
                self.clock.advance(spec.latency);
                let ok = self.rng.borrow_mut().random::<f64>() >= spec.failure_rate;
                tried.borrow_mut().push((target.id().to_owned(), ok));
                if ok {
                    Ok(())
                } else {
                    Err(format!("{} failed", target.id()))
                }
            })
            .sleeper(|delay: Duration| {
                self.sleeps.set(self.sleeps.get() + 1);
                self.clock.advance(delay);
            })
            .clock(self.clock.clone())
            .run();
        Call {
            tried: tried.into_inner(),
            result,
            revisits: revisits.get(),
            violations: violations.get(),
        }
    }
}

/// Figures of a whole run.
#[derive(Debug, Default)]
struct Run {
    calls: u32,
    attempts: u32,
    first_retries: u32,
    first_retry_successes: u32,
    successes: u32,
    successes_within_two_retries: u32,
    revisits: u32,
    violations: u32,
    retries: u32,
}

impl Run {
    fn first_retry_success_rate(&self) -> f64 {
        f64::from(self.first_retry_successes) / f64::from(self.first_retries.max(1))
    }
}

fn simulate(sim: &Sim, policy: &RetryPolicy, calls: u32, gap: Duration) -> Run {
    let mut run = Run::default();
    for _ in 0..calls {
        let call = sim.call(policy);
        run.calls += 1;
        run.attempts += call.tried.len() as u32;
        run.retries += call.tried.len().saturating_sub(1) as u32;
        if let Some((_, ok)) = call.tried.get(1) {
            run.first_retries += 1;
            run.first_retry_successes += u32::from(*ok);
        }
        if call.result.is_ok() {
            run.successes += 1;
            run.successes_within_two_retries += u32::from(call.tried.len() <= 3);
        }
        run.revisits += call.revisits;
        run.violations += call.violations;
        sim.clock.advance(gap);
    }
    run
}

const CALLS: u32 = 5_000;

/// Breakers a pool of flaky proxies would use: open after 5 failures in a
/// row (a proxy failing half the time is still worth using), for 30 s.
fn proxy_breakers() -> BreakerConfig {
    BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(5)
}

const GAP: Duration = Duration::from_millis(100);

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
