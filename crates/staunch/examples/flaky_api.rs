//! A flaky API, retried with staunch's defaults.
//!
//! An in-process fake API answers from a script (no network): 503s that pass,
//! a 404 that will not, a 429 with `Retry-After`, and an outage that outlasts
//! the retries. Each call runs under the default policy (3 attempts, 1 s then
//! 2 s, hints capped at 60 s). Sleeps are 10 times shorter than the delays
//! shown, so the whole run takes about a second.
//!
//! ```text
//! cargo run --release --example flaky_api -p staunch
//! ```

use std::cell::Cell;
use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use staunch::retry::{RetryPolicy, Verdict};

/// Real sleeps are this many times shorter than the policy's delays.
const TIME_SCALE: u32 = 10;

/// What the fake API answers.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Ok(&'static str),
    Unavailable,
    RateLimited { retry_after_secs: u64 },
    NotFound,
}

/// An error from the fake API.
#[derive(Debug)]
enum ApiError {
    Unavailable,
    RateLimited { retry_after: Duration },
    NotFound,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable => f.write_str("503 Service Unavailable"),
            Self::RateLimited { retry_after } => {
                write!(
                    f,
                    "429 Too Many Requests (Retry-After: {}s)",
                    retry_after.as_secs()
                )
            }
            Self::NotFound => f.write_str("404 Not Found"),
        }
    }
}

/// One endpoint of the fake API, answering its script in order (the last
/// reply repeats).
struct Endpoint {
    path: &'static str,
    script: &'static [Reply],
    calls: Cell<usize>,
}

impl Endpoint {
    fn get(&self) -> Result<&'static str, ApiError> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        match self.script[n.min(self.script.len() - 1)] {
            Reply::Ok(body) => Ok(body),
            Reply::Unavailable => Err(ApiError::Unavailable),
            Reply::RateLimited { retry_after_secs } => Err(ApiError::RateLimited {
                retry_after: Duration::from_secs(retry_after_secs),
            }),
            Reply::NotFound => Err(ApiError::NotFound),
        }
    }
}

/// 503 and 429 are worth retrying (429 not before its hint); 404 is final.
fn classify(outcome: &Result<&'static str, ApiError>) -> Verdict {
    match outcome {
        Ok(_) => Verdict::Success,
        Err(ApiError::Unavailable) => Verdict::RETRY,
        Err(ApiError::RateLimited { retry_after }) => Verdict::retry_after(*retry_after),
        Err(ApiError::NotFound) => Verdict::Fatal,
    }
}

fn endpoints() -> [Endpoint; 4] {
    let endpoint = |path, script| Endpoint {
        path,
        script,
        calls: Cell::new(0),
    };
    [
        endpoint(
            "/orders",
            &[
                Reply::Unavailable,
                Reply::Unavailable,
                Reply::Ok("[order 17, order 18]"),
            ],
        ),
        endpoint("/users/42", &[Reply::NotFound]),
        endpoint(
            "/reports",
            &[
                Reply::RateLimited {
                    retry_after_secs: 5,
                },
                Reply::Ok("{report: ready}"),
            ],
        ),
        endpoint("/health", &[Reply::Unavailable]),
    ]
}

/// Calls every endpoint under `policy`; returns how many calls failed.
fn run(policy: &RetryPolicy) -> usize {
    let mut failures = 0;
    for endpoint in endpoints() {
        println!("GET {}", endpoint.path);
        let attempt = Cell::new(0);
        let result = policy
            .call(|| {
                attempt.set(attempt.get() + 1);
                let reply = endpoint.get();
                match &reply {
                    Ok(_) => println!("  attempt {}: 200 OK", attempt.get()),
                    Err(e) => println!("  attempt {}: {e}", attempt.get()),
                }
                reply
            })
            .classify(classify)
            .on_retry(|_, delay, _| println!("  waiting {delay:?} before the next attempt"))
            .sleeper(|delay: Duration| std::thread::sleep(delay / TIME_SCALE))
            .run();
        match result {
            Ok(body) => println!("  => success after {} attempt(s): {body}\n", attempt.get()),
            Err(e) => {
                failures += 1;
                println!("  => gave up: {e}\n  ({})\n", e.reason().advice());
            }
        }
    }
    failures
}

fn main() -> ExitCode {
    let policy = RetryPolicy::default();
    println!(
        "policy: {} attempts, {:?}, capped at {:?}; sleeping {TIME_SCALE}x faster\n",
        policy.max_attempts(),
        policy.backoff().schedule(),
        policy.backoff().max_delay(),
    );
    let failures = run(&policy);
    println!("{failures} of 4 calls failed, as scripted");
    if failures == 2 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
