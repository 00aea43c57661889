//! Performance-score selection: the formula, exact choice in small pools,
//! the cached ranking in large ones, and its edge over random choice.

use std::time::Duration;

use proptest::prelude::*;
use staunch::pool::{
    performance_score, Endpoint, Outcome, PerformanceScore, Random, SelectContext, Strategy,
};

#[path = "support/pool.rs"]
mod support;
use support::{counts, pool_of, record};

#[test]
fn performance_score_picks_the_best_endpoint() {
    let pool = pool_of(6);
    let profile = [
        (9, 1, 100),
        (10, 0, 400),
        (5, 5, 20),
        (10, 0, 150),
        (7, 3, 10),
        (1, 9, 5),
    ];
    for (i, &(ok, ko, ms)) in profile.iter().enumerate() {
        record(&pool, i, ok, ko, ms);
    }
    // Scores: 0.7 * ratio + 0.3 * (1 - latency / 400 ms).
    let best = profile
        .iter()
        .map(|&(ok, _, ms)| performance_score(ok as f64 / 10.0, ms as f64, 400.0))
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    assert_eq!(best, 3);
    let counts = counts(&pool, &PerformanceScore::new(), 50, 6);
    assert_eq!(counts[best], 50);
}

#[test]
fn performance_score_tries_unknown_endpoints_first_by_default() {
    let pool = pool_of(3);
    record(&pool, 0, 10, 0, 5);
    record(&pool, 1, 10, 0, 5);
    let chosen = pool
        .select(&PerformanceScore::new(), &mut SelectContext::seeded(1))
        .unwrap();
    assert_eq!(*chosen.address(), 2);
    let cautious = PerformanceScore::new()
        .with_unknown_success_ratio(0.0)
        .unwrap();
    let chosen = pool
        .select(&cautious, &mut SelectContext::seeded(1))
        .unwrap();
    assert_ne!(*chosen.address(), 2);
}

#[test]
fn performance_score_in_large_pools_picks_from_the_top() {
    let pool = pool_of(1000);
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(77);
    for i in 0..1000 {
        let ok = rand::Rng::random_range(&mut rng, 0..=20);
        let ms = rand::Rng::random_range(&mut rng, 5..500);
        record(&pool, i, ok, 20 - ok, ms);
    }
    let strategy = PerformanceScore::new();
    let max = pool
        .entries()
        .iter()
        .filter_map(|e| e.stats().ewma_latency_secs())
        .fold(0.0, f64::max);
    let mut scores: Vec<f64> = pool
        .entries()
        .iter()
        .map(|e| strategy.score(e, max))
        .collect();
    let picks = counts(&pool, &strategy, 2_000, 12);
    scores.sort_by(|a, b| b.total_cmp(a));
    let top_decile = scores[99];
    let good: usize = pool
        .entries()
        .iter()
        .zip(&picks)
        .filter(|(e, _)| strategy.score(e, max) >= top_decile)
        .map(|(_, &n)| n)
        .sum();
    assert!(good >= 1_900, "{good} of 2000 picks in the top 10 %");
}

#[test]
fn performance_score_in_large_pools_drops_a_degraded_leader_at_once() {
    let pool = pool_of(300);
    for i in 0..300 {
        record(&pool, i, 6, 4, 100);
    }
    record(&pool, 42, 100, 0, 10);
    let strategy = PerformanceScore::new();
    let mut ctx = SelectContext::seeded(21);
    assert_eq!(*pool.select(&strategy, &mut ctx).unwrap().address(), 42);
    // The cached ranking still lists 42 first, but leaders are re-scored live.
    record(&pool, 42, 0, 100, 10);
    for _ in 0..20 {
        assert_ne!(*pool.select(&strategy, &mut ctx).unwrap().address(), 42);
    }
}

