//! [`Staunch`]: the service the layer makes.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{header, Request, Response};
use tower_service::Service;

use super::transport::ServiceTransport;
use super::{ReplayBody, ResponseFuture};
use crate::call::{boxed_in, execute, Body, Host, HostLookup, Plan, Route};
use crate::{BaseUrl, BoxError, HttpPolicy, RequestOptions};
use staunch::pool::Pool;

/// An `http::Request` service with retries, per-host breakers, budget and
/// metrics, made by [`StaunchLayer`](super::StaunchLayer).
///
/// Each retry calls a clone of the inner service once it is ready. Request
/// bodies are replayed through [`ReplayBody`]; per-request overrides come
/// from a [`RequestOptions`] extension. Errors are boxed: the single
/// attempt's own error as it came, or an [`Error`](crate::Error) when
/// staunch stopped the call.
#[derive(Debug, Clone)]
pub struct Staunch<S> {
    inner: S,
    policy: Arc<HttpPolicy>,
}

impl<S> Staunch<S> {
    /// `inner` under `policy`.
    pub fn new(inner: S, policy: HttpPolicy) -> Self {
        Self::shared(inner, Arc::new(policy))
    }

    /// `inner` under a shared policy.
    pub fn shared(inner: S, policy: Arc<HttpPolicy>) -> Self {
        Self { inner, policy }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The policy.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }
}

impl<S, B, RB> Service<Request<B>> for Staunch<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: ReplayBody + Send + 'static,
    RB: Send + 'static,
{
    type Response = Response<RB>;
    type Error = BoxError;
    type Future = ResponseFuture<Response<RB>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The ready service makes the first attempt; `self` keeps a fresh clone.
        let clone = self.inner.clone();
        let service = std::mem::replace(&mut self.inner, clone);
        let policy = &*self.policy;
        let options = request.extensions().get::<RequestOptions>();
        let body = Body::of_len(request.body().replay_len(), policy.max_replay_body);
        let plan = Plan::new(
            policy,
            request.method(),
            request.headers(),
            options,
            body,
            |lookup| host_of(&request, lookup),
        )
        .routed(policy, |pool| route_of(pool, &request));
        let span = tracing::info_span!(
            "http_call",
            method = %request.method(),
            host = request.uri().host(),
            path = request.uri().path(),
        );
        let transport = ServiceTransport::ready(service);
        let policy = Arc::clone(&self.policy);
        ResponseFuture::new(boxed_in!(span, execute(policy, plan, transport, request)))
    }
}

/// The host of a request, `scheme://host:port`: from its URI, or from its
/// `Host` header when the URI has no authority.
fn host_of<B>(request: &Request<B>, lookup: HostLookup<'_>) -> Host {
    let uri = request.uri();
    let scheme = uri.scheme_str().unwrap_or("http");
    if let Some(host) = uri.host() {
        return lookup.of(scheme, host, uri.port_u16());
    }
    match host_header(request) {
        Some(a) => lookup.of(scheme, a.host(), a.port_u16()),
        None => lookup.of(scheme, "unknown", None),
    }
}

/// The route of a request under `pool`: relative to one of its bases when
/// the URI (or the `Host` header of an origin-form URI) names that base.
fn route_of<B>(pool: &Pool<BaseUrl>, request: &Request<B>) -> Route {
    let uri = request.uri();
    let scheme = uri.scheme_str().unwrap_or("http");
    let default_port = match scheme {
        "https" => 443,
        _ => 80,
    };
    let path = uri.path();
    let query = uri.query();
    if let Some(host) = uri.host() {
        let port = uri.port_u16().unwrap_or(default_port);
        return Route::new(pool, scheme, host, Some(port), path, query);
    }
    match host_header(request) {
        Some(a) => {
            let port = a.port_u16().unwrap_or(default_port);
            Route::new(pool, scheme, a.host(), Some(port), path, query)
        }
        None => Route::new(pool, scheme, "", None, path, query),
    }
}

/// The authority named by a request's `Host` header.
fn host_header<B>(request: &Request<B>) -> Option<http::uri::Authority> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<http::uri::Authority>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of<B>(request: &Request<B>) -> Arc<str> {
        let lookup = HostLookup {
            registry: None,
            want_key: true,
        };
        host_of(request, lookup).key.unwrap()
    }

    #[test]
    fn key_comes_from_the_uri_or_the_host_header() {
        let absolute = Request::get("https://api.test/x").body(()).unwrap();
        assert_eq!(&*key_of(&absolute), "https://api.test:443");
        let origin_form = Request::get("/x")
            .header(header::HOST, "backend:8080")
            .body(())
            .unwrap();
        assert_eq!(&*key_of(&origin_form), "http://backend:8080");
        let nothing = Request::get("/x").body(()).unwrap();
        assert_eq!(&*key_of(&nothing), "http://unknown:80");
    }
}
