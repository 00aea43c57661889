//! Clients for the reqwest-middleware tests.

use std::sync::Arc;
use std::time::Duration;

use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use staunch::retry::RetryPolicy;
use staunch_http::{HttpPolicy, StaunchMiddleware};

use super::Recorder;

pub const BASE: Duration = Duration::from_millis(100);

pub fn retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_base_delay(BASE)
        .build()
}

pub fn client(policy: HttpPolicy) -> ClientWithMiddleware {
    let inner = reqwest::Client::builder().no_proxy().build().unwrap();
    ClientBuilder::new(inner)
        .with(StaunchMiddleware::new(policy))
        .build()
}

/// A client on `retry` that records to a fresh [`Recorder`].
pub fn recorded(retry: RetryPolicy) -> (ClientWithMiddleware, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let policy = HttpPolicy::builder()
        .with_retry(retry)
        .with_metrics(recorder.clone())
        .build();
    (client(policy), recorder)
}
