//! Retry budget: one deposit and one withdrawal per iteration, staunch next
//! to tower's `TpsBudget` with the same settings (10 s window, 10 retries a
//! second always allowed, 20 % of requests).

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use staunch::budget::{BudgetConfig, RetryBudget};
use tower::retry::budget::{Budget, TpsBudget};

fn retry_budget(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry_budget");

    let ours = RetryBudget::new(BudgetConfig::default()).expect("default config is valid");
    group.bench_function("staunch", |b| {
        b.iter(|| {
            ours.deposit();
            black_box(ours.try_withdraw())
        })
    });

    let theirs = TpsBudget::new(Duration::from_secs(10), 10, 0.2);
    group.bench_function("tower", |b| {
        b.iter(|| {
            theirs.deposit();
            black_box(theirs.withdraw())
        })
    });

    group.finish();
}

criterion_group!(benches, retry_budget);
criterion_main!(benches);
