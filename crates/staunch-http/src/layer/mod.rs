//! The `tower` layer for `http::Request` services: [`StaunchLayer`],
//! [`Staunch`], [`ResponseFuture`].

mod body;
mod future;
mod service;
mod transport;

use std::sync::Arc;

use tower_layer::Layer;

use crate::HttpPolicy;
pub use body::ReplayBody;
pub use future::ResponseFuture;
pub use service::Staunch;

/// Wraps an `http::Request` service (a hyper-util client, an axum or tonic
/// stack) in [`Staunch`]: retries, per-host breakers, budget and metrics
/// under an [`HttpPolicy`].
///
/// ```
/// use bytes::Bytes;
/// use http::{Request, Response, StatusCode};
/// use http_body_util::Full;
/// use staunch::retry::RetryPolicy;
/// use staunch_http::{HttpPolicy, StaunchLayer};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tower::{Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // An upstream that is unavailable once, then fine.
/// let calls = Arc::new(AtomicU32::new(0));
/// let seen = Arc::clone(&calls);
/// let upstream = tower::service_fn(move |_req: Request<Full<Bytes>>| {
///     let status = match seen.fetch_add(1, Ordering::Relaxed) {
///         0 => StatusCode::SERVICE_UNAVAILABLE,
///         _ => StatusCode::OK,
///     };
///     let mut response = Response::new(Full::new(Bytes::new()));
///     *response.status_mut() = status;
///     async move { Ok::<_, std::convert::Infallible>(response) }
/// });
/// let policy = HttpPolicy::builder()
///     .with_retry(RetryPolicy::builder().with_base_delay(Duration::from_millis(100)).build())
///     .build();
/// let service = StaunchLayer::new(policy).layer(upstream);
///
/// let request = Request::get("http://api.test/items").body(Full::new(Bytes::new())).unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(calls.load(Ordering::Relaxed), 2);
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaunchLayer {
    policy: Arc<HttpPolicy>,
}

impl StaunchLayer {
    /// A layer applying `policy`.
    pub fn new(policy: HttpPolicy) -> Self {
        Self::shared(Arc::new(policy))
    }

    /// A layer applying a policy shared with other layers or clients.
    pub fn shared(policy: Arc<HttpPolicy>) -> Self {
        Self { policy }
    }

    /// The policy.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for StaunchLayer {
    type Service = Staunch<S>;

    fn layer(&self, inner: S) -> Staunch<S> {
        Staunch::shared(inner, Arc::clone(&self.policy))
    }
}
