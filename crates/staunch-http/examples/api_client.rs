//! The API-client seed: retry 429, 5xx and network errors with exponential
//! backoff (3 attempts, 1 s then 2 s, ±20 % jitter), honour `Retry-After`,
//! never retry other 4xx, respect an overall timeout.
//!
//! A local flaky API is started first, so the example runs anywhere:
//!
//! ```text
//! cargo run --example api_client -p staunch-http -- [--scale 0.01]
//! ```
//!
//! `--scale` multiplies the backoff delays (default 0.01: 10 ms, 20 ms), so
//! it runs in a couple of seconds; `--scale 1` shows the real schedule. The
//! `Retry-After: 1` the server sends is honoured in real seconds.

mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use common::{serve, Hit, Reply};
use reqwest_middleware::ClientBuilder;
use staunch::backoff::{Jitter, Schedule};
use staunch::metrics::{AttemptRecord, MetricsSink};
use staunch::retry::RetryPolicy;
use staunch_http::{staunch_error, HttpPolicy, StaunchMiddleware};

/// Prints each attempt as the middleware reports it.
struct PrintAttempts;

impl MetricsSink for PrintAttempts {
    fn record_attempt(&self, r: &AttemptRecord) {
        let what = match (r.status, r.error_kind) {
            (Some(status), _) => status.to_string(),
            (None, Some(kind)) => kind.to_owned(),
            (None, None) => r.outcome.as_str().to_owned(),
        };
        println!(
            "    attempt {} after {:>7.1} ms: {what:<5} ({})",
            r.attempt,
            r.delay_before.as_secs_f64() * 1e3,
            r.outcome.as_str()
        );
    }
}

/// The flaky API: `/orders` fails twice with 503, `/quota` answers 429 with
/// `Retry-After: 1` once, `/missing` is 404, `/down` is always 503.
fn flaky_api() -> impl Fn(Hit) -> Reply + Send + Sync + 'static {
    let orders = std::sync::atomic::AtomicU32::new(0);
    let quota = std::sync::atomic::AtomicU32::new(0);
    move |hit: Hit| {
        let bump = |c: &std::sync::atomic::AtomicU32| {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
        };
        match hit.path.as_str() {
            "/orders" if bump(&orders) <= 2 => Reply::status(503),
            "/quota" if bump(&quota) == 1 => {
                Reply::Answer(429, vec![("retry-after", "1".into())], "slow down".into())
            }
            "/missing" => Reply::status(404),
            "/down" => Reply::status(503),
            _ => Reply::status(200),
        }
    }
}

fn parse_scale(args: &[String]) -> Result<f64, String> {
    match args {
        [] => Ok(0.01),
        [flag, value] if flag == "--scale" => match value.parse::<f64>() {
            Ok(scale) if scale.is_finite() && scale > 0.0 && scale <= 10.0 => Ok(scale),
            _ => Err(format!(
                "invalid value for `--scale`: {value:?} (allowed: a number above 0, at most 10)"
            )),
        },
        _ => Err("usage: api_client [--scale FACTOR]".to_owned()),
    }
}

async fn run(scale: f64) -> Result<(), Box<dyn std::error::Error>> {
    let api = serve(flaky_api()).await;
    let base = Duration::from_secs_f64(scale);
    let retry = RetryPolicy::builder()
        .with_max_attempts(3)
        .with_schedule(Schedule::exponential(base, 2.0))
        .with_jitter(Jitter::Proportional(0.2))
        .with_deadline(Duration::from_secs(10))
        .build();
    println!("API at http://{api}; backoff {base:?} x 2 per retry, +-20 % jitter, 3 attempts, 10 s overall");
    let policy = HttpPolicy::builder()
        .with_retry(retry)
        .with_metrics(Arc::new(PrintAttempts))
        .build();
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(StaunchMiddleware::new(policy))
        .build();

    for path in ["/orders", "/quota", "/missing", "/down"] {
        println!("GET {path}");
        match client.get(format!("http://{api}{path}")).send().await {
            Ok(response) => println!("  -> {}", response.status()),
            Err(error) => match staunch_error(&error) {
                Some(gave_up) => println!("  -> gave up: {gave_up} ({})", gave_up.advice()),
                None => println!("  -> failed: {error}"),
            },
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scale = match parse_scale(&args) {
        Ok(scale) => scale,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(scale).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
