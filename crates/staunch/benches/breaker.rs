//! Circuit breakers side by side: the closed-state success path, single
//! threaded and with two threads sharing one breaker, and the keyed
//! registry's hit path.
//!
//! Each peer uses its documented fast path and its default configuration:
//! failsafe `Config::new().build()` + `CircuitBreaker::call`, recloser
//! `Recloser::default().call`, staunch `Breaker::new(key,
//! BreakerConfig::default()).call` (5 failures in 60 s).

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use failsafe::CircuitBreaker as _;
use staunch::breaker::{Breaker, BreakerConfig, BreakerRegistry};

fn ok() -> Result<u64, ()> {
    Ok(black_box(1))
}

fn staunch_breaker() -> Breaker {
    Breaker::new("bench", BreakerConfig::default()).expect("default config is valid")
}

fn breaker_closed(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_closed");
    let staunch = staunch_breaker();
    group.bench_function("staunch", |b| b.iter(|| black_box(staunch.call(ok))));
    let failsafe = failsafe::Config::new().build();
    group.bench_function("failsafe", |b| b.iter(|| black_box(failsafe.call(ok))));
    let recloser = recloser::Recloser::default();
    group.bench_function("recloser", |b| b.iter(|| black_box(recloser.call(ok))));
    group.finish();
}

/// Two threads make `iters` calls each on one shared breaker; the time of the
/// slower thread is the time of `iters` contended calls.
fn contended<B: Sync>(breaker: &B, iters: u64, call: impl Fn(&B) + Sync) -> Duration {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let run = || {
            barrier.wait();
            let start = Instant::now();
            for _ in 0..iters {
                call(breaker);
            }
            start.elapsed()
        };
        let other = s.spawn(run);
        let mine = run();
        mine.max(other.join().expect("bench thread panicked"))
    })
}

fn breaker_contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_contended");
    let staunch = staunch_breaker();
    group.bench_function("staunch", |b| {
        b.iter_custom(|iters| {
            contended(&staunch, iters, |br| {
                let _ = black_box(br.call(ok));
            })
        })
    });
    let failsafe = failsafe::Config::new().build();
    group.bench_function("failsafe", |b| {
        b.iter_custom(|iters| {
            contended(&failsafe, iters, |br| {
                let _ = black_box(br.call(ok));
            })
        })
    });
    let recloser = recloser::Recloser::default();
    group.bench_function("recloser", |b| {
        b.iter_custom(|iters| {
            contended(&recloser, iters, |br| {
                let _ = black_box(br.call(ok));
            })
        })
    });
    group.finish();
}

fn registry_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_lookup");
    let registry =
        BreakerRegistry::<String>::new(BreakerConfig::default()).expect("default config is valid");
    let keys: Vec<String> = (0..1000)
        .map(|i| format!("upstream-{i}.example:443"))
        .collect();
    for key in &keys {
        registry.get(key.as_str());
    }
    let mut next = 0usize;
    group.bench_function("staunch", |b| {
        b.iter(|| {
            next = (next + 1) % keys.len();
            black_box(registry.get(keys[next].as_str()))
        })
    });
    group.finish();
}

/// Not a peer comparison: the closed-state success path when a rate rule
/// makes every call count in the window (a clock read and a shared write).
fn breaker_closed_counting(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_closed_counting");
    let config = BreakerConfig::default().with_failure_rate(0.5);
    let staunch = Breaker::new("bench", config).expect("valid config");
    group.bench_function("staunch", |b| b.iter(|| black_box(staunch.call(ok))));
    group.bench_function("staunch_contended", |b| {
        b.iter_custom(|iters| {
            contended(&staunch, iters, |br| {
                let _ = black_box(br.call(ok));
            })
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    breaker_closed,
    breaker_contended,
    registry_lookup,
    breaker_closed_counting
);
criterion_main!(benches);
