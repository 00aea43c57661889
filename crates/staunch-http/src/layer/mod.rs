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
/// use staunch_http::{HttpPolicy, StaunchLayer};
/// use tower_layer::Layer;
///
/// let layer = StaunchLayer::new(HttpPolicy::default());
/// let service = layer.layer(tower_service_fn());
/// # fn tower_service_fn() {}
/// # let _ = service;
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
