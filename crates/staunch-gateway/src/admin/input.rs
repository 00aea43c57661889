//! What the admin API reads from a request: a capped JSON body and the
//! `hours` query parameter.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::HeaderMap;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{json, Value};
use staunch::metrics::MAX_HOURS;

use super::error::ApiError;
use crate::client::BoxError;

/// The largest request body the admin API reads: 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// `hours` when the query leaves it out.
pub const DEFAULT_HOURS: u32 = 24;

/// Reads a body of at most [`MAX_BODY`] bytes; 413 past it.
pub(crate) async fn read_body<B>(headers: &HeaderMap, body: B) -> Result<Bytes, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY as u64) {
        return Err(ApiError::too_large(MAX_BODY));
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(ApiError::too_large(MAX_BODY)),
        Err(err) => Err(ApiError::bad_request(
            "unreadable_body",
            "the request body could not be read",
            json!({ "cause": err.to_string() }),
        )),
    }
}

/// Parses a JSON document; 400 naming the line and column when it is not
/// one.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {err}"),
            json!({ "line": err.line(), "column": err.column() }),
        )
    })
}

/// Refuses any query parameter.
pub(crate) fn no_query(query: Option<&str>) -> Result<(), ApiError> {
    match params(query).next() {
        None => Ok(()),
        Some((name, _)) => Err(unknown_param(name, &[])),
    }
}

/// `hours` from the query: an integer from 1 to 168, [`DEFAULT_HOURS`] when
/// absent. Any other parameter is refused.
pub(crate) fn hours(query: Option<&str>) -> Result<u32, ApiError> {
    let mut hours = DEFAULT_HOURS;
    for (name, value) in params(query) {
        if name != "hours" {
            return Err(unknown_param(name, &["hours"]));
        }
        hours = value
            .parse::<u32>()
            .ok()
            .filter(|h| (1..=MAX_HOURS).contains(h))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("invalid value for `hours`: {value:?} (allowed: an integer from 1 to {MAX_HOURS})"),
                    json!({ "parameter": "hours", "value": value, "allowed": format!("an integer from 1 to {MAX_HOURS}") }),
                )
            })?;
    }
    Ok(hours)
}

fn params(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

fn unknown_param(name: &str, known: &[&str]) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        format!("unknown query parameter `{name}`"),
        json!({ "parameter": name, "allowed": known }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_defaults_to_24_and_stays_within_1_to_168() {
        assert_eq!(hours(None).unwrap(), 24);
        assert_eq!(hours(Some("hours=1")).unwrap(), 1);
        assert_eq!(hours(Some("hours=168")).unwrap(), 168);
        for bad in [
            "hours=0",
            "hours=169",
            "hours=x",
            "hours=",
            "hours=-1",
            "hour=2",
        ] {
            assert_eq!(hours(Some(bad)).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn routes_without_parameters_refuse_any() {
        assert!(no_query(None).is_ok());
        assert!(no_query(Some("")).is_ok());
        assert_eq!(no_query(Some("x=1")).unwrap_err().status(), 400);
    }
}
