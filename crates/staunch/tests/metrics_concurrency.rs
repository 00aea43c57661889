//! Recording from several threads while minutes roll over loses nothing.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{AttemptOutcome, AttemptRecord, MetricsConfig, MetricsStore};

#[test]
fn concurrent_records_across_minute_rolls_are_all_counted() {
    let clock = ManualClock::new();
    let config = MetricsConfig::default().with_max_endpoints(8);
    let store = Arc::new(MetricsStore::with_clock(config, clock.clone()).unwrap());
    let threads = 4;
    let per_thread = 20_000u64;
    thread::scope(|scope| {
        for t in 0..threads {
            let (store, clock) = (store.clone(), clock.clone());
            scope.spawn(move || {
                for i in 0..per_thread {
                    // A few endpoints shared by every thread, so rolls race.
                    let endpoint = format!("e{}", (i + t) % 3);
                    let record =
                        AttemptRecord::new(i, 1, AttemptOutcome::Success, clock.system_now())
                            .with_endpoint(endpoint)
                            .with_latency(Duration::from_millis(1));
                    store.record_attempt(&record);
                }
            });
        }
        let clock = clock.clone();
        scope.spawn(move || {
            for _ in 0..300 {
                clock.advance(Duration::from_secs(7));
                thread::yield_now();
            }
        });
    });
    let summary = store.summary();
    assert_eq!(summary.totals.successes, threads * per_thread);
    assert_eq!(summary.totals.attempts, threads * per_thread);
    assert_eq!(summary.endpoints, 3);
    let per_endpoint: u64 = store
        .by_endpoint(1)
        .unwrap()
        .endpoints
        .iter()
        .map(|e| e.totals.successes)
        .sum();
    assert_eq!(per_endpoint, threads * per_thread);
}
