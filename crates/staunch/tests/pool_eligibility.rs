//! Exclusions, availability and "no endpoint" answers, for every strategy.

use std::time::Duration;

use staunch::clock::ManualClock;
use staunch::pool::{
    Endpoint, EndpointEntry, NoEndpoint, Outcome, Pool, SelectContext, Strategy, StrategyKind,
};

fn all_kinds() -> Vec<StrategyKind> {
    vec![
        StrategyKind::RoundRobin,
        StrategyKind::Random,
        StrategyKind::Weighted,
        StrategyKind::LeastInFlight,
        StrategyKind::P2c,
        StrategyKind::Performance,
        StrategyKind::region_affinity("region", StrategyKind::Performance),
        StrategyKind::region_affinity("region", StrategyKind::LeastInFlight),
    ]
}

/// Pools below and above the exact-scan limit (64), so both the scanning and
/// the sampling paths are covered. Endpoints have data, tags and weights.
fn pools() -> Vec<Pool<usize>> {
    [6, 300]
        .into_iter()
        .map(|n| {
            let pool = Pool::builder()
                .with_endpoints((0..n).map(|i| {
                    Endpoint::new(format!("ep-{i}"), i)
                        .with_weight(1.0 + (i % 4) as f64)
                        .with_tag("region", if i % 2 == 0 { "eu" } else { "us" })
                }))
                .with_clock(ManualClock::new())
                .build()
                .unwrap();
            for (i, entry) in pool.entries().iter().enumerate() {
                let outcome = if i % 3 == 0 {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                entry
                    .stats()
                    .record(outcome, Duration::from_millis(5 + i as u64));
            }
            pool
        })
        .collect()
}

fn strategies() -> Vec<(String, Box<dyn Strategy<usize>>)> {
    all_kinds()
        .into_iter()
        .map(|kind| (format!("{kind:?}"), kind.build::<usize>()))
        .collect()
}

#[test]
fn tried_endpoints_are_skipped_while_another_is_available() {
    for pool in pools() {
        let n = pool.len();
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(5);
            // Exclude all but the last endpoint.
            for i in 0..n - 1 {
                ctx.exclude(format!("ep-{i}"));
            }
            for _ in 0..20 {
                let chosen = pool.select(&strategy, &mut ctx).unwrap();
                assert_eq!(*chosen.address(), n - 1, "{name} on {n}");
            }
        }
    }
}

#[test]
fn a_retry_never_lands_on_an_endpoint_that_failed_this_call() {
    for pool in pools() {
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(8);
            for call in 0..30 {
                ctx.reset();
                let mut tried = Vec::new();
                for _attempt in 0..5 {
                    let chosen = pool.select(&strategy, &mut ctx).unwrap();
                    assert!(!tried.contains(chosen.address()), "{name} call {call}");
                    tried.push(*chosen.address());
                    chosen.begin().failure(&"boom");
                    ctx.record_failure(chosen.entry());
                }
            }
        }
    }
}

#[test]
fn tried_endpoints_become_eligible_again_once_all_were_tried() {
    for pool in pools() {
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(6);
            for i in 0..pool.len() {
                ctx.exclude(format!("ep-{i}"));
            }
            assert!(pool.select(&strategy, &mut ctx).is_ok(), "{name}");
        }
    }
}

#[test]
fn unavailable_endpoints_are_never_chosen() {
    let odd_is_down = |e: &EndpointEntry<usize>| *e.address() % 2 == 0;
    for pool in pools() {
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(7).with_available(&odd_is_down);
            for _ in 0..200 {
                let chosen = pool.select(&strategy, &mut ctx).unwrap();
                assert_eq!(*chosen.address() % 2, 0, "{name}");
            }
        }
    }
}

#[test]
fn unavailable_endpoints_stay_skipped_when_every_other_was_tried() {
    let first_is_down = |e: &EndpointEntry<usize>| *e.address() != 0;
    for pool in pools() {
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(3).with_available(&first_is_down);
            for i in 1..pool.len() {
                ctx.exclude(format!("ep-{i}"));
            }
            for _ in 0..20 {
                let chosen = pool.select(&strategy, &mut ctx).unwrap();
                assert_ne!(*chosen.address(), 0, "{name}");
            }
        }
    }
}

#[test]
fn all_unavailable_is_reported_with_the_pool_size() {
    let none = |_: &EndpointEntry<usize>| false;
    for pool in pools() {
        for (name, strategy) in strategies() {
            let mut ctx = SelectContext::seeded(1).with_available(&none);
            ctx.exclude("ep-0");
            let err = pool.select(&strategy, &mut ctx).unwrap_err();
            assert_eq!(
                err,
                NoEndpoint::AllUnavailable {
                    endpoints: pool.len()
                },
                "{name}"
            );
        }
    }
}

#[test]
fn an_empty_pool_is_reported_as_empty() {
    let pool: Pool<usize> = Pool::builder().allow_empty().build().unwrap();
    for (name, strategy) in strategies() {
        let err = pool
            .select(&strategy, &mut SelectContext::seeded(1))
            .unwrap_err();
        assert_eq!(err, NoEndpoint::Empty, "{name}");
    }
    pool.add(Endpoint::new("a", 0)).unwrap();
    assert!(pool
        .select(&strategies()[0].1, &mut SelectContext::seeded(1))
        .is_ok());
    pool.remove("a");
    let err = pool
        .select(&strategies()[0].1, &mut SelectContext::seeded(1))
        .unwrap_err();
    assert_eq!(err, NoEndpoint::Empty);
    assert!(err.to_string().contains("empty"));
}

#[test]
fn a_strategy_answering_out_of_range_falls_back_to_an_eligible_endpoint() {
    #[derive(Debug)]
    struct Broken;
    impl Strategy<usize> for Broken {
        fn select(
            &self,
            _: &staunch::pool::Candidates<'_, usize>,
            _: &mut rand::rngs::SmallRng,
        ) -> Option<usize> {
            Some(usize::MAX)
        }
    }
    let pool = &pools()[0];
    let chosen = pool.select(&Broken, &mut SelectContext::seeded(1)).unwrap();
    assert!(*chosen.address() < pool.len());
}
