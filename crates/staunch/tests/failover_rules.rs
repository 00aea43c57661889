//! The failover rules of DESIGN.md "Pool and failover", one test each, on a
//! blocking executor and a manual clock.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, Pool, RegionAffinity, RoundRobin, StrategyKind};
use staunch::retry::{RetryPolicy, StopReason};

const SECOND: Duration = Duration::from_secs(1);

#[path = "support/failover.rs"]
mod support;
use support::{rig, run};

#[test]
fn endpoint_with_open_breaker_is_never_chosen() {
    let rig = rig(3, 5);
    rig.registry.isolate("ep-0");
    rig.registry.isolate("ep-2");
    let failover = rig
        .builder()
        .with_strategy(RoundRobin::new())
        .build()
        .unwrap();
    let policy = RetryPolicy::default();
    for _ in 0..20 {
        let (result, tried, _) = run(&failover, &policy, &rig.clock, |_| false);
        assert_eq!(result.unwrap(), 1);
        assert_eq!(tried, ["ep-1"]);
    }
}

#[test]
fn retry_never_returns_to_a_failed_endpoint_while_another_is_available() {
    let rig = rig(5, 100);
    let failover = rig.builder().build().unwrap();
    let policy = RetryPolicy::builder().with_max_attempts(5).build();
    for _ in 0..50 {
        let (result, tried, _) = run(&failover, &policy, &rig.clock, |_| true);
        assert_eq!(result.unwrap_err().reason(), StopReason::Exhausted);
        let mut distinct = tried.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            5,
            "five attempts on five endpoints: {tried:?}"
        );
    }
}

#[test]
fn failover_to_an_untried_endpoint_skips_the_backoff() {
    let rig = rig(3, 100);
    let failover = rig.builder().build().unwrap();
    let policy = RetryPolicy::default();
    let (result, tried, slept) = run(&failover, &policy, &rig.clock, |id| id != "ep-2");
    assert_eq!(result.unwrap(), 2);
    assert_eq!(tried.last().unwrap(), "ep-2");
    assert!(slept.iter().all(|d| d.is_zero()), "{slept:?}");
}

#[test]
fn failover_waits_the_configured_failover_delay() {
    let rig = rig(3, 100);
    let failover = rig
        .builder()
        .with_failover_delay(Duration::from_millis(50))
        .build()
        .unwrap();
    let (_, tried, slept) = run(&failover, &RetryPolicy::default(), &rig.clock, |_| true);
    assert_eq!(tried.len(), 3);
    assert_eq!(slept, [Duration::from_millis(50); 2]);
}

#[test]
fn reusing_an_endpoint_waits_the_backoff() {
    let rig = rig(1, 100);
    let failover = rig.builder().build().unwrap();
    let (result, tried, slept) = run(&failover, &RetryPolicy::default(), &rig.clock, |_| true);
    assert_eq!(result.unwrap_err().reason(), StopReason::Exhausted);
    assert_eq!(tried, ["ep-0"; 3]);
    assert_eq!(slept, [SECOND, 2 * SECOND]);
}

#[test]
fn every_breaker_open_fails_at_once_with_the_soonest_probe() {
    let rig = rig(3, 1);
    let failover = rig.builder().build().unwrap();
    let policy = RetryPolicy::default();
    // Open ep-0 now, ep-1 10 s later; isolate ep-2 (no probe on its own).
    let _ = rig.registry.get("ep-0").call(|| Err::<(), _>("down"));
    rig.clock.advance(Duration::from_secs(10));
    let _ = rig.registry.get("ep-1").call(|| Err::<(), _>("down"));
    rig.registry.isolate("ep-2");
    assert_eq!(rig.registry.get("ep-1").state(), CircuitState::Open);

    let before = rig.clock.elapsed();
    let (result, tried, slept) = run(&failover, &policy, &rig.clock, |_| false);
    let err = result.unwrap_err();
    assert!(tried.is_empty() && slept.is_empty());
    assert_eq!(rig.clock.elapsed(), before, "no time passed");
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.last_endpoint(), None);
    assert_eq!(
        err.reason(),
        StopReason::AllUnavailable {
            next_probe_in: Some(Duration::from_secs(20))
        }
    );
}

#[test]
fn breakers_opening_during_the_call_end_it_without_sleeping() {
    let rig = rig(3, 1);
    let failover = rig.builder().build().unwrap();
    let policy = RetryPolicy::builder().with_max_attempts(10).build();
    let (result, tried, slept) = run(&failover, &policy, &rig.clock, |_| true);
    let err = result.unwrap_err();
    assert_eq!(tried.len(), 3, "each endpoint once, then all are open");
    assert!(slept.iter().all(|d| d.is_zero()), "{slept:?}");
    assert!(
        matches!(err.reason(), StopReason::AllUnavailable { next_probe_in: Some(d) } if d == Duration::from_secs(30))
    );
    assert_eq!(err.last_endpoint(), Some(tried[2].as_str()));
    assert_eq!(err.last_error().unwrap(), &format!("{} refused", tried[2]));
}

