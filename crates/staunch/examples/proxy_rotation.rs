//! A rotating-proxy client, in process.
//!
//! Ten simulated upstream proxies in three regions (some healthy, some
//! flaky, two dead, one slow, and the best one down for a while in the
//! middle of the run) serve calls from four worker threads. Each
//! call runs under a retry policy over a [`Failover`]: performance-score
//! selection with region affinity, one circuit breaker per proxy, a retry
//! budget, and a 24 h metrics store. The run prints the first selections
//! and failovers, every breaker opening and closing, then the store's 24 h
//! summary, per-proxy figures and a few Prometheus lines. It takes about a
//! second.
//!
//! ```text
//! cargo run --example proxy_rotation -p staunch
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::breaker::{BreakerConfig, BreakerRegistry, Transition};
use staunch::budget::RetryBudget;
use staunch::metrics::{encode_prometheus, MetricsConfig, MetricsStore};
use staunch::pool::{Endpoint, Failover, PerformanceScore, Pool, RegionAffinity, Target};
use staunch::retry::RetryPolicy;

const WORKERS: u64 = 4;
const CALLS_PER_WORKER: usize = 150;
/// Call lines printed before the output only shows failovers.
const SHOWN_CALLS: usize = 8;
/// Failover lines printed at most.
const SHOWN_FAILOVERS: usize = 20;

/// The calls (by number) during which `eu-1` is down.
const OUTAGE: std::ops::Range<usize> = 150..330;

/// How a simulated proxy behaves.
#[derive(Debug, Clone)]
struct Proxy {
    failure_rate: f64,
    latency_ms: u64,
    /// Calls during which it refuses every connection.
    outage: Option<std::ops::Range<usize>>,
}

fn proxies() -> Vec<Endpoint<Proxy>> {
    let proxy = |id: &str, region: &str, failure_rate: f64, latency_ms: u64| {
        let outage = (id == "eu-1").then_some(OUTAGE);
        Endpoint::new(
            id,
            Proxy {
                failure_rate,
                latency_ms,
                outage,
            },
        )
        .with_tag("region", region)
    };
    vec![
        proxy("eu-1", "eu", 0.02, 3),
        proxy("eu-2", "eu", 0.35, 2),
        proxy("eu-3", "eu", 1.0, 1),
        proxy("us-1", "us", 0.05, 4),
        proxy("us-2", "us", 0.5, 3),
        proxy("us-3", "us", 0.03, 25),
        proxy("us-4", "us", 1.0, 1),
        proxy("ap-1", "ap", 0.1, 5),
        proxy("ap-2", "ap", 0.4, 2),
        proxy("ap-3", "ap", 0.04, 6),
    ]
}

/// Sends call `number` through `target`: sleeps its latency, then answers
/// like it would.
fn request(target: &Target<Proxy>, number: usize, rng: &mut SmallRng) -> Result<u16, String> {
    let proxy = target.address();
    thread::sleep(Duration::from_millis(proxy.latency_ms));
    if proxy
        .outage
        .as_ref()
        .is_some_and(|outage| outage.contains(&number))
    {
        return Err("connection refused".to_owned());
    }
    if rng.random::<f64>() < proxy.failure_rate {
        Err(if proxy.failure_rate >= 1.0 {
            "connection refused".to_owned()
        } else {
            "502 Bad Gateway".to_owned()
        })
    } else {
        Ok(200)
    }
}

struct Shared {
    failover: Failover<Proxy>,
    policy: RetryPolicy,
    calls: AtomicUsize,
    failovers: AtomicUsize,
}

/// One worker's calls; returns how many succeeded.
fn worker(shared: &Shared, index: u64) -> usize {
    let mut rng = SmallRng::seed_from_u64(index);
    let mut succeeded = 0;
    for _ in 0..CALLS_PER_WORKER {
        let number = shared.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let mut path = Vec::new();
        let result = shared
            .failover
            .call(&shared.policy, |target| {
                let answer = request(&target, number, &mut rng);
                path.push(match &answer {
                    Ok(status) => format!("{} {status}", target.id()),
                    Err(error) => format!("{} ({error})", target.id()),
                });
                answer
            })
            .run();
        succeeded += usize::from(result.is_ok());
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(error) => format!("gave up: {}", error.reason()),
        };
        if path.len() > 1 {
            let shown = shared.failovers.fetch_add(1, Ordering::Relaxed);
            if shown < SHOWN_FAILOVERS {
                println!(
                    "call {number:>3} (worker {index}): {} -> {outcome}",
                    path.join(" -> ")
                );
            }
        } else if number <= SHOWN_CALLS {
            let tried = path.first().map_or("no proxy available", String::as_str);
            println!("call {number:>3} (worker {index}): {tried} -> {outcome}");
        }
    }
    succeeded
}

