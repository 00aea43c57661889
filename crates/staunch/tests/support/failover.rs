//! Failover fixtures shared by the failover test files.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry};
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, FailoverBuilder, Pool};
use staunch::retry::RetryPolicy;

/// A pool, its breakers and the fake clock they share.
pub(crate) struct Rig {
    pub clock: ManualClock,
    pub registry: BreakerRegistry<String>,
    pub pool: Arc<Pool<u32>>,
}

/// `n` endpoints `ep-0` .. `ep-{n-1}` (address = index) on a manual clock,
/// breakers opening after `trip` failures in a row for 30 s.
pub(crate) fn rig(n: u32, trip: u32) -> Rig {
    let clock = ManualClock::new();
    let pool = Pool::builder()
        .with_endpoints((0..n).map(|i| Endpoint::new(format!("ep-{i}"), i)))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(trip)
        .with_open_duration(Duration::from_secs(30));
    let registry = BreakerRegistry::with_clock(config, Arc::new(clock.clone())).unwrap();
    Rig {
        clock,
        registry,
        pool: Arc::new(pool),
    }
}

impl Rig {
    /// A failover builder over this rig, with a fixed seed.
    pub(crate) fn builder(&self) -> FailoverBuilder<u32> {
        Failover::builder(Arc::clone(&self.pool), self.registry.clone()).with_seed(11)
    }
}

/// Runs one call where `fails(endpoint)` says which endpoints fail; returns
/// the result, the endpoints tried and the delays slept (which advance the
/// clock).
#[allow(clippy::type_complexity)]
pub(crate) fn run(
    failover: &Failover<u32>,
    policy: &RetryPolicy,
    clock: &ManualClock,
    fails: impl Fn(&str) -> bool,
) -> (
    Result<u32, staunch::pool::FailoverError<String>>,
    Vec<String>,
    Vec<Duration>,
) {
    let tried = RefCell::new(Vec::new());
    let slept = RefCell::new(Vec::new());
    let result = failover
        .call(policy, |target| {
            tried.borrow_mut().push(target.id().to_owned());
            if fails(target.id()) {
                Err(format!("{} refused", target.id()))
            } else {
                Ok(*target.address())
            }
        })
        .sleeper(|d: Duration| {
            slept.borrow_mut().push(d);
            clock.advance(d);
        })
        .clock(clock.clone())
        .run();
    (result, tried.into_inner(), slept.into_inner())
}
