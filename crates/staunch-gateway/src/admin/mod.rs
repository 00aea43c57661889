//! The admin API: JSON under `/api/v1`, Prometheus text at `/metrics`, the
//! OpenAPI document at `/openapi.yaml` and the dashboard at `/`.
//!
//! Paths and methods are listed in the OpenAPI document ([`OPENAPI_YAML`],
//! kept true by a test that calls every documented response). Errors are
//! always `{"error": code, "message": text, "details": {...}}` with a 4xx
//! status for bad input: malformed JSON, wrong types, unknown fields and
//! values out of range are 400, a body over [`MAX_BODY`] is 413, an unknown
//! breaker id 404.
//!
//! # Access
//!
//! - The admin listener binds to loopback by default; a non-loopback
//!   address without `admin.token` is refused at start and on reload.
//! - With `admin.token` set, every mutating call (`PUT`, `POST`) needs
//!   `Authorization: Bearer <token>`, compared in constant time; when the
//!   listener is not on loopback, every call does, except the dashboard page
//!   itself (static, it holds no data: the calls it makes carry the token
//!   typed into it).
//! - No CORS headers are sent, and a mutating call whose `Origin` is not
//!   the admin listener's own, or (on loopback) whose `Host` is not a
//!   loopback name, is refused with 403: a web page cannot make the browser
//!   reset or isolate breakers, even by DNS rebinding.
//! - Upstream proxy credentials never appear: endpoints are shown by id and
//!   `host:port`.
//!
//! # The retry policy and SIGHUP
//!
//! `PUT /api/v1/retry/policy` changes the live policy for the next request.
//! A SIGHUP reload keeps a field set by `PUT` unless the reloaded file
//! changed that same field, in which case the file wins (see
//! [`Engine`](crate::engine::Engine)).

mod breakers;
mod error;
mod health;
mod input;
mod metrics;
mod origin;
mod respond;
mod route;
mod time;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::Body;
use serde_json::Value;

use self::breakers::Action;
use self::error::ApiError;
pub use self::input::{DEFAULT_HOURS, MAX_BODY};
use self::route::{is_safe, Resource};
use crate::client::{BoxError, ProxyBody};
use crate::state::GatewayState;

/// The dashboard page: one self-contained HTML file, no external assets.
pub const DASHBOARD_HTML: &str = include_str!("assets/dashboard.html");

/// The OpenAPI 3 document of the admin API.
pub const OPENAPI_YAML: &str = include_str!("assets/openapi.yaml");

/// The admin API over a gateway's state. Cheap to share; one per listener.
///
/// ```
/// # async fn demo() {
/// use std::sync::Arc;
/// use http_body_util::Empty;
/// use staunch_gateway::admin::AdminApi;
/// use staunch_gateway::{config::GatewayConfig, GatewayState};
///
/// let state = Arc::new(GatewayState::new(GatewayConfig::default()).unwrap());
/// let api = AdminApi::new(state, "127.0.0.1:9090".parse().unwrap());
/// let request = http::Request::get("/api/v1/retry/policy")
///     .body(Empty::<bytes::Bytes>::new())
///     .unwrap();
/// let response = api.handle(request).await;
/// assert_eq!(response.status(), 200);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AdminApi {
    state: Arc<GatewayState>,
    bound: SocketAddr,
}

impl AdminApi {
    /// The API over `state`, served on `bound` (whether that address is
    /// loopback decides which calls need the token).
    pub fn new(state: Arc<GatewayState>, bound: SocketAddr) -> Self {
        Self { state, bound }
    }

    /// The address the admin listener is bound to.
    pub fn bound_addr(&self) -> SocketAddr {
        self.bound
    }

