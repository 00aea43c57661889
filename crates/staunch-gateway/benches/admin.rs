//! Admin API handlers over a full day of metrics for 50 endpoints:
//! `GET /api/v1/metrics/retries/timeseries?hours=24` and `GET /metrics`,
//! called in-process (no socket), so the figures are the handlers' own cost.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::{BodyExt, Empty};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord};
use staunch_gateway::admin::AdminApi;
use staunch_gateway::config::{GatewayConfig, RouteConfig};
use staunch_gateway::GatewayState;

const ENDPOINTS: usize = 50;
const MINUTES: u64 = 24 * 60;

/// A gateway state whose store holds one record set per endpoint and minute
/// for the last 24 hours.
fn loaded_api() -> AdminApi {
    let mut route = RouteConfig::new("/");
    for i in 0..ENDPOINTS {
        route = route.with_backend(format!("backend-{i:02}"), format!("http://10.0.0.{i}:8080"));
    }
    let config = GatewayConfig::default().with_route(route);
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let state = GatewayState::with_clock(config, Arc::new(clock.clone())).unwrap();
    let store = Arc::clone(state.engine().metrics());
    let mut call = 0u64;
    for minute in 0..MINUTES {
        for i in 0..ENDPOINTS {
            call += 1;
            let id = format!("backend-{i:02}");
            let now = clock.system_now();
            let latency = Duration::from_micros(500 + (minute * 37 + i as u64 * 11) % 90_000);
            let first = if (minute + i as u64) % 7 == 0 {
                AttemptOutcome::RetryableFailure
            } else {
                AttemptOutcome::Success
            };
            store.record_attempt(
                &AttemptRecord::new(call, 1, first, now)
                    .with_endpoint(id.as_str())
                    .with_latency(latency),
            );
            let attempts = if first == AttemptOutcome::Success {
                1
            } else {
                store.record_attempt(
                    &AttemptRecord::new(call, 2, AttemptOutcome::Success, now)
                        .with_endpoint(id.as_str())
                        .with_latency(latency),
                );
                2
            };
            store.record_call(
                &CallRecord::new(call, attempts, CallOutcome::Success, now)
                    .with_endpoint(id.as_str()),
            );
        }
        clock.advance(Duration::from_secs(60));
    }
    AdminApi::new(Arc::new(state), "127.0.0.1:9090".parse().unwrap())
}

async fn get(api: &AdminApi, path: &'static str) -> usize {
    let request = http::Request::get(path)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = api.handle(request).await;
    assert_eq!(response.status(), 200);
    response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .len()
}

fn admin(c: &mut Criterion) {
    let api = loaded_api();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("admin");
    group.bench_function("timeseries_24h_50_endpoints", |b| {
        b.to_async(&rt)
            .iter(|| get(&api, "/api/v1/metrics/retries/timeseries?hours=24"))
    });
    group.bench_function("prometheus_50_endpoints", |b| {
        b.to_async(&rt).iter(|| get(&api, "/metrics"))
    });
    group.bench_function("by_proxy_24h_50_endpoints", |b| {
        b.to_async(&rt)
            .iter(|| get(&api, "/api/v1/metrics/retries/by-proxy?hours=24"))
    });
    group.bench_function("breakers_50_endpoints", |b| {
        b.to_async(&rt)
            .iter(|| get(&api, "/api/v1/circuit-breakers"))
    });
    group.finish();
}

criterion_group!(benches, admin);
criterion_main!(benches);
