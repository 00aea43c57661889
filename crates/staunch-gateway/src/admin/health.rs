//! `/healthz` (the process answers) and `/readyz` (some pool can take a
//! request).

use http::StatusCode;
use serde_json::{json, Value};

use super::breakers::is_available;
use super::error::ApiError;
use crate::endpoint::Endpoint;
use crate::state::GatewayState;

/// `GET /healthz`.
pub(crate) fn healthz() -> Value {
    json!({ "status": "ok" })
}

/// `GET /readyz`: ready when at least one route or the forward path has an
/// endpoint whose breaker is not open (an open one whose probe is due
/// counts as available; the direct endpoint has no breaker). 503 otherwise.
pub(crate) fn readyz(state: &GatewayState) -> Result<Value, ApiError> {
    let active = state.active();
    let pool = |name: String, endpoints: &[Endpoint]| {
        let available = endpoints.iter().filter(|e| is_available(state, e)).count();
        json!({ "pool": name, "available": available, "total": endpoints.len() })
    };
    let mut pools: Vec<Value> = active
        .routes()
        .routes()
        .iter()
        .map(|r| {
            let name = match r.host() {
                Some(host) => format!("route {host}{}", r.prefix()),
                None => format!("route {}", r.prefix()),
            };
            pool(name, r.backends())
        })
        .collect();
    pools.push(pool("forward".to_string(), active.forward_endpoints()));
    if pools.iter().any(|p| p["available"].as_u64() > Some(0)) {
        Ok(json!({ "status": "ready", "pools": pools }))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "every endpoint of every route and of the forward path has an open circuit breaker",
            json!({ "pools": pools }),
        ))
    }
}
