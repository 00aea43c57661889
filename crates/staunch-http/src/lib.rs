//! # staunch-http
//!
//! HTTP semantics for the [`staunch`] engine, and two ways to use them: a
//! `reqwest-middleware` middleware ([`StaunchMiddleware`], feature
//! `reqwest`) and a `tower` layer for `http::Request` services
//! ([`StaunchLayer`], feature `tower`). Both are on by default.
//!
//! The model, in one paragraph: an [`HttpPolicy`] holds the engine's
//! [`RetryPolicy`](staunch::retry::RetryPolicy) (attempts, backoff, jitter,
//! deadline, attempt timeout, `Retry-After` cap), an [`HttpClassifier`]
//! (which statuses and failures retry, and, separately, which count against
//! a circuit breaker), a breaker per `scheme://host:port`, an optional
//! [`RetryBudget`](staunch::budget::RetryBudget) and an optional
//! [`MetricsSink`](staunch::metrics::MetricsSink). Each call is driven by the
//! engine's sans-IO [`RetryRun`](staunch::retry::RetryRun); the HTTP rules
//! decide what may be sent again: idempotent methods, or POST/PATCH with an
//! opt-in ([`RequestOptions`]) or an `Idempotency-Key`, or any request when
//! the failure proves nothing was sent ([`RetrySafety`]); and only bodies
//! that are buffered within `max_replay_body`. Once a response head is
//! handed over, nothing is retried. Every attempt is reported to the sink
//! (status or error kind, latency, delay before it) and logged in a
//! `tracing` span per call.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn run() -> Result<(), reqwest_middleware::Error> {
//! use reqwest_middleware::ClientBuilder;
//! use staunch::retry::RetryPolicy;
//! use staunch_http::{HttpPolicy, StaunchMiddleware};
//! use std::time::Duration;
//!
//! let policy = HttpPolicy::builder()
//!     .with_retry(
//!         RetryPolicy::builder()
//!             .with_max_attempts(3)
//!             .with_attempt_timeout(Duration::from_secs(5))
//!             .build(),
//!     )
//!     .build();
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(StaunchMiddleware::new(policy))
//!     .build();
//! let body = client.get("http://127.0.0.1:8080/items").send().await?.text().await?;
//! # let _ = body;
//! # Ok(()) }
//! ```
//!
//! With a pool of base URLs ([`HttpPolicyBuilder::with_pool`], addresses
//! are [`BaseUrl`]s) each attempt goes to a base chosen by the engine's
//! failover: breakers are kept per endpoint id, a retry never goes back to
//! a base that failed the call while another is available, and when every
//! base's breaker is open the call fails at once with
//! [`StopReason::AllUnavailable`](staunch::retry::StopReason). Without a
//! pool every attempt goes to the request's own URL.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod base_url;
#[cfg(any(feature = "reqwest", feature = "tower"))]
mod call;
mod classify;
mod error;
mod idempotency;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "reqwest")]
mod middleware;
mod options;
mod policy;
mod retry_after;

pub use base_url::BaseUrl;
pub use classify::{Classification, ErrorKind, ErrorKinds, HttpClassifier, StatusSet};
pub use error::{BoxError, Error};
pub use idempotency::{is_idempotent, RetrySafety, IDEMPOTENCY_KEY};
#[cfg(feature = "tower")]
pub use layer::{ReplayBody, ResponseFuture, Staunch, StaunchLayer};
#[cfg(feature = "reqwest")]
pub use middleware::{staunch_error, StaunchMiddleware};
pub use options::RequestOptions;
pub use policy::{HttpPolicy, HttpPolicyBuilder, DEFAULT_MAX_REPLAY_BODY};
pub use retry_after::{parse_retry_after, retry_after, MAX_RETRY_AFTER_HINT};
