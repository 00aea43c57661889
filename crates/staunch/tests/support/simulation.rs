//! The simulation behind the failover acceptance tests: 20 endpoints with
//! assorted failure rates and latencies, a seeded random generator and a
//! manual clock (each attempt advances it by the endpoint's latency, each
//! sleep by its delay).

// Each simulation file uses a different part of this fixture.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::backoff::Schedule;
use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::budget::RetryBudget;
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, FailoverError, Pool, Strategy, Target};
use staunch::retry::RetryPolicy;

/// How a simulated endpoint behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) failure_rate: f64,
    pub(crate) latency: Duration,
}

/// 20 endpoints as a rotating-proxy pool has them: a few good ones, many
/// mediocre, some bad, one dead; fast and slow among each.
pub(crate) fn specs() -> Vec<Spec> {
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

pub(crate) struct Sim {
    pub(crate) clock: ManualClock,
    pub(crate) registry: BreakerRegistry<String>,
    pub(crate) failover: Failover<Spec>,
    pub(crate) rng: RefCell<SmallRng>,
    pub(crate) sleeps: Cell<u32>,
}

pub(crate) fn sim(
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

pub(crate) fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_schedule(Schedule::exponential(Duration::from_millis(200), 2.0))
        .with_rng_seed(9)
        .build()
}

/// One call: the endpoints it tried with their outcome, and its result.
pub(crate) struct Call {
    pub(crate) tried: Vec<(String, bool)>,
    pub(crate) result: Result<(), FailoverError<String>>,
    /// Retries that went back to an endpoint that failed this call.
    pub(crate) revisits: u32,
    /// Of those, the ones made while another endpoint would have admitted
    /// the call (a broken rule).
    pub(crate) violations: u32,
}

/// Whether `id`'s breaker would let a call through now, read from its
/// snapshot.
pub(crate) fn admits(registry: &BreakerRegistry<String>, id: &str) -> bool {
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
    pub(crate) fn call(&self, policy: &RetryPolicy) -> Call {
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
pub(crate) struct Run {
    pub(crate) calls: u32,
    pub(crate) attempts: u32,
    pub(crate) first_retries: u32,
    pub(crate) first_retry_successes: u32,
    pub(crate) successes: u32,
    pub(crate) successes_within_two_retries: u32,
    pub(crate) revisits: u32,
    pub(crate) violations: u32,
    pub(crate) retries: u32,
}

impl Run {
    pub(crate) fn first_retry_success_rate(&self) -> f64 {
        f64::from(self.first_retry_successes) / f64::from(self.first_retries.max(1))
    }
}

pub(crate) fn simulate(sim: &Sim, policy: &RetryPolicy, calls: u32, gap: Duration) -> Run {
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

pub(crate) const CALLS: u32 = 5_000;

/// Breakers a pool of flaky proxies would use: open after 5 failures in a
/// row (a proxy failing half the time is still worth using), for 30 s.
pub(crate) fn proxy_breakers() -> BreakerConfig {
    BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(5)
}

pub(crate) const GAP: Duration = Duration::from_millis(100);
