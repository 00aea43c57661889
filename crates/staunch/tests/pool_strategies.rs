//! Each selection strategy's rule.

use std::collections::HashMap;

use staunch::pool::{
    Endpoint, InFlight, LeastInFlight, PerformanceScore, Pool, PowerOfTwoChoices, Random,
    RegionAffinity, RoundRobin, SelectContext, Strategy, Weighted,
};

#[path = "support/pool.rs"]
mod support;
use support::{counts, pool_of, record};

#[test]
fn round_robin_visits_every_endpoint_in_order() {
    let pool = pool_of(5);
    let rr = RoundRobin::new();
    let mut ctx = SelectContext::seeded(1);
    let order: Vec<usize> = (0..15)
        .map(|_| *pool.select(&rr, &mut ctx).unwrap().address())
        .collect();
    let expected: Vec<usize> = (0..15).map(|i| i % 5).collect();
    assert_eq!(order, expected);
}

#[test]
fn round_robin_keeps_its_order_when_every_endpoint_was_tried() {
    // The strict pass finds nothing and the pool offers the tried endpoints
    // again: that is still one turn of the rotation, not two.
    let pool = pool_of(4);
    let rr = RoundRobin::new();
    let mut ctx = SelectContext::seeded(1);
    for i in 0..4 {
        ctx.exclude(format!("ep-{i}"));
    }
    let order: Vec<usize> = (0..8)
        .map(|_| *pool.select(&rr, &mut ctx).unwrap().address())
        .collect();
    assert_eq!(order, [0, 1, 2, 3, 0, 1, 2, 3]);
    let mut fresh = SelectContext::seeded(2);
    assert_eq!(*pool.select(&rr, &mut fresh).unwrap().address(), 0);
}

#[test]
fn round_robin_over_one_endpoint_always_takes_it_unless_excluded() {
    let pool = pool_of(1);
    let rr = RoundRobin::new();
    let mut ctx = SelectContext::seeded(1);
    for _ in 0..3 {
        assert_eq!(*pool.select(&rr, &mut ctx).unwrap().address(), 0);
    }
    // Tried already: the strict pass finds nothing, the second offers it.
    ctx.exclude("ep-0");
    assert_eq!(*pool.select(&rr, &mut ctx).unwrap().address(), 0);
    // None of that took a turn of the shared rotation.
    let three = pool_of(3);
    let mut fresh = SelectContext::seeded(2);
    assert_eq!(*three.select(&rr, &mut fresh).unwrap().address(), 0);
}

#[test]
fn random_spreads_uniformly_with_a_seeded_generator() {
    let pool = pool_of(4);
    let draws = 40_000;
    for count in counts(&pool, &Random::new(), draws, 11) {
        let share = count as f64 / draws as f64;
        assert!((share - 0.25).abs() < 0.015, "share {share}");
    }
}

#[test]
fn weighted_draws_follow_weights() {
    let weights = [1.0, 2.0, 3.0, 4.0];
    let pool = Pool::new(
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Endpoint::new(format!("ep-{i}"), i).with_weight(w)),
    )
    .unwrap();
    let draws = 100_000;
    let counts = counts(&pool, &Weighted::new(), draws, 5);
    for (count, w) in counts.iter().zip(weights) {
        let share = *count as f64 / draws as f64;
        assert!((share - w / 10.0).abs() < 0.01, "weight {w}: share {share}");
    }
}

#[test]
fn weighted_keeps_proportions_among_endpoints_not_yet_tried() {
    let pool = Pool::new(
        [1.0, 1.0, 3.0]
            .iter()
            .enumerate()
            .map(|(i, &w)| Endpoint::new(format!("ep-{i}"), i).with_weight(w)),
    )
    .unwrap();
    let mut ctx = SelectContext::seeded(9);
    ctx.exclude("ep-2");
    let mut counts = [0usize; 3];
    for _ in 0..20_000 {
        counts[*pool.select(&Weighted::new(), &mut ctx).unwrap().address()] += 1;
    }
    assert_eq!(counts[2], 0);
    let share = counts[0] as f64 / 20_000.0;
    assert!((share - 0.5).abs() < 0.02, "share {share}");
}

#[test]
fn least_in_flight_picks_the_minimum() {
    let pool = pool_of(5);
    let loads = [3, 1, 2, 0, 4];
    let mut guards: Vec<InFlight<usize>> = Vec::new();
    for (entry, load) in pool.entries().iter().zip(loads) {
        guards.extend((0..load).map(|_| entry.begin()));
    }
    let strategy = LeastInFlight::new();
    let mut ctx = SelectContext::seeded(2);
    // Each pick starts an attempt, so the minimum moves: 3, then 1 or 3, ...
    for _ in 0..12 {
        let min = pool
            .entries()
            .iter()
            .map(|e| e.stats().in_flight())
            .min()
            .unwrap();
        let chosen = pool.select(&strategy, &mut ctx).unwrap();
        assert_eq!(chosen.entry().stats().in_flight(), min);
        guards.push(chosen.begin());
    }
}

