//! Blocking retry configured from the environment.
//!
//! Reads the retry policy from the documented variables (try
//! `RETRY_MAX_ATTEMPTS=5 RETRY_BASE_DELAY=0.05`), then retries an operation
//! that fails a few times before it works.
//!
//! ```text
//! RETRY_BASE_DELAY=0.1 cargo run --example blocking_retry -p staunch
//! ```

use std::io;
use std::process::ExitCode;

use staunch::config::{ProcessEnv, StaunchConfig};

/// An operation that fails twice with a transient error, then works.
fn fetch(attempt: u32) -> io::Result<String> {
    if attempt < 3 {
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        ))
    } else {
        Ok(format!("fetched on attempt {attempt}"))
    }
}

fn main() -> ExitCode {
    let config = match StaunchConfig::load(None, &ProcessEnv) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let policy = config.retry_policy();
    let mut attempt = 0;
    let result = policy
        .call(|| {
            attempt += 1;
            fetch(attempt)
        })
        .on_retry(|n, delay, e| println!("attempt {n} failed ({e}); retrying in {delay:?}"))
        .run();
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
