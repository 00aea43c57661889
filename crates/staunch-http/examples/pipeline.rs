//! The pipeline seed: each record is stored in an S3-like object store
//! (PUT, then GET to verify) and sent to a processing API, every step with
//! retries, behind one circuit breaker per service so that an outage does
//! not cascade, and with structured logs.
//!
//! ```text
//! cargo run --example pipeline -p staunch-http
//! RUST_LOG=staunch_http=debug cargo run --example pipeline -p staunch-http
//! RETRY_MAX_ATTEMPTS=5 CIRCUIT_BREAKER_TIMEOUT=5 cargo run --example pipeline -p staunch-http
//! ```
//!
//! Local servers play the services: the store fails some requests (503, a
//! dropped connection), the processing API fails its first call with 500,
//! and an enrichment service is down from the start: its breaker opens
//! after three failures and the later records skip it at once.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Mutex;

use bytes::Bytes;
use common::{serve, Hit, Reply};
use http::Method;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use staunch::config::{ProcessEnv, StaunchConfig};
use staunch_http::{staunch_error, HttpPolicy, StaunchMiddleware};
use tracing::{error, info, warn};

/// The object store: PUT keeps the body, GET returns it. Every fourth
/// request gets a 503, every seventh loses its connection.
fn object_store() -> impl Fn(Hit) -> Reply + Send + Sync + 'static {
    let objects: Mutex<HashMap<String, Bytes>> = Mutex::default();
    move |hit: Hit| {
        if hit.number % 4 == 0 {
            return Reply::Answer(503, vec![("retry-after", "0".into())], "busy".into());
        }
        if hit.number % 7 == 0 {
            return Reply::Reset;
        }
        let mut objects = objects.lock().unwrap_or_else(|e| e.into_inner());
        match hit.method {
            Method::PUT => {
                objects.insert(hit.path, hit.body);
                Reply::status(200)
            }
            Method::GET => match objects.get(&hit.path) {
                Some(body) => Reply::Answer(200, Vec::new(), body.clone()),
                None => Reply::status(404),
            },
            _ => Reply::status(405),
        }
    }
}

/// The processing API: the first call fails with 500.
fn processing_api() -> impl Fn(Hit) -> Reply + Send + Sync + 'static {
    move |hit: Hit| {
        if hit.number == 1 {
            return Reply::status(500);
        }
        let key = hit
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        Reply::Answer(
            200,
            Vec::new(),
            format!("{{\"processed\":\"{key}\"}}").into(),
        )
    }
}

/// One record through the three steps.
async fn process(
    client: &ClientWithMiddleware,
    urls: &Urls,
    id: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let payload = format!("{{\"record\":{id},\"value\":{}}}", id * 17);
    let object = format!("{}/bucket/record-{id}.json", urls.store);

    let put = client.put(&object).body(payload.clone()).send().await?;
    if !put.status().is_success() {
        return Err(format!("store PUT answered {}", put.status()).into());
    }
    let stored = client.get(&object).send().await?.bytes().await?;
    if stored != payload.as_bytes() {
        return Err("store GET returned other bytes".into());
    }
    info!(record = id, bytes = stored.len(), "stored and verified");

    // Optional step: skipped when its service is down.
    match client
        .get(format!("{}/enrich/{id}", urls.enrich))
        .send()
        .await
    {
        Ok(response) => info!(record = id, status = %response.status(), "enriched"),
        Err(e) => match staunch_error(&e) {
            Some(stop) if stop.is_circuit_open() => {
                warn!(record = id, reason = %stop, "enrichment skipped, breaker open");
            }
            _ => warn!(record = id, error = %e, "enrichment failed, continuing"),
        },
    }

    // POST with an Idempotency-Key: safe to retry.
    let processed = client
        .post(format!("{}/process", urls.api))
        .header("idempotency-key", format!("record-{id}"))
        .body(payload)
        .send()
        .await?;
    info!(record = id, status = %processed.status(), body = %processed.text().await?, "processed");
    Ok(())
}

/// Three attempts 20 ms apart, 2 s per attempt; a step's breaker opens after
/// three consecutive failures and stays open for 30 s.
const PIPELINE_CONFIG: &str = r#"
[retry]
max_attempts = 3
base_delay = "20ms"
attempt_timeout = "2s"

[circuit_breaker]
failure_threshold = false
consecutive_failures = 3
open_duration = "30s"
"#;

struct Urls {
    store: String,
    api: String,
    enrich: String,
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let enrich_addr = {
        // Bound then released: connections to it are refused.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        listener.local_addr()?
    };
    let urls = Urls {
        store: format!("http://{}", serve(object_store()).await),
        api: format!("http://{}", serve(processing_api()).await),
        enrich: format!("http://{enrich_addr}"),
    };
    // The pipeline's settings: its own defaults in TOML, then any `RETRY_*`
    // or `CIRCUIT_BREAKER_*` environment variable (e.g. RETRY_MAX_ATTEMPTS=5).
    let mut config = StaunchConfig::from_toml_str(PIPELINE_CONFIG)?;
    config.apply_env(&ProcessEnv)?;
    let policy = HttpPolicy::builder().with_config(&config)?.build();
    let breakers = policy
        .breakers()
        .cloned()
        .ok_or("the config has breakers")?;
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(StaunchMiddleware::new(policy))
        .build();

    let mut failed = 0;
    for id in 1..=5 {
        if let Err(e) = process(&client, &urls, id).await {
            error!(record = id, error = %e, "record failed");
            failed += 1;
        }
    }
    let mut snapshots = breakers.snapshots();
    snapshots.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, snapshot) in snapshots {
        info!(breaker = %key, state = %snapshot.state, "breaker state");
    }
    if failed > 0 {
        return Err(format!("{failed} records failed").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,staunch_http=info".into()),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = %e, "pipeline failed");
            ExitCode::FAILURE
        }
    }
}
