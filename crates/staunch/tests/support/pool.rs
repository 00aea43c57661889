//! Pool fixtures shared by the pool test files.

use std::time::Duration;

use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Outcome, Pool, SelectContext, Strategy};

/// A pool of `n` endpoints `ep-0..` whose address is their index, on fake time.
pub(crate) fn pool_of(n: usize) -> Pool<usize> {
    Pool::builder()
        .with_endpoints((0..n).map(|i| Endpoint::new(format!("ep-{i}"), i)))
        .with_clock(ManualClock::new())
        .build()
        .expect("valid pool")
}

/// Records `successes` and `failures` at `latency_ms` on endpoint `index`.
pub(crate) fn record(
    pool: &Pool<usize>,
    index: usize,
    successes: usize,
    failures: usize,
    latency_ms: u64,
) {
    let entry = &pool.entries()[index];
    let latency = Duration::from_millis(latency_ms);
    for _ in 0..successes {
        entry.stats().record(Outcome::Success, latency);
    }
    for _ in 0..failures {
        entry.stats().record(Outcome::Failure, latency);
    }
}

/// How often each endpoint is chosen in `draws` selections with a seeded RNG.
pub(crate) fn counts<S: Strategy<usize>>(
    pool: &Pool<usize>,
    strategy: &S,
    draws: usize,
    seed: u64,
) -> Vec<usize> {
    let mut ctx = SelectContext::seeded(seed);
    let mut counts = vec![0; pool.len()];
    for _ in 0..draws {
        counts[*pool
            .select(strategy, &mut ctx)
            .expect("an endpoint")
            .address()] += 1;
    }
    counts
}
