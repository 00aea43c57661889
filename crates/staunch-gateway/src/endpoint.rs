//! Endpoints: the places an attempt can go.
//!
//! A backend of a route, an upstream proxy of the forward pool, or "direct"
//! (forward traffic with no upstream proxy configured). Each carries the id
//! that names it in `X-Staunch-Endpoint`, logs and metrics, its weight and
//! tags for the engine's strategies, and the client that reaches it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::uri::Authority;
use http::HeaderValue;
use staunch::metrics::EndpointId;

use crate::client::{proxied_client, DirectClient, ProxiedClient};
use crate::config::{BackendBase, ValidProxy};

/// The id of the endpoint used when forward traffic connects directly.
pub const DIRECT_ENDPOINT_ID: &str = "direct";

/// What kind of place an [`Endpoint`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointKind {
    /// A backend of a reverse-proxy route.
    Backend,
    /// An upstream HTTP proxy.
    UpstreamProxy,
    /// A direct connection to the request's host.
    Direct,
}

/// One place an attempt can go. Cheap to clone.
#[derive(Clone)]
pub struct Endpoint(Arc<Inner>);

// On cache lines of its own, apart from the `Arc`'s counts: every attempt
// clones and drops a handle (writing the counts, from whichever worker
// thread runs it) and reads these fields, which would otherwise be fetched
// again after each write from the other core.
#[repr(align(64))]
struct Inner {
    id: String,
    /// The id as the metrics store shares it: cloned per record without
    /// copying the text.
    metrics_id: EndpointId,
    /// `id` as an `X-Staunch-Endpoint` value, when it is a valid one.
    id_value: Option<HeaderValue>,
    connect_timeout: Duration,
    weight: u32,
    tags: BTreeMap<String, String>,
    via: Via,
}

/// How an endpoint is reached.
pub(crate) enum Via {
    /// Straight to the request's host.
    Direct(DirectClient),
    /// Straight to a backend; the request path is appended to `base.path`.
    Backend {
        base: BackendBase,
        /// `Host` for requests to it: `base.authority`.
        host: HeaderValue,
        client: DirectClient,
    },
    /// Through an upstream proxy.
    Proxy {
        authority: Authority,
        authorization: Option<HeaderValue>,
        client: ProxiedClient,
    },
}

impl Endpoint {
    /// The direct endpoint.
    pub(crate) fn direct(client: DirectClient, connect_timeout: Duration) -> Self {
        Self::new(
            DIRECT_ENDPOINT_ID.to_string(),
            1,
            BTreeMap::new(),
            Via::Direct(client),
            connect_timeout,
        )
    }

    /// A route backend. Its connections are pooled apart from `client`'s:
    /// only its settings are used.
    pub(crate) fn backend(
        id: String,
        weight: u32,
        tags: BTreeMap<String, String>,
        base: BackendBase,
        client: DirectClient,
        connect_timeout: Duration,
    ) -> Self {
        let host = HeaderValue::from_str(base.authority.as_str())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        Self::new(
            id,
            weight,
            tags,
            Via::Backend {
                client: client.for_backend(base.authority.clone()),
                base,
                host,
            },
            connect_timeout,
        )
    }

    /// An upstream proxy, with its own connection pool.
    pub(crate) fn proxy(proxy: &ValidProxy, connect_timeout: Duration) -> Self {
        let client = proxied_client(proxy.authority.clone(), connect_timeout);
        Self::new(
            proxy.id.clone(),
            proxy.weight,
            proxy.tags.clone(),
            Via::Proxy {
                authority: proxy.authority.clone(),
                authorization: proxy.authorization.clone(),
                client,
            },
            connect_timeout,
        )
    }

    fn new(
        id: String,
        weight: u32,
        tags: BTreeMap<String, String>,
        via: Via,
        connect_timeout: Duration,
    ) -> Self {
        Self(Arc::new(Inner {
            metrics_id: EndpointId::from(id.as_str()),
            id_value: HeaderValue::from_str(&id).ok(),
            id,
            connect_timeout,
            weight,
            tags,
            via,
        }))
    }

    /// The configured id (`"direct"` for the direct endpoint).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The id as metrics records carry it.
    pub fn metrics_id(&self) -> &EndpointId {
        &self.0.metrics_id
    }

    /// The id as a header value (`None` when it cannot be one).
    pub(crate) fn id_value(&self) -> Option<&HeaderValue> {
        self.0.id_value.as_ref()
    }

    /// The configured weight.
    pub fn weight(&self) -> u32 {
        self.0.weight
    }

    /// The configured tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.0.tags
    }

    /// What kind of place this is.
    pub fn kind(&self) -> EndpointKind {
        match self.0.via {
            Via::Direct(_) => EndpointKind::Direct,
            Via::Backend { .. } => EndpointKind::Backend,
            Via::Proxy { .. } => EndpointKind::UpstreamProxy,
        }
    }

    /// The address connections go to, without credentials (`None` for the
    /// direct endpoint, whose address is each request's host).
    pub fn address(&self) -> Option<&Authority> {
        match &self.0.via {
            Via::Direct(_) => None,
            Via::Backend { base, .. } => Some(&base.authority),
            Via::Proxy { authority, .. } => Some(authority),
        }
    }

    /// The limit on one TCP connect to this endpoint.
    pub fn connect_timeout(&self) -> Duration {
        self.0.connect_timeout
    }

    pub(crate) fn via(&self) -> &Via {
        &self.0.via
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id())
            .field("kind", &self.kind())
            .field("address", &self.address())
            .finish()
    }
}
