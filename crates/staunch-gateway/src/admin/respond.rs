//! Successful admin answers: JSON, text and the embedded assets.

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{Response, StatusCode};
use serde_json::Value;

use crate::client::ProxyBody;
use crate::reply::full;

/// A JSON answer, never cached.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<ProxyBody> {
    bytes(status, "application/json", Bytes::from(body.to_string()))
}

/// An answer of `content_type`, never cached.
pub(crate) fn bytes(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ProxyBody> {
    let mut response = Response::new(full(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
