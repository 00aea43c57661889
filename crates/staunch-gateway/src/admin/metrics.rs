//! `/api/v1/metrics/retries*` (JSON from the metrics store) and `/metrics`
//! (Prometheus text).

use http::{Response, StatusCode};
use serde_json::{json, Value};
use staunch::config::ConfigError;
use staunch::metrics::{encode_prometheus, PROMETHEUS_CONTENT_TYPE};

use super::error::ApiError;
use super::respond;
use crate::client::ProxyBody;
use crate::state::GatewayState;

/// A query the store refused (its `hours` check): 400.
pub(crate) fn query_error(err: ConfigError) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        err.to_string(),
        json!({ "parameter": err.field() }),
    )
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `GET /api/v1/metrics/retries`: totals over the retention, and the
/// retry budget's counters.
pub(crate) fn summary(state: &GatewayState) -> Value {
    let engine = state.engine();
    let mut body = to_json(&engine.metrics().summary());
    body["budget"] = to_json(&engine.budget().stats());
    body
}

/// `GET /api/v1/metrics/retries/timeseries?hours=N`: hourly points.
pub(crate) fn timeseries(state: &GatewayState, hours: u32) -> Result<Value, ApiError> {
    let series = state
        .engine()
        .metrics()
        .timeseries(hours)
        .map_err(query_error)?;
    Ok(to_json(&series))
}

/// `GET /api/v1/metrics/retries/by-proxy?hours=N`: per endpoint.
pub(crate) fn by_endpoint(state: &GatewayState, hours: u32) -> Result<Value, ApiError> {
    let breakdown = state
        .engine()
        .metrics()
        .by_endpoint(hours)
        .map_err(query_error)?;
    Ok(to_json(&breakdown))
}

/// `GET /metrics`: the engine's exposition, with the current state of
/// every configured endpoint's breaker and the budget's counters.
pub(crate) fn prometheus(state: &GatewayState) -> Response<ProxyBody> {
    let engine = state.engine();
    let active = state.active();
    let registry = engine.breakers();
    let states: Vec<(&str, _)> = active
        .breaker_endpoints()
        .map(|e| (e.id(), registry.get(e.id()).state()))
        .collect();
    let text = encode_prometheus(engine.metrics(), Some(&engine.budget()), states);
    respond::bytes(StatusCode::OK, PROMETHEUS_CONTENT_TYPE, text)
}
