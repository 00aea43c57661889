//! The cost of the middleware on the success path, against a local server:
//! a plain reqwest client, staunch (retry + per-host breaker), and
//! reqwest-retry's `RetryTransientMiddleware`, in the same run, plus
//! `empty_middleware_stack` (a `reqwest-middleware` client with no
//! middleware) to show what the stack itself costs. The client
//! and the server share one thread, whose CPU time is what is measured (see
//! `cpu_time_of`).
//!
//! ```text
//! cargo bench -p staunch-http --bench middleware
//! ```
//!
//! `tower_success` isolates the layer's own cost: an in-memory service that
//! answers at once, bare and wrapped in `StaunchLayer`.

// `criterion_group!` generates a public function without docs.
#![allow(missing_docs)]

#[path = "support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use cpu_time::ThreadTime;
use criterion::{criterion_group, criterion_main, Criterion};
use http::{Request, Response};
use http_body_util::Full;
use staunch_http::{HttpPolicy, StaunchLayer};
use tower::{Layer, ServiceExt};

fn reqwest_success(c: &mut Criterion) {
    let rt = support::runtime();
    let url = format!("http://{}/item", rt.block_on(support::start_server()));
    let clients = support::Clients::new();

    let mut group = c.benchmark_group("reqwest_success");
    group.bench_function("bare", |b| {
        b.iter_custom(|iters| cpu_time_of(&rt, iters, || support::get_bare(&clients.bare, &url)));
    });
    group.bench_function("staunch", |b| {
        b.iter_custom(|iters| cpu_time_of(&rt, iters, || support::get_via(&clients.staunch, &url)));
    });
    group.bench_function("empty_middleware_stack", |b| {
        b.iter_custom(|iters| {
            cpu_time_of(&rt, iters, || support::get_via(&clients.empty_stack, &url))
        });
    });
    group.bench_function("reqwest_retry", |b| {
        b.iter_custom(|iters| {
            cpu_time_of(&rt, iters, || {
                support::get_via(&clients.reqwest_retry, &url)
            })
        });
    });
    group.finish();
}

/// The CPU time the runtime's one thread spends on `iters` requests made by
/// `request`: the client's and the server's work, user and kernel, without
/// the time the thread waits for a core that another process holds. On a
/// small shared machine wall time varies more between runs than the
/// middleware costs; the CPU time of the same work does not.
fn cpu_time_of<F, Fut, T>(rt: &tokio::runtime::Runtime, iters: u64, request: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    rt.block_on(async {
        let start = ThreadTime::now();
        for _ in 0..iters {
            black_box(request().await);
        }
        start.elapsed()
    })
}

fn tower_success(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = tower::service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let layered = StaunchLayer::new(HttpPolicy::default()).layer(answer);
    let request = || {
        Request::get("http://127.0.0.1:8080/item")
            .body(Full::new(Bytes::new()))
            .unwrap()
    };

    let mut group = c.benchmark_group("tower_success");
    group.bench_function("bare", |b| {
        b.to_async(&rt).iter(|| answer.oneshot(request()));
    });
    group.bench_function("staunch", |b| {
        b.to_async(&rt).iter(|| layered.clone().oneshot(request()));
    });
    group.finish();
}

criterion_group!(benches, reqwest_success, tower_success);
criterion_main!(benches);
