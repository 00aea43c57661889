//! The multi-provider uploader seed: files go to the first provider that
//! takes them; the providers are a pool of base URLs with failover, each
//! has one circuit breaker shared by every uploader task, the configuration
//! comes from the environment, and bookkeeping happens only after a
//! provider confirmed the upload.
//!
//! ```text
//! cargo run --example uploader_http -p staunch-http
//! RETRY_MAX_ATTEMPTS=2 CIRCUIT_BREAKER_TIMEOUT=5 cargo run --example uploader_http -p staunch-http
//! ```
//!
//! Three local providers play the part: `alpha` is down (503 to
//! everything), `beta` drops a connection now and then and goes down for
//! good after its 12th request, `gamma` is healthy. A failed attempt is
//! retried on a provider not yet tried by that upload (an upload has at
//! least one attempt per provider); `alpha`'s breaker
//! opens after its first failures and from then on attempts skip it, as
//! they skip `beta` once its breaker opens too.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{serve, Hit, Reply};
use http::Method;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use staunch::breaker::{BreakerConfig, BreakerRegistry};
use staunch::config::{ProcessEnv, RetryConfig};
use staunch::pool::{Endpoint, Pool, RoundRobin};
use staunch_http::{staunch_error, BaseUrl, HttpPolicy, StaunchMiddleware};

/// A provider that stores uploads; `fail(n)` decides the fate of its n-th
/// request.
fn provider(
    stored: Arc<Mutex<HashMap<String, usize>>>,
    fail: fn(u64) -> Option<Reply>,
) -> impl Fn(Hit) -> Reply + Send + Sync + 'static {
    move |hit: Hit| {
        if let Some(reply) = fail(hit.number) {
            return reply;
        }
        if hit.method != Method::PUT {
            return Reply::status(405);
        }
        let etag = format!(
            "\"{:x}-{}\"",
            hit.body.iter().map(|&b| u64::from(b)).sum::<u64>(),
            hit.body.len()
        );
        stored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hit.path, hit.body.len());
        Reply::Answer(201, vec![("etag", etag)], "stored".into())
    }
}

/// One upload that a provider confirmed.
#[derive(Debug)]
struct Entry {
    file: String,
    provider: String,
    etag: String,
}

/// Uploads `file` to the provider pool: the failover sends each attempt to
/// a provider whose breaker admits it, never twice to one that failed this
/// upload while another is left.
async fn upload(
    client: &ClientWithMiddleware,
    pool: &Pool<BaseUrl>,
    file: &str,
    body: Vec<u8>,
) -> Result<Entry, String> {
    let result = client
        .put(format!("http://providers/upload/{file}"))
        .body(body)
        .send()
        .await;
    match result {
        Ok(response) if response.status().is_success() => {
            // The response's URL names the provider that took the upload.
            let url = response.url();
            let provider = pool
                .entries()
                .iter()
                .find(|e| {
                    let base = e.address();
                    url.host_str() == Some(base.host()) && url.port() == base.port()
                })
                .map(|e| e.id().to_owned())
                .ok_or_else(|| format!("{url} is no provider of the pool"))?;
            let etag = response
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            Ok(Entry {
                file: file.to_owned(),
                provider,
                etag,
            })
        }
        Ok(response) => Err(format!("last provider answered {}", response.status())),
        Err(e) => match staunch_error(&e) {
            Some(stop) => Err(format!("{stop} ({})", stop.advice())),
            None => Err(e.to_string()),
        },
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Defaults fit for a quick run; the documented variables override them.
    let mut retry = RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_millis(50),
        ..RetryConfig::default()
    };
    retry.apply_env(&ProcessEnv)?;
    let mut breaker = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(2);
    breaker.apply_env(&ProcessEnv)?;

    let stores: Vec<Arc<Mutex<HashMap<String, usize>>>> = (0..3).map(|_| Arc::default()).collect();
    let alpha = serve(provider(stores[0].clone(), |_| Some(Reply::status(503)))).await;
    // beta drops a connection now and then, and every one after its 12th.
    let beta = serve(provider(stores[1].clone(), |n| {
        (n % 4 == 0 || n > 12).then_some(Reply::Reset)
    }))
    .await;
    let gamma = serve(provider(stores[2].clone(), |_| None)).await;
    let names = ["alpha", "beta", "gamma"];
    let pool = Arc::new(Pool::new([
        Endpoint::new(names[0], BaseUrl::parse(&format!("http://{alpha}"))?),
        Endpoint::new(names[1], BaseUrl::parse(&format!("http://{beta}"))?),
        Endpoint::new(names[2], BaseUrl::parse(&format!("http://{gamma}"))?),
    ])?);

    // One breaker per provider (keyed by endpoint id), shared by every task.
    let breakers = BreakerRegistry::<String>::new(breaker)?;
    // Each attempt goes to one provider: every upload may try each of them.
    retry.max_attempts = retry.max_attempts.max(names.len() as u32);
    let policy = HttpPolicy::builder()
        .with_retry(retry.to_policy())
        .with_breakers(breakers.clone())
        .with_pool(Arc::clone(&pool))
        .with_pool_strategy(RoundRobin::new())
        .build();
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(StaunchMiddleware::new(policy))
        .build();

    let queue: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(
        (1..=12).rev().map(|i| format!("report-{i}.csv")).collect(),
    ));
    let ledger: Arc<Mutex<Vec<Entry>>> = Arc::default();
    let mut workers = Vec::new();
    for worker in 1..=3 {
        let (client, pool, queue, ledger) = (
            client.clone(),
            Arc::clone(&pool),
            queue.clone(),
            ledger.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut failures = 0;
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(file) = next else { break };
                let body = format!("id,value\n{file},{}\n", file.len()).into_bytes();
                match upload(&client, &pool, &file, body).await {
                    Ok(entry) => {
                        println!(
                            "worker {worker}: {file} -> {} {}",
                            entry.provider, entry.etag
                        );
                        // Bookkeeping only once a provider confirmed it.
                        ledger.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
                    }
                    Err(why) => {
                        println!("worker {worker}: {file} not uploaded: {why}");
                        failures += 1;
                    }
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for worker in workers {
        failures += worker.await?;
    }

    let ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
    println!("\nledger: {} uploads", ledger.len());
    for entry in ledger.iter() {
        let index = names
            .iter()
            .position(|name| *name == entry.provider)
            .ok_or("unknown provider")?;
        let held = stores[index].lock().unwrap_or_else(|e| e.into_inner());
        if !held.contains_key(&format!("/upload/{}", entry.file)) {
            return Err(format!(
                "{} is in the ledger but not at {}",
                entry.file, entry.provider
            )
            .into());
        }
    }
    for stats in pool.stats() {
        let state = breakers.find(&stats.id).map(|b| b.state());
        println!(
            "{:<5} breaker {:<9} {} ok, {} failed{}",
            stats.id,
            state.map_or("unused".to_owned(), |s| s.to_string()),
            stats.total_successes,
            stats.total_failures,
            stats
                .last_error
                .map(|e| format!(", last error: {}", e.message))
                .unwrap_or_default()
        );
    }
    if failures > 0 {
        return Err(format!("{failures} files were not uploaded").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
