//! Answers the gateway makes itself: JSON errors `{error, message, details}`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

use crate::attempt::{AttemptErrorKind, AttemptsFailed};
use crate::client::ProxyBody;
use crate::control::{ControlError, ATTEMPTS, ENDPOINT};

/// A JSON error response.
pub(crate) fn json_error(
    status: StatusCode,
    error: &str,
    message: impl ToString,
    details: Value,
) -> Response<ProxyBody> {
    let body = json!({ "error": error, "message": message.to_string(), "details": details });
    json_response(status, &body)
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<ProxyBody> {
    let bytes = Bytes::from(body.to_string());
    let mut response = Response::new(full(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A body of fixed bytes.
pub(crate) fn full(bytes: Bytes) -> ProxyBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// 400 for a bad control header.
pub(crate) fn bad_control_header(err: &ControlError) -> Response<ProxyBody> {
    json_error(
        StatusCode::BAD_REQUEST,
        "bad_control_header",
        err,
        json!({ "header": err.header, "value": err.value, "allowed": err.allowed }),
    )
}

/// 400 for a request the gateway cannot forward.
pub(crate) fn bad_request(message: impl ToString, details: Value) -> Response<ProxyBody> {
    json_error(StatusCode::BAD_REQUEST, "bad_request", message, details)
}

/// The answer when no attempt produced an answer: 503 with `Retry-After`
/// when every endpoint's breaker was open or no endpoint could be reached,
/// 504 when time ran out, 502 when an endpoint broke the exchange or
/// answered garbage.
pub(crate) fn attempts_failed(failed: &AttemptsFailed) -> Response<ProxyBody> {
    // The last failure of an attempt that was sent decides; endpoints
    // skipped for an open breaker only decide when nothing was sent.
    let kind = failed
        .errors
        .iter()
        .rev()
        .map(|e| e.kind())
        .find(|k| *k != AttemptErrorKind::CircuitOpen)
        .or_else(|| failed.last_error().map(|e| e.kind()));
    let (status, error, message) = match kind {
        _ if failed.all_unavailable() && failed.attempts == 0 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "every endpoint's circuit breaker is open; try again after Retry-After",
        ),
        Some(AttemptErrorKind::ClientBody) => (
            StatusCode::BAD_REQUEST,
            "client_body",
            "the request body could not be read from the client",
        ),
        Some(AttemptErrorKind::Timeout) => (
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "no endpoint answered in time",
        ),
        Some(
            AttemptErrorKind::Reset
            | AttemptErrorKind::BadUpstream
            | AttemptErrorKind::BodyNotReplayable,
        ) => (
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "the endpoint broke the exchange or answered with invalid HTTP",
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "no endpoint could be reached",
        ),
    };
    let errors: Vec<Value> = failed
        .errors
        .iter()
        .map(|e| json!({ "endpoint": e.endpoint(), "kind": kind_code(e.kind()), "message": e.to_string() }))
        .collect();
    let retry_after = failed.retry_after.as_secs_f64().ceil() as u64;
    let mut response = json_error(
        status,
        error,
        message,
        json!({
            "attempts": failed.attempts,
            "errors": errors,
            "retry_after_secs": retry_after,
            "stopped": failed.reason.to_string(),
        }),
    );
    let headers = response.headers_mut();
    headers.insert(ATTEMPTS, HeaderValue::from(failed.attempts));
    if let Some(last) = failed.last_error() {
        if let Ok(id) = HeaderValue::from_str(last.endpoint()) {
            headers.insert(ENDPOINT, id);
        }
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(RETRY_AFTER, HeaderValue::from(retry_after));
    }
    response
}

/// A stable name for an error class, used in JSON details.
pub(crate) fn kind_code(kind: AttemptErrorKind) -> &'static str {
    match kind {
        AttemptErrorKind::ConnectRefused => "connect_refused",
        AttemptErrorKind::Connect => "connect",
        AttemptErrorKind::ProxyRefused(_) => "proxy_refused",
        AttemptErrorKind::Reset => "reset",
        AttemptErrorKind::Timeout => "timeout",
        AttemptErrorKind::BadUpstream => "bad_upstream",
        AttemptErrorKind::BodyNotReplayable => "body_not_replayable",
        AttemptErrorKind::CircuitOpen => "circuit_open",
        AttemptErrorKind::ClientBody => "client_body",
    }
}
