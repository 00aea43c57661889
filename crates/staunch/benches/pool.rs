//! Selection cost over a pool of 1000 healthy endpoints with varied
//! statistics.
//!
//! `cargo bench -p staunch --bench pool`

// `criterion_group!` generates undocumented public items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::pool::{
    Endpoint, LeastInFlight, Outcome, PerformanceScore, Pool, PowerOfTwoChoices, RoundRobin,
    SelectContext, Strategy,
};

const ENDPOINTS: usize = 1000;

/// 1000 endpoints, each with 100 recorded outcomes: latencies from 5 ms to
/// 500 ms and success rates from 50 % to 100 %, plus a few attempts in flight.
fn populated_pool() -> (Pool<String>, Vec<staunch::pool::InFlight<String>>) {
    let endpoints = (0..ENDPOINTS).map(|i| {
        Endpoint::new(
            format!("ep-{i}"),
            format!("http://10.0.{}.{}:8080", i / 250, i % 250),
        )
        .with_tag("region", ["eu", "us", "ap"][i % 3])
    });
    let pool = Pool::new(endpoints).expect("valid pool");
    let mut rng = SmallRng::seed_from_u64(1);
    let mut in_flight = Vec::new();
    for entry in pool.entries() {
        let base_ms = rng.random_range(5.0..500.0);
        let success_rate = rng.random_range(0.5..1.0);
        for _ in 0..100 {
            let latency = Duration::from_secs_f64(base_ms * rng.random_range(0.8..1.2) / 1000.0);
            let outcome = if rng.random_bool(success_rate) {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            entry.stats().record(outcome, latency);
        }
        for _ in 0..rng.random_range(0..4) {
            in_flight.push(entry.begin());
        }
    }
    (pool, in_flight)
}

fn bench_strategy<S: Strategy<String>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    pool: &Pool<String>,
    strategy: &S,
) {
    let mut ctx = SelectContext::seeded(7);
    group.bench_function(name, |b| {
        b.iter(|| black_box(pool.select(strategy, &mut ctx)).is_ok());
    });
}

fn select_1000(c: &mut Criterion) {
    let (pool, _in_flight) = populated_pool();
    let mut group = c.benchmark_group("select_1000");
    bench_strategy(&mut group, "round_robin", &pool, &RoundRobin::new());
    bench_strategy(&mut group, "p2c", &pool, &PowerOfTwoChoices::new());
    bench_strategy(&mut group, "perf_score", &pool, &PerformanceScore::new());
    bench_strategy(&mut group, "least_in_flight", &pool, &LeastInFlight::new());
    group.finish();
}

criterion_group!(benches, select_1000);
criterion_main!(benches);
