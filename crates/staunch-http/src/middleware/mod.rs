//! The `reqwest-middleware` middleware: [`StaunchMiddleware`].

mod copy;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::call::{boxed_in, execute, Body, Plan, Route};
use crate::{Error, HttpPolicy, RequestOptions};
use transport::NextTransport;

/// Retries, per-host circuit breakers, an optional retry budget and metrics
/// for a `reqwest` client, as a `reqwest-middleware` middleware.
///
/// Every request runs under the [`HttpPolicy`]: its retryable answers and
/// failures are retried with the policy's backoff (honouring
/// `Retry-After`), as long as the request is safe to repeat (idempotent
/// method, opt-in, `Idempotency-Key`, or nothing was sent) and its body can
/// be replayed (buffered, within `max_replay_body`). Each
/// `scheme://host:port` has its own breaker; with a
/// [pool](crate::HttpPolicyBuilder::with_pool) each attempt goes to one of
/// its base URLs instead, and each base has its own. A response is handed over once
/// its head arrived and the call is done: nothing is retried after that,
/// whatever happens to the body.
///
/// What comes back: the response (a success, a final status, or the last
/// retryable status when retrying stopped); the single attempt's own error
/// as it came; or, when staunch stopped the call (retries exhausted, timeout,
/// deadline, budget, open breaker), a
/// [`reqwest_middleware::Error::Middleware`] holding an [`Error`] (see
/// [`staunch_error`]).
///
/// Per-request overrides go in a [`RequestOptions`] extension.
///
/// ```no_run
/// use reqwest_middleware::ClientBuilder;
/// use staunch_http::{HttpPolicy, RequestOptions, StaunchMiddleware};
///
/// # async fn run() -> Result<(), reqwest_middleware::Error> {
/// let client = ClientBuilder::new(reqwest::Client::new())
///     .with(StaunchMiddleware::new(HttpPolicy::default()))
///     .build();
/// let response = client
///     .post("http://127.0.0.1:8080/orders")
///     .header("Idempotency-Key", "order-42")
///     .body("{\"sku\":1}")
///     .with_extension(RequestOptions::new().with_max_attempts(5))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaunchMiddleware {
    policy: Arc<HttpPolicy>,
}

impl StaunchMiddleware {
    /// A middleware applying `policy`.
    pub fn new(policy: HttpPolicy) -> Self {
        Self::shared(Arc::new(policy))
    }

    /// A middleware applying a policy shared with other clients or layers.
    pub fn shared(policy: Arc<HttpPolicy>) -> Self {
        Self { policy }
    }

    /// The policy.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }
}

/// The future of one call, as `reqwest-middleware` takes it.
type HandleFuture<'a> =
    Pin<Box<dyn Future<Output = reqwest_middleware::Result<Response>> + Send + 'a>>;

// Written out rather than with `#[async_trait]`: the plan is made before
// the call's future, and the future boxed is the engine's own, without a
// wrapper holding a second copy of the request (see `call::execute`).
impl Middleware for StaunchMiddleware {
    fn handle<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        request: Request,
        extensions: &'life1 mut Extensions,
        next: Next<'life2>,
    ) -> HandleFuture<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let policy = &*self.policy;
        let options = extensions.get::<RequestOptions>();
        let body = match request.body() {
            None => Body::Replayable,
            Some(body) => Body::of_len(
                body.as_bytes().map(|bytes| bytes.len() as u64),
                policy.max_replay_body,
            ),
        };
        let url = request.url();
        let plan = Plan::new(
            policy,
            request.method(),
            request.headers(),
            options,
            body,
            |lookup| {
                lookup.of(
                    url.scheme(),
                    url.host_str().unwrap_or(""),
                    url.port_or_known_default(),
                )
            },
        )
        .routed(policy, |pool| {
            Route::new(
                pool,
                url.scheme(),
                url.host_str().unwrap_or(""),
                url.port_or_known_default(),
                url.path(),
                url.query(),
            )
        });
        let span = tracing::info_span!(
            "http_call",
            method = %request.method(),
            host = url.host_str(),
            path = url.path(),
        );
        let transport = NextTransport::new(next, extensions);
        boxed_in!(span, execute(policy, plan, transport, request))
    }
}

/// The staunch [`Error`] inside a `reqwest-middleware` error, when staunch
/// stopped the call (retries exhausted, timeout, deadline, budget, open
/// breaker).
///
/// ```
/// let plain = reqwest_middleware::Error::middleware(std::io::Error::other("x"));
/// assert!(staunch_http::staunch_error(&plain).is_none());
/// ```
pub fn staunch_error(error: &reqwest_middleware::Error) -> Option<&Error> {
    match error {
        reqwest_middleware::Error::Middleware(e) => e.downcast_ref::<Error>(),
        reqwest_middleware::Error::Reqwest(_) => None,
    }
}
