//! Hedged failover calls, on tokio's paused clock.
#![cfg(feature = "tokio")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry};
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, FailoverBuilder, Hedging, Pool, RoundRobin, Target};
use staunch::retry::{RetryPolicy, StopReason, Verdict};
use tokio::time::Instant;

const HEDGE_DELAY: Duration = Duration::from_millis(100);

/// How an endpoint answers: after `ms`, with success or not.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    ms: u64,
    ok: bool,
}

fn ok(ms: u64) -> Behaviour {
    Behaviour { ms, ok: true }
}

fn fail(ms: u64) -> Behaviour {
    Behaviour { ms, ok: false }
}

struct Rig {
    pool: Arc<Pool<Behaviour>>,
    registry: BreakerRegistry<String>,
    clock: ManualClock,
}

fn rig(endpoints: &[(&str, Behaviour)]) -> Rig {
    let clock = ManualClock::new();
    let pool = Pool::builder()
        .with_endpoints(endpoints.iter().map(|(id, b)| Endpoint::new(*id, *b)))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let config = BreakerConfig::default().without_failure_threshold();
    let registry = BreakerRegistry::with_clock(config, Arc::new(clock.clone())).unwrap();
    Rig {
        pool: Arc::new(pool),
        registry,
        clock,
    }
}

impl Rig {
    fn builder(&self, hedging: Hedging) -> FailoverBuilder<Behaviour> {
        Failover::builder(Arc::clone(&self.pool), self.registry.clone())
            .with_strategy(RoundRobin::new())
            .with_hedging(hedging)
    }
}

/// Counts started and dropped-before-answering legs, and where legs went.
#[derive(Default)]
struct Legs {
    started: Mutex<Vec<(String, u32, u32)>>,
    cancelled: AtomicU32,
}

/// Sets the flag when dropped unless disarmed (the leg answered).
struct DropFlag<'a>(&'a AtomicU32, bool);

impl Drop for DropFlag<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn leg(legs: &Legs, target: Target<Behaviour>) -> Result<String, String> {
    legs.started
        .lock()
        .unwrap()
        .push((target.id().to_owned(), target.attempt(), target.hedge()));
    let mut flag = DropFlag(&legs.cancelled, true);
    let behaviour = *target.address();
    tokio::time::sleep(Duration::from_millis(behaviour.ms)).await;
    flag.1 = false;
    if behaviour.ok {
        Ok(target.id().to_owned())
    } else {
        Err(format!("{} failed", target.id()))
    }
}