#[test]
fn performance_score_in_large_pools_ranks_again_when_the_pool_changes() {
    let pool = pool_of(300);
    for i in 0..300 {
        record(&pool, i, 6, 4, 100);
    }
    let strategy = PerformanceScore::new();
    let mut ctx = SelectContext::seeded(22);
    pool.select(&strategy, &mut ctx).unwrap();
    let newcomer = pool.add(Endpoint::new("newcomer", 300)).unwrap();
    newcomer
        .stats()
        .record(Outcome::Success, Duration::from_millis(10));
    assert_eq!(pool.select(&strategy, &mut ctx).unwrap().id(), "newcomer");
}

/// Runs `calls` calls of up to two attempts against 20 endpoints whose
/// success probability and latency are fixed, and returns the success rate of
/// first retries.
fn first_retry_success_rate<S: Strategy<usize>>(strategy: &S, calls: usize) -> f64 {
    use rand::{Rng, SeedableRng};
    let pool = pool_of(20);
    let quality: Vec<(f64, u64)> = (0..20)
        .map(|i| {
            (
                0.3 + 0.035 * ((i * 7) % 20) as f64,
                20 + ((i * 13) % 20) as u64 * 15,
            )
        })
        .collect();
    let mut world = rand::rngs::SmallRng::seed_from_u64(99);
    let mut selection = rand::rngs::SmallRng::seed_from_u64(100);
    let (mut retries, mut retry_successes) = (0u32, 0u32);
    for _ in 0..calls {
        let mut ctx = SelectContext::with_rng(&mut selection);
        for attempt in 0..2 {
            let chosen = pool.select(strategy, &mut ctx).unwrap();
            let (p, ms) = quality[*chosen.address()];
            let ok = world.random_bool(p);
            let outcome = if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            chosen
                .entry()
                .stats()
                .record(outcome, Duration::from_millis(ms));
            if attempt == 1 {
                retries += 1;
                retry_successes += u32::from(ok);
            }
            if ok {
                break;
            }
            ctx.record_failure(chosen.entry());
        }
    }
    f64::from(retry_successes) / f64::from(retries)
}

#[test]
fn performance_score_beats_random_on_first_retry_success() {
    let performance = first_retry_success_rate(&PerformanceScore::new(), 5_000);
    let random = first_retry_success_rate(&Random::new(), 5_000);
    assert!(
        performance >= random * 1.2,
        "performance {performance}, random {random}"
    );
}

proptest! {
    #[test]
    fn performance_score_follows_its_formula(
        ratio in 0.0f64..=1.0,
        latency in 0.0f64..10.0,
        extra in 0.0f64..10.0,
    ) {
        let max = latency + extra;
        let score = performance_score(ratio, latency, max);
        let expected = if max > 0.0 { 0.7 * ratio + 0.3 * (1.0 - latency / max) } else { 0.7 * ratio + 0.3 };
        prop_assert!((score - expected).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&score));
        prop_assert!(performance_score((ratio + 0.1).min(1.0), latency, max) >= score);
        prop_assert!(performance_score(ratio, latency + extra / 2.0, max) <= score);
    }

    #[test]
    fn performance_score_stays_in_bounds_for_any_input(
        ratio in proptest::num::f64::ANY,
        latency in proptest::num::f64::ANY,
        max in proptest::num::f64::ANY,
    ) {
        let score = performance_score(ratio, latency, max);
        prop_assert!((0.0..=1.0).contains(&score), "{score}");
    }

    #[test]
    fn performance_strategy_picks_a_highest_score_in_small_pools(
        profile in proptest::collection::vec((0usize..=10, 1u64..500), 1..30),
        seed in any::<u64>(),
    ) {
        let pool = pool_of(profile.len());
        for (i, &(ok, ms)) in profile.iter().enumerate() {
            record(&pool, i, ok, 10 - ok, ms);
        }
        let strategy = PerformanceScore::new();
        let max = profile.iter().map(|&(_, ms)| ms as f64 / 1000.0).fold(0.0, f64::max);
        let best = pool.entries().iter().map(|e| strategy.score(e, max)).fold(0.0, f64::max);
        let chosen = pool.select(&strategy, &mut SelectContext::seeded(seed)).unwrap();
        prop_assert!((strategy.score(chosen.entry(), max) - best).abs() < 1e-9);
    }
}