    /// Answers one admin request. Never fails: every refusal is a JSON
    /// error response.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ProxyBody>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        match self.dispatch(request).await {
            Ok(response) => response,
            Err(error) => {
                if error.status().is_server_error() {
                    tracing::warn!(status = %error.status(), "admin call failed");
                }
                error.into_response()
            }
        }
    }

    async fn dispatch<B>(&self, request: Request<B>) -> Result<Response<ProxyBody>, ApiError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let (method, path) = (&parts.method, parts.uri.path());
        let query = parts.uri.query();
        let resource = Resource::find(path);
        self.authorize(method, resource, &parts.headers)?;
        let resource = resource.ok_or_else(|| ApiError::no_route(path))?;
        if !resource.allows(method) {
            return Err(ApiError::method_not_allowed(
                method,
                path,
                resource.allowed(),
            ));
        }
        let state = &*self.state;
        let ok = |value: Value| Ok(respond::json(StatusCode::OK, &value));
        match resource {
            Resource::Dashboard => Ok(with_page_policy(respond::bytes(
                StatusCode::OK,
                "text/html; charset=utf-8",
                DASHBOARD_HTML,
            ))),
            Resource::OpenApi => Ok(respond::bytes(
                StatusCode::OK,
                "application/yaml",
                OPENAPI_YAML,
            )),
            Resource::Prometheus => {
                input::no_query(query)?;
                Ok(metrics::prometheus(state))
            }
            Resource::Healthz => ok(health::healthz()),
            Resource::Readyz => ok(health::readyz(state)?),
            Resource::Policy if method == Method::PUT => {
                let bytes = input::read_body(&parts.headers, body).await?;
                let update = input::parse_json(&bytes)?;
                let next = state
                    .engine()
                    .update_policy(&update)
                    .map_err(policy_error)?;
                ok(serde_json::to_value(next.view()).unwrap_or(Value::Null))
            }
            Resource::Policy => {
                let view = state.engine().policy().view();
                ok(serde_json::to_value(view).unwrap_or(Value::Null))
            }
            Resource::Breakers => ok(breakers::list(state)),
            Resource::BreakerEvents => ok(breakers::events(state, input::hours(query)?)?),
            Resource::Breaker(id) => ok(breakers::by_id(state, id, Action::Show)?),
            Resource::Reset(id) => ok(breakers::by_id(state, id, Action::Reset)?),
            Resource::Isolate(id) => ok(breakers::by_id(state, id, Action::Isolate)?),
            Resource::Retries => {
                input::no_query(query)?;
                ok(metrics::summary(state))
            }
            Resource::Timeseries => ok(metrics::timeseries(state, input::hours(query)?)?),
            Resource::ByProxy => ok(metrics::by_endpoint(state, input::hours(query)?)?),
        }
    }

    /// Checks the bearer token where one is needed (see the module docs).
    fn authorize(
        &self,
        method: &Method,
        resource: Option<Resource<'_>>,
        headers: &HeaderMap,
    ) -> Result<(), ApiError> {
        let active = self.state.active();
        let safe = is_safe(method);
        if !safe {
            origin::check_same_origin(self.bound, headers)?;
        }
        let Some(token) = &active.config().admin.token else {
            return Ok(());
        };
        let needed = !safe || !self.bound.ip().is_loopback();
        if !needed || (safe && resource == Some(Resource::Dashboard)) {
            return Ok(());
        }
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        match presented {
            None => Err(ApiError::unauthorized("missing")),
            Some(candidate) if token.matches(candidate) => Ok(()),
            Some(_) => Err(ApiError::unauthorized("mismatch")),
        }
    }
}

/// The dashboard may run its own inline script and call this origin only.
fn with_page_policy(mut response: Response<ProxyBody>) -> Response<ProxyBody> {
    response.headers_mut().insert(
        http::header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
        ),
    );
    response
}

/// A refused policy change: 400 naming the field, the value and the range.
fn policy_error(err: crate::engine::PolicyError) -> ApiError {
    let code = if err.allowed.starts_with("no such field") {
        "unknown_field"
    } else if err.field.is_empty() {
        "invalid_body"
    } else {
        "invalid_field"
    };
    ApiError::bad_request(
        code,
        err.to_string(),
        serde_json::json!({ "field": err.field, "value": err.value, "allowed": err.allowed }),
    )
}
