//! What the uploader prints: its settings, then the ledger, the providers
//! and the metrics once every file is done.

use std::path::Path;
use std::sync::atomic::Ordering;

use staunch::config::{format_duration, StaunchConfig};

use crate::Shared;

pub(crate) fn print_settings(path: &Path, config: &StaunchConfig) {
    let (retry, cb, budget) = (&config.retry, config.breaker_config(), &config.budget);
    println!("settings: {} + environment", path.display());
    println!(
        "  retry:   enabled={} max_attempts={} base_delay={} max_delay={}",
        config.enabled && retry.enabled,
        retry.max_attempts,
        format_duration(retry.base_delay),
        format_duration(retry.max_delay)
    );
    println!(
        "  breaker: enabled={} failure_threshold={:?} window={} open_duration={} half_open_max_calls={} success_threshold={}",
        cb.enabled,
        cb.failure_threshold,
        format_duration(cb.window),
        format_duration(cb.open_duration),
        cb.half_open_max_calls,
        cb.success_threshold
    );
    println!(
        "  budget:  ratio={} min_per_sec={}\n",
        budget.ratio, budget.min_per_sec
    );
}

pub(crate) fn print_report(shared: &Shared<'_>) {
    let ledger = shared.ledger.lock().unwrap();
    println!("\nledger ({} files uploaded):", ledger.len());
    for (name, e) in ledger.iter() {
        println!(
            "  {name:<14} {:<6} etag {:<11} attempts {} round {}",
            e.provider, e.etag, e.attempts, e.round
        );
    }
    let given_up = shared.given_up.lock().unwrap();
    if !given_up.is_empty() {
        println!("given up: {}", given_up.join(", "));
    }

    println!("\nproviders:");
    for p in shared.providers {
        let snapshot = shared.registry.snapshot(p.name);
        let state = snapshot.map_or("unused".to_owned(), |s| s.state.to_string());
        let uploads = ledger.values().filter(|e| e.provider == p.name).count();
        println!(
            "  {:<6} breaker {:<9} requests {:>3}  uploads {:>2}  retries allowed {:>2} denied {}",
            p.name,
            state,
            p.requests.load(Ordering::Relaxed),
            uploads,
            p.budget.withdrawn(),
            p.budget.denied()
        );
    }

    let summary = shared.store.summary();
    let t = &summary.totals;
    println!(
        "\nmetrics: {} calls, {} attempts, {} retries; successes at attempt 1/2/3: {}/{}/{}; \
         refused by an open breaker: {}; breaker events: {}",
        t.calls,
        t.attempts,
        t.retries,
        t.successes_by_attempt.at(1),
        t.successes_by_attempt.at(2),
        t.successes_by_attempt.at(3),
        t.failures_by_reason.rejected,
        summary.breaker_events
    );
    println!("finished in {:.2} s", shared.at());
}
