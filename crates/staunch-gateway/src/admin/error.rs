//! The admin API's errors: always `{error, message, details}` JSON.

use http::header::{HeaderValue, ALLOW, WWW_AUTHENTICATE};
use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::respond::json;
use crate::client::ProxyBody;

/// A refused admin call.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
    details: Value,
    allow: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        message: impl Into<String>,
        details: Value,
    ) -> Self {
        Self {
            status,
            error,
            message: message.into(),
            details,
            allow: None,
        }
    }

    /// 400 with `error = code`.
    pub(crate) fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        details: Value,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message, details)
    }

    /// 404 for a path that is not part of the API.
    pub(crate) fn no_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such admin endpoint; see /openapi.yaml",
            json!({ "path": path }),
        )
    }

    /// 404 for a breaker id the configuration does not have.
    pub(crate) fn unknown_breaker(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_breaker",
            format!("no endpoint with id `{id}`; GET /api/v1/circuit-breakers lists them"),
            json!({ "id": id }),
        )
    }

    /// 405 naming the methods the path allows.
    pub(crate) fn method_not_allowed(method: &Method, path: &str, allow: &'static str) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed here; use {allow}"),
            json!({ "method": method.as_str(), "path": path, "allowed": allow }),
        );
        error.allow = Some(allow);
        error
    }

    /// 401 for a missing or wrong bearer token.
    pub(crate) fn unauthorized(reason: &'static str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this call needs the header `Authorization: Bearer <admin.token>`",
            json!({ "reason": reason }),
        )
    }

    /// 413 for a body over the limit.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {limit} bytes"),
            json!({ "limit_bytes": limit }),
        )
    }

    /// The status it answers with.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The response.
    pub(crate) fn into_response(self) -> Response<ProxyBody> {
        let body = json!({ "error": self.error, "message": self.message, "details": self.details });
        let mut response = json(self.status, &body);
        let headers = response.headers_mut();
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"staunch-admin\""),
            );
        }
        response
    }
}
