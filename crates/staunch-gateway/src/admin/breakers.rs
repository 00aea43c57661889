//! `/api/v1/circuit-breakers`: every endpoint's breaker, by hand reset and
//! isolate, and the transition log.

use serde_json::{json, Value};
use staunch::breaker::{Breaker, BreakerConfig, CircuitState};

use super::error::ApiError;
use super::time::rfc3339;
use crate::active::ActiveConfig;
use crate::endpoint::{Endpoint, EndpointKind};
use crate::routes::Route;
use crate::state::GatewayState;

/// An endpoint with a breaker, and the route it serves (none for an
/// upstream proxy).
struct Entry<'a> {
    endpoint: &'a Endpoint,
    route: Option<&'a Route>,
}

fn entries(active: &ActiveConfig) -> Vec<Entry<'_>> {
    let backends = active.routes().routes().iter().flat_map(|route| {
        route.backends().iter().map(move |endpoint| Entry {
            endpoint,
            route: Some(route),
        })
    });
    let proxies = active
        .forward_endpoints()
        .iter()
        .filter(|e| e.kind() != EndpointKind::Direct)
        .map(|endpoint| Entry {
            endpoint,
            route: None,
        });
    backends.chain(proxies).collect()
}

/// What the API shows of one breaker: never an address with credentials.
fn view(entry: &Entry<'_>, breaker: &Breaker) -> Value {
    let snapshot = breaker.snapshot();
    let config: &BreakerConfig = breaker.config();
    let kind = match entry.endpoint.kind() {
        EndpointKind::UpstreamProxy => "upstream_proxy",
        _ => "backend",
    };
    json!({
        "id": entry.endpoint.id(),
        "kind": kind,
        "route": entry.route.map(Route::prefix),
        "address": entry.endpoint.address().map(|a| a.as_str()),
        "state": snapshot.state,
        "failure_count": snapshot.failures_in_window,
        "consecutive_failures": snapshot.consecutive_failures,
        "window": config.window.as_secs_f64(),
        "failure_threshold": config.failure_threshold,
        "probes_in_flight": snapshot.probes_in_flight,
        "opened_at": snapshot.opened_at.map(rfc3339),
        "next_probe_at": snapshot.next_probe_at.map(rfc3339),
        "next_probe_in": snapshot.next_probe_in.map(|d| d.as_secs_f64()),
    })
}

/// `GET /api/v1/circuit-breakers`: routes' backends first, then upstream
/// proxies.
pub(crate) fn list(state: &GatewayState) -> Value {
    let active = state.active();
    let registry = state.engine().breakers();
    let breakers: Vec<Value> = entries(&active)
        .iter()
        .map(|entry| view(entry, &registry.get(entry.endpoint.id())))
        .collect();
    let count = |s: CircuitState| breakers.iter().filter(|b| b["state"] == s.as_str()).count();
    json!({
        "total": breakers.len(),
        "by_state": {
            "closed": count(CircuitState::Closed),
            "open": count(CircuitState::Open),
            "half_open": count(CircuitState::HalfOpen),
            "isolated": count(CircuitState::Isolated),
        },
        "breakers": breakers,
    })
}

/// What a by-id call does to the breaker before showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Show,
    Reset,
    Isolate,
}

/// `GET .../{id}`, `POST .../{id}/reset`, `POST .../{id}/isolate`: 404 for
/// an id the configuration does not have.
pub(crate) fn by_id(state: &GatewayState, id: &str, action: Action) -> Result<Value, ApiError> {
    let active = state.active();
    let entries = entries(&active);
    let entry = entries
        .iter()
        .find(|e| e.endpoint.id() == id)
        .ok_or_else(|| ApiError::unknown_breaker(id))?;
    let breaker = state.engine().breakers().get(id);
    match action {
        Action::Show => {}
        Action::Reset => {
            tracing::info!(id, "breaker reset through the admin API");
            breaker.reset();
        }
        Action::Isolate => {
            tracing::warn!(id, "breaker isolated through the admin API");
            breaker.isolate();
        }
    }
    Ok(view(entry, &breaker))
}

/// `GET /api/v1/circuit-breakers/metrics?hours=N`: transitions, oldest
/// first.
pub(crate) fn events(state: &GatewayState, hours: u32) -> Result<Value, ApiError> {
    let events = state
        .engine()
        .metrics()
        .breaker_events(hours)
        .map_err(super::metrics::query_error)?;
    Ok(serde_json::to_value(events).unwrap_or(Value::Null))
}

/// Whether `endpoint` can take a request now: no breaker, or one that is
/// closed, half-open, or open with its probe due.
pub(crate) fn is_available(state: &GatewayState, endpoint: &Endpoint) -> bool {
    match state.engine().breaker_for(endpoint) {
        None => true,
        Some(breaker) => {
            let snapshot = breaker.snapshot();
            match snapshot.state {
                CircuitState::Closed | CircuitState::HalfOpen => true,
                CircuitState::Open => snapshot.next_probe_in.is_some_and(|d| d.is_zero()),
                CircuitState::Isolated => false,
            }
        }
    }
}
