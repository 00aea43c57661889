//! The admin listener. For now it answers `GET /healthz`; the admin API
//! mounts here.

use std::convert::Infallible;

use http::header::ALLOW;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::Shared;
use crate::client::ProxyBody;
use crate::reply;

/// Answers one admin request.
pub(crate) async fn handle(
    _shared: &Shared,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let path = request.uri().path();
    let response = match (request.method(), path) {
        (&Method::GET | &Method::HEAD, "/healthz") => {
            reply::json_response(StatusCode::OK, &json!({ "status": "ok" }))
        }
        (_, "/healthz") => {
            let mut response = reply::json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "use GET",
                json!({ "method": request.method().as_str(), "path": path }),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
        _ => reply::json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such admin endpoint",
            json!({ "path": path }),
        ),
    };
    Ok(response)
}