#[tokio::test(start_paused = true)]
async fn slow_attempt_gets_a_hedge_and_the_first_success_wins() {
    let rig = rig(&[("slow", ok(1_000)), ("fast", ok(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let started = Instant::now();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "fast");
    assert_eq!(started.elapsed(), Duration::from_millis(110));
    assert_eq!(
        *legs.started.lock().unwrap(),
        [("slow".to_owned(), 1, 0), ("fast".to_owned(), 1, 1)]
    );
    assert_eq!(
        legs.cancelled.load(Ordering::SeqCst),
        1,
        "the slow leg was dropped"
    );
    let slow = rig.pool.get("slow").unwrap();
    assert_eq!(slow.stats().in_flight(), 0);
    assert_eq!(
        slow.stats().total_failures() + slow.stats().total_successes(),
        0
    );
    assert_eq!(rig.pool.get("fast").unwrap().stats().total_successes(), 1);
}

#[tokio::test(start_paused = true)]
async fn attempt_answering_before_the_hedge_delay_is_not_hedged() {
    let rig = rig(&[("a", ok(50)), ("b", ok(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "a");
    assert_eq!(legs.started.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn hedge_refused_by_the_budget_is_not_started() {
    let rig = rig(&[("slow", ok(1_000)), ("fast", ok(10))]);
    let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0);
    let budget = Arc::new(RetryBudget::with_clock(config, rig.clock.clone()).unwrap());
    let failover = rig
        .builder(Hedging::after(HEDGE_DELAY))
        .with_budget(Arc::clone(&budget))
        .build()
        .unwrap();
    let legs = Legs::default();
    let started = Instant::now();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "slow");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(legs.started.lock().unwrap().len(), 1);
    assert_eq!((budget.withdrawn(), budget.denied()), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn each_hedge_is_withdrawn_from_the_budget() {
    let rig = rig(&[("slow", ok(1_000)), ("fast", ok(10))]);
    let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(5);
    let budget = Arc::new(RetryBudget::with_clock(config, rig.clock.clone()).unwrap());
    let failover = rig
        .builder(Hedging::after(HEDGE_DELAY))
        .with_budget(Arc::clone(&budget))
        .build()
        .unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "fast");
    assert_eq!((budget.deposited(), budget.withdrawn()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn up_to_max_hedges_start_one_hedge_delay_apart() {
    let rig = rig(&[
        ("a", ok(1_000)),
        ("b", ok(1_000)),
        ("c", ok(50)),
        ("d", ok(1)),
    ]);
    let failover = rig
        .builder(Hedging::after(HEDGE_DELAY).with_max_hedges(2))
        .build()
        .unwrap();
    let legs = Legs::default();
    let started = Instant::now();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "c");
    assert_eq!(started.elapsed(), Duration::from_millis(250));
    let ids: Vec<String> = legs
        .started
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.0.clone())
        .collect();
    assert_eq!(ids, ["a", "b", "c"], "two hedges, never a third");
    assert_eq!(legs.cancelled.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn hedge_never_goes_to_a_failed_or_busy_endpoint() {
    // Attempt 1 fails fast on a; attempt 2 goes to b (slow); its hedge must
    // go to c, not to a (failed) nor b (in flight).
    let rig = rig(&[("a", fail(1)), ("b", ok(1_000)), ("c", ok(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "c");
    assert_eq!(
        *legs.started.lock().unwrap(),
        [
            ("a".to_owned(), 1, 0),
            ("b".to_owned(), 2, 0),
            ("c".to_owned(), 2, 1)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn no_hedge_when_every_other_endpoint_failed_or_is_busy() {
    let rig = rig(&[("a", fail(1)), ("b", ok(500))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "b");
    assert_eq!(legs.started.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn failed_hedge_waits_for_the_first_leg_and_is_recorded() {
    let rig = rig(&[("a", ok(300)), ("b", fail(50))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let started = Instant::now();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "a");
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    let b = rig.pool.get("b").unwrap();
    assert_eq!(b.stats().total_failures(), 1);
    assert_eq!(b.stats().last_error().unwrap().message, "b failed");
    assert_eq!(rig.pool.get("a").unwrap().stats().total_successes(), 1);
}

#[tokio::test(start_paused = true)]
async fn when_every_leg_fails_the_retry_goes_to_an_untried_endpoint() {
    let rig = rig(&[("a", fail(200)), ("b", fail(150)), ("c", ok(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "c");
    let started = legs.started.lock().unwrap().clone();
    assert_eq!(started[2], ("c".to_owned(), 2, 0), "{started:?}");
    assert_eq!(rig.pool.get("a").unwrap().stats().total_failures(), 1);
    assert_eq!(rig.pool.get("b").unwrap().stats().total_failures(), 1);
}

#[tokio::test(start_paused = true)]
async fn fatal_hedge_ends_the_call_at_once() {
    let rig = rig(&[("a", ok(1_000)), ("b", fail(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let legs = Legs::default();
    let started = Instant::now();
    let err = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .classify(|r: &Result<String, String>| match r {
            Ok(_) => Verdict::Success,
            Err(_) => Verdict::Fatal,
        })
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Fatal);
    assert_eq!(err.last_endpoint(), Some("b"));
    assert_eq!(started.elapsed(), Duration::from_millis(110));
}

#[tokio::test(start_paused = true)]
async fn hedging_off_runs_one_leg_per_attempt() {
    let rig = rig(&[("slow", ok(1_000)), ("fast", ok(10))]);
    let failover = rig.builder(Hedging::OFF).build().unwrap();
    let legs = Legs::default();
    let result = failover
        .call_hedged(&RetryPolicy::default(), |target| leg(&legs, target))
        .run()
        .await;
    assert_eq!(result.unwrap(), "slow");
    assert_eq!(legs.started.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn hedged_call_can_be_spawned() {
    let rig = rig(&[("slow", ok(1_000)), ("fast", ok(10))]);
    let failover = rig.builder(Hedging::after(HEDGE_DELAY)).build().unwrap();
    let task = tokio::spawn(async move {
        let policy = RetryPolicy::default();
        failover
            .call_hedged(&policy, |target| async move {
                tokio::time::sleep(Duration::from_millis(target.address().ms)).await;
                Ok::<_, String>(target.id().to_owned())
            })
            .run()
            .await
    });
    assert_eq!(task.await.unwrap().unwrap(), "fast");
}
