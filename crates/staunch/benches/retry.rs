//! What retrying costs when the operation succeeds at once, next to calling
//! it bare and to backon's documented fast path.
//!
//! ```text
//! cargo bench -p staunch --bench retry
//! ```
//!
//! Each routine returns its result, which criterion passes through
//! `black_box`; nothing else is added around the calls.

// `criterion_group!` generates a public function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io;

use backon::{BlockingRetryable, ExponentialBuilder};
use criterion::{criterion_group, criterion_main, Criterion};
use staunch::retry::RetryPolicy;

/// An operation that succeeds at once.
#[inline(never)]
fn op() -> Result<u64, io::Error> {
    Ok(black_box(42))
}

fn retry_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry_success");
    let policy = RetryPolicy::default();
    group.bench_function("bare", |b| b.iter(op));
    group.bench_function("staunch", |b| b.iter(|| policy.retry(op)));
    group.bench_function("backon", |b| {
        b.iter(|| op.retry(ExponentialBuilder::default()).call())
    });
    group.finish();
}

#[cfg(feature = "tokio")]
fn retry_success_async(c: &mut Criterion) {
    use backon::Retryable;

    /// An async operation that succeeds at once.
    #[inline(never)]
    async fn op_async() -> Result<u64, io::Error> {
        Ok(black_box(42))
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let mut group = c.benchmark_group("retry_success_async");
    let policy = RetryPolicy::default();
    group.bench_function("bare", |b| b.to_async(&runtime).iter(op_async));
    group.bench_function("staunch", |b| {
        b.to_async(&runtime).iter(|| policy.retry_async(op_async))
    });
    group.bench_function("backon", |b| {
        b.to_async(&runtime)
            .iter(|| op_async.retry(ExponentialBuilder::default()))
    });
    group.finish();
}

#[cfg(not(feature = "tokio"))]
fn retry_success_async(_: &mut Criterion) {}

criterion_group!(benches, retry_success, retry_success_async);
criterion_main!(benches);