fn report(store: &MetricsStore, failover: &Failover<Proxy>, budget: &RetryBudget) {
    let summary = store.summary();
    let totals = &summary.totals;
    println!("\n== last {} h ==", summary.retention_hours);
    println!(
        "calls {} (ok {}, exhausted {}, unavailable {}, budget {}), attempts {}, retries {}",
        totals.calls,
        totals.calls_by_outcome.success,
        totals.calls_by_outcome.exhausted,
        totals.calls_by_outcome.unavailable,
        totals.calls_by_outcome.budget_exhausted,
        totals.attempts,
        totals.retries,
    );
    println!(
        "successes by attempt: 1st {}, 2nd {}, 3rd {}, 4th {}; breaker events {}",
        totals.successes_by_attempt.at(1),
        totals.successes_by_attempt.at(2),
        totals.successes_by_attempt.at(3),
        totals.successes_by_attempt.at(4),
        summary.breaker_events,
    );
    let budget = budget.stats();
    println!(
        "retry budget: {} calls deposited, {} retries allowed, {} refused",
        budget.deposited, budget.withdrawn, budget.denied
    );

    println!(
        "\n{:<8} {:>8} {:>9} {:>8} {:>8} {:>9}  breaker",
        "proxy", "attempts", "successes", "failures", "avg ms", "ewma ms"
    );
    let Ok(breakdown) = store.by_endpoint(24) else {
        return;
    };
    for row in &breakdown.endpoints {
        let Some(entry) = failover.pool().get(&row.endpoint) else {
            continue;
        };
        let ewma = entry
            .stats()
            .ewma_latency()
            .map_or(0.0, |d| d.as_secs_f64() * 1e3);
        let state = failover
            .registry()
            .snapshot(row.endpoint.as_str())
            .map_or_else(|| "closed".to_owned(), |s| s.state.to_string());
        println!(
            "{:<8} {:>8} {:>9} {:>8} {:>8.1} {:>9.1}  {state}",
            row.endpoint,
            row.totals.attempts,
            row.totals.successes,
            row.totals.failures,
            row.totals.latency.avg_ms.unwrap_or(0.0),
            ewma,
        );
    }

    let breakers = failover
        .registry()
        .snapshots()
        .into_iter()
        .map(|(key, snapshot)| (key, snapshot.state));
    let text = encode_prometheus(store, Some(budget_ref(failover)), breakers);
    println!("\n== Prometheus (excerpt) ==");
    let attempts = text
        .lines()
        .filter(|line| line.starts_with("staunch_attempts_total") && !line.ends_with(" 0"))
        .take(6);
    let budget = text
        .lines()
        .filter(|line| line.starts_with("staunch_budget"));
    attempts.chain(budget).for_each(|line| println!("{line}"));
}

fn budget_ref(failover: &Failover<Proxy>) -> &RetryBudget {
    failover
        .budget()
        .map(Arc::as_ref)
        .expect("the failover was built with a budget")
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MetricsStore::new(MetricsConfig::default())?);
    let breakers = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(3)
        .with_open_duration(Duration::from_millis(250));
    let registry = BreakerRegistry::new(breakers)?;
    let events = Arc::clone(&store);
    registry.add_observer(Arc::new(move |t: &Transition| {
        println!(
            "  [breaker] {}: {} -> {} ({})",
            t.key, t.from, t.to, t.reason
        );
        events.record_transition(t);
    }));
    let budget = Arc::new(RetryBudget::default());
    let failover = Failover::builder(Pool::new(proxies())?, registry)
        .with_strategy(RegionAffinity::new(PerformanceScore::new()))
        .with_budget(Arc::clone(&budget))
        .with_sink(Arc::clone(&store))
        .build()?;
    let policy = RetryPolicy::builder()
        .with_max_attempts(4)
        .with_base_delay(Duration::from_millis(20))
        .with_deadline(Duration::from_secs(2))
        .build();
    let shared = Shared {
        failover,
        policy,
        calls: AtomicUsize::new(0),
        failovers: AtomicUsize::new(0),
    };
    println!(
        "{} proxies, {WORKERS} workers x {CALLS_PER_WORKER} calls\n",
        shared.failover.pool().len()
    );
    let succeeded: usize = thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|index| {
                let shared = &shared;
                scope.spawn(move || worker(shared, index))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let total = WORKERS as usize * CALLS_PER_WORKER;
    println!(
        "\n{succeeded} of {total} calls succeeded; {} needed a failover",
        shared.failovers.load(Ordering::Relaxed)
    );
    report(&store, &shared.failover, &budget);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("proxy_rotation: {error}");
            ExitCode::FAILURE
        }
    }
}