#[test]
fn least_in_flight_samples_prefer_idle_endpoints_in_large_pools() {
    let pool = pool_of(500);
    let mut guards = Vec::new();
    for entry in pool.entries().iter().skip(50) {
        guards.extend((0..5).map(|_| entry.begin()));
    }
    let counts = counts(&pool, &LeastInFlight::new(), 5_000, 3);
    let idle: usize = counts[..50].iter().sum();
    // Uniform choice would hit an idle endpoint 10 % of the time; the best of
    // 8 samples does with probability 1 - 0.9^8 = 57 %.
    assert!(idle > 2_500, "idle picks {idle}");
}

#[test]
fn sampling_strategies_spread_evenly_over_equal_endpoints_in_large_pools() {
    // Equal loads and scores: ties must go to a random sample, not to the
    // lowest index, or the first endpoints of every large pool get the load.
    let pool = pool_of(1000);
    let strategies: [&dyn Strategy<usize>; 2] = [&LeastInFlight::new(), &PerformanceScore::new()];
    for strategy in strategies {
        let counts = counts(&pool, &strategy, 20_000, 5);
        let first_half: usize = counts[..500].iter().sum();
        let share = first_half as f64 / 20_000.0;
        assert!(
            (0.45..0.55).contains(&share),
            "{strategy:?}: first half got {share}"
        );
    }
}

#[test]
fn p2c_prefers_lower_latency() {
    let pool = pool_of(10);
    for i in 0..10 {
        record(&pool, i, 5, 0, 10 * (i as u64 + 1));
    }
    let counts = counts(&pool, &PowerOfTwoChoices::new(), 20_000, 4);
    // The slowest endpoint loses every comparison; the fastest wins all of its.
    assert_eq!(counts[9], 0);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(counts[0] > 20_000 / 10 * 17 / 10, "{counts:?}");
}

#[test]
fn p2c_weighs_latency_by_load() {
    let pool = pool_of(2);
    record(&pool, 0, 5, 0, 10);
    record(&pool, 1, 5, 0, 15);
    let _busy: Vec<_> = (0..3).map(|_| pool.entries()[0].begin()).collect();
    // 10 ms x 4 in flight costs more than 15 ms x 1.
    let counts = counts(&pool, &PowerOfTwoChoices::new(), 100, 8);
    assert_eq!(counts, [0, 100]);
}

#[test]
fn region_affinity_prefers_the_failed_endpoints_region_then_any() {
    let pool = Pool::new(
        [
            ("eu-1", "eu"),
            ("us-1", "us"),
            ("eu-2", "eu"),
            ("us-2", "us"),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (id, region))| Endpoint::new(id, i).with_tag("region", region)),
    )
    .unwrap();
    let strategy = RegionAffinity::new(RoundRobin::new());
    let mut ctx = SelectContext::seeded(1);
    ctx.record_failure(&pool.get("eu-1").unwrap());
    for _ in 0..4 {
        assert_eq!(pool.select(&strategy, &mut ctx).unwrap().id(), "eu-2");
    }
    ctx.record_failure(&pool.get("eu-2").unwrap());
    for _ in 0..4 {
        let id = pool.select(&strategy, &mut ctx).unwrap().id().to_owned();
        assert!(id.starts_with("us-"), "{id}");
    }
}

#[test]
fn region_affinity_prefers_the_home_region_before_any_failure() {
    let pool = Pool::new([
        Endpoint::new("eu-1", 0).with_tag("region", "eu"),
        Endpoint::new("us-1", 1).with_tag("region", "us"),
    ])
    .unwrap();
    let strategy = RegionAffinity::new(Random::new()).with_preferred("us");
    let counts = counts(&pool, &strategy, 100, 3);
    assert_eq!(counts, [0, 100]);
}

#[test]
fn region_affinity_uses_the_configured_tag_key() {
    let pool = Pool::new([
        Endpoint::new("a", 0).with_tag("zone", "z1"),
        Endpoint::new("b", 1).with_tag("zone", "z2"),
        Endpoint::new("c", 2).with_tag("zone", "z2"),
    ])
    .unwrap();
    let strategy = RegionAffinity::new(Random::new()).with_tag_key("zone");
    let mut ctx = SelectContext::seeded(4);
    ctx.record_failure(&pool.get("b").unwrap());
    let mut seen = HashMap::new();
    for _ in 0..50 {
        *seen
            .entry(pool.select(&strategy, &mut ctx).unwrap().id().to_owned())
            .or_insert(0) += 1;
    }
    assert_eq!(seen.get("c"), Some(&50));
}
