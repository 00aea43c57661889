//! Metrics store: the cost of recording one attempt, and of the admin API's
//! queries over a full day of 50 endpoints.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{AttemptOutcome, AttemptRecord, EndpointId, MetricsConfig, MetricsStore};

const ENDPOINTS: usize = 50;

fn names() -> Vec<String> {
    (0..ENDPOINTS)
        .map(|i| format!("proxy-{i:02}.example.net"))
        .collect()
}

/// Records over 50 endpoints with mixed outcomes, attempt numbers and
/// latencies, all in one minute: the steady state of the recording path.
/// Endpoint ids are shared `Arc<str>`s, as the pool hands them out.
fn metrics_record(c: &mut Criterion) {
    let store = MetricsStore::new(MetricsConfig::default()).expect("default config is valid");
    let at = SystemTime::now();
    let ids: Vec<EndpointId> = names()
        .iter()
        .map(|n| EndpointId::from(n.as_str()))
        .collect();
    let records: Vec<AttemptRecord> = ids
        .iter()
        .cycle()
        .take(1024)
        .enumerate()
        .map(|(i, id)| {
            let outcome = if i % 5 == 0 {
                AttemptOutcome::RetryableFailure
            } else {
                AttemptOutcome::Success
            };
            AttemptRecord::new(i as u64, (i % 3) as u32 + 1, outcome, at)
                .with_endpoint(id.clone())
                .with_latency(Duration::from_micros((i as u64 * 7919) % 2_000_000))
        })
        .collect();
    for record in &records {
        store.record_attempt(record);
    }
    let mut group = c.benchmark_group("metrics_record");
    let mut i = 0;
    group.bench_function("staunch", |b| {
        b.iter(|| {
            store.record_attempt(black_box(&records[i & 1023]));
            i += 1;
        })
    });
    group.finish();
}

/// A store holding 24 h of traffic on 50 endpoints, every minute filled.
fn full_day() -> (MetricsStore, ManualClock) {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone())
        .expect("default config is valid");
    let names = names();
    for minute in 0..24 * 60u64 {
        let at = clock.system_now();
        for (e, name) in names.iter().enumerate() {
            for n in 0..4u64 {
                let outcome = AttemptOutcome::ALL[((minute + n + e as u64) % 6) as usize];
                let record = AttemptRecord::new(n, (n + 1) as u32, outcome, at)
                    .with_endpoint(name.as_str())
                    .with_latency(Duration::from_millis((minute * 13 + n * 101) % 3000));
                store.record_attempt(&record);
            }
        }
        clock.advance(Duration::from_secs(60));
    }
    (store, clock)
}

fn metrics_query_24h(c: &mut Criterion) {
    let (store, _clock) = full_day();
    eprintln!(
        "metrics store, 24 h x {ENDPOINTS} endpoints: {} bytes",
        store.memory_bytes()
    );
    let mut group = c.benchmark_group("metrics_query_24h");
    group.bench_function("staunch", |b| {
        b.iter(|| {
            let summary = store.summary();
            let series = store.timeseries(24).expect("24 is a valid window");
            let rows = store.by_endpoint(24).expect("24 is a valid window");
            black_box((summary, series, rows))
        })
    });
    group.bench_function("summary", |b| b.iter(|| black_box(store.summary())));
    group.bench_function("timeseries", |b| {
        b.iter(|| black_box(store.timeseries(24).expect("24 is a valid window")))
    });
    group.bench_function("by_endpoint", |b| {
        b.iter(|| black_box(store.by_endpoint(24).expect("24 is a valid window")))
    });
    group.finish();
}

criterion_group!(benches, metrics_record, metrics_query_24h);
criterion_main!(benches);
