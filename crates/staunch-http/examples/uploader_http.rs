//! The multi-provider uploader seed: files go to the first provider that
//! takes them; each provider has one circuit breaker shared by every
//! uploader task, retries run around it, the configuration comes from the
//! environment, and bookkeeping happens only after a provider confirmed the
//! upload.
//!
//! ```text
//! cargo run --example uploader_http -p staunch-http
//! RETRY_MAX_ATTEMPTS=2 CIRCUIT_BREAKER_TIMEOUT=5 cargo run --example uploader_http -p staunch-http
//! ```
//!
//! Three local providers play the part: `alpha` is down (503 to
//! everything), `beta` drops a connection now and then and goes down for
//! good after its 12th request, `gamma` is healthy. `alpha`'s breaker opens
//! after its first failures; from then on uploads skip it at once and fail
//! over to `beta`, and to `gamma` once `beta`'s breaker opens too.

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
use staunch_http::{staunch_error, HttpPolicy, StaunchMiddleware};

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
    provider: &'static str,
    etag: String,
    /// What the providers before it said.
    passed_over: Vec<String>,
}

/// Uploads `file` to the first provider that takes it.
async fn upload(
    client: &ClientWithMiddleware,
    providers: &[(&'static str, String)],
    file: &str,
    body: Vec<u8>,
) -> Result<Entry, String> {
    let mut tried = Vec::new();
    for (name, base) in providers {
        let result = client
            .put(format!("{base}/upload/{file}"))
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => {
                let etag = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                return Ok(Entry {
                    file: file.to_owned(),
                    provider: name,
                    etag,
                    passed_over: tried,
                });
            }
            Ok(response) => tried.push(format!("{name}: {}", response.status())),
            Err(e) => match staunch_error(&e) {
                Some(stop) if stop.attempts() == 0 => {
                    tried.push(format!("{name}: skipped, {}", stop.reason()))
                }
                Some(stop) => tried.push(format!(
                    "{name}: {}, {:?}",
                    stop.reason(),
                    stop.error_kind()
                )),
                None => tried.push(format!("{name}: {e}")),
            },
        }
    }
    Err(format!("every provider failed: {}", tried.join("; ")))
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
    let providers: Arc<[(&'static str, String)]> = Arc::new([
        ("alpha", format!("http://{alpha}")),
        ("beta", format!("http://{beta}")),
        ("gamma", format!("http://{gamma}")),
    ]);

    let breakers = BreakerRegistry::<String>::new(breaker)?;
    let policy = HttpPolicy::builder()
        .with_retry(retry.to_policy())
        .with_breakers(breakers.clone())
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
        let (client, providers, queue, ledger) = (
            client.clone(),
            providers.clone(),
            queue.clone(),
            ledger.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut failures = 0;
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(file) = next else { break };
                let body = format!("id,value\n{file},{}\n", file.len()).into_bytes();
                match upload(&client, &providers, &file, body).await {
                    Ok(entry) => {
                        println!(
                            "worker {worker}: {file} -> {} {} [{}]",
                            entry.provider,
                            entry.etag,
                            entry.passed_over.join("; ")
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
        let (index, _) = providers
            .iter()
            .enumerate()
            .find(|(_, (name, _))| *name == entry.provider)
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
    for (name, base) in providers.iter() {
        let state = breakers.find(base.as_str()).map(|b| b.state());
        println!(
            "breaker {name:<5} {}",
            state.map_or("unused".to_owned(), |s| s.to_string())
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