#[test]
fn open_breaker_admits_a_probe_after_its_open_duration() {
    let rig = rig(1, 1);
    let failover = rig.builder().build().unwrap();
    let once = RetryPolicy::no_retry();
    let (opened, _, _) = run(&failover, &once, &rig.clock, |_| true);
    assert!(opened.is_err());
    let (refused, _, _) = run(&failover, &once, &rig.clock, |_| false);
    assert!(matches!(
        refused.unwrap_err().reason(),
        StopReason::AllUnavailable { .. }
    ));
    rig.clock.advance(Duration::from_secs(30));
    let (probe, tried, _) = run(&failover, &once, &rig.clock, |_| false);
    assert_eq!(probe.unwrap(), 0);
    assert_eq!(tried, ["ep-0"]);
    assert_eq!(rig.registry.get("ep-0").state(), CircuitState::Closed);
}

#[test]
fn planned_endpoint_closing_before_the_attempt_is_replaced() {
    let rig = rig(3, 100);
    let failover = rig
        .builder()
        .with_strategy(RoundRobin::new())
        .build()
        .unwrap();
    let tried = RefCell::new(Vec::new());
    let registry = rig.registry.clone();
    let result = failover
        .call(&RetryPolicy::default(), |target| {
            tried.borrow_mut().push(target.id().to_owned());
            if tried.borrow().len() == 1 {
                Err("refused")
            } else {
                Ok(target.id().to_owned())
            }
        })
        // The retry was planned on ep-1; another caller isolates it meanwhile.
        .sleeper(|_: Duration| registry.isolate("ep-1"))
        .run();
    assert_eq!(result.unwrap(), "ep-2");
    assert_eq!(tried.into_inner(), ["ep-0", "ep-2"]);
}

#[test]
fn region_affinity_retries_in_the_region_that_failed() {
    let clock = ManualClock::new();
    let pool = Pool::builder()
        .with_endpoints([
            Endpoint::new("eu-1", 0).with_tag("region", "eu"),
            Endpoint::new("us-1", 1).with_tag("region", "us"),
            Endpoint::new("us-2", 2).with_tag("region", "us"),
            Endpoint::new("eu-2", 3).with_tag("region", "eu"),
        ])
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let registry =
        BreakerRegistry::with_clock(BreakerConfig::default(), Arc::new(clock.clone())).unwrap();
    let failover = Failover::builder(pool, registry)
        .with_strategy(RegionAffinity::new(RoundRobin::new()).with_preferred("eu"))
        .build()
        .unwrap();
    let (result, tried, _) = run(&failover, &RetryPolicy::default(), &clock, |id| {
        id.starts_with("eu-1")
    });
    assert_eq!(result.unwrap(), 3);
    assert_eq!(tried, ["eu-1", "eu-2"]);
}

#[test]
fn strategy_from_configuration_name_is_used() {
    let rig = rig(4, 100);
    let failover = rig
        .builder()
        .with_strategy_kind(&StrategyKind::RoundRobin)
        .build()
        .unwrap();
    let mut order = Vec::new();
    for _ in 0..8 {
        let (_, tried, _) = run(&failover, &RetryPolicy::no_retry(), &rig.clock, |_| false);
        order.extend(tried);
    }
    assert_eq!(
        order,
        ["ep-0", "ep-1", "ep-2", "ep-3", "ep-0", "ep-1", "ep-2", "ep-3"]
    );
}

#[test]
fn hedging_settings_out_of_range_are_refused_by_build() {
    let rig = rig(2, 100);
    let err = rig
        .builder()
        .with_hedging(staunch::pool::Hedging::after(SECOND).with_max_hedges(0))
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("pool.max_hedges"));
}

#[test]
fn pool_configuration_sets_strategy_and_failover_delay() {
    let rig = rig(3, 100);
    let config: staunch::pool::PoolConfig =
        toml::from_str("strategy = \"round_robin\"\nfailover_delay = \"30ms\"").unwrap();
    let failover = rig.builder().with_config(&config).build().unwrap();
    let (result, tried, slept) = run(&failover, &RetryPolicy::default(), &rig.clock, |id| {
        id == "ep-0"
    });
    assert_eq!(result.unwrap(), 1);
    assert_eq!(tried, ["ep-0", "ep-1"]);
    assert_eq!(slept, [Duration::from_millis(30)]);
}
