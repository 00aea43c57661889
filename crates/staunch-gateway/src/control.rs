//! Per-request control headers: read, checked and removed before the
//! request is forwarded.
//!
//! | header | meaning | allowed |
//! | --- | --- | --- |
//! | `X-Staunch-Max-Attempts` | attempts for this request, the first included | 1 to 10 |
//! | `X-Staunch-Timeout` | time limit over all attempts | 1ms to 5m (`"2s"`, `"250ms"`, `"1.5"`) |
//! | `X-Staunch-Idempotent` | a POST/PATCH may be repeated | true, false, 1, 0 |
//!
//! Without `X-Staunch-Max-Attempts` a request gets the live retry policy's
//! `max_attempts`; without `X-Staunch-Timeout`, the policy's `timeout` (none
//! by default: attempts are then bounded by the connect timeout, the
//! attempt timeout and the upstream). GET, HEAD, OPTIONS, TRACE, PUT and
//! DELETE may be repeated after a delivery; other methods only with
//! `X-Staunch-Idempotent: true` or an `Idempotency-Key` header, or after a
//! failure that proves nothing was sent (a refused connect, an upstream
//! proxy's refusal). A body over `max_replay_body` gets one attempt.
//!
//! Responses carry [`ATTEMPTS`] (attempts made) and [`ENDPOINT`] (the id of
//! the endpoint that answered, never an address with credentials).

use std::fmt;
use std::time::Duration;

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};
use staunch::config::{parse_bool, parse_duration};

use crate::h1::raw_fields::RawFields;

/// `X-Staunch-Max-Attempts` (request).
pub const MAX_ATTEMPTS: HeaderName = HeaderName::from_static("x-staunch-max-attempts");
/// `X-Staunch-Timeout` (request).
pub const TIMEOUT: HeaderName = HeaderName::from_static("x-staunch-timeout");
/// `X-Staunch-Idempotent` (request).
pub const IDEMPOTENT: HeaderName = HeaderName::from_static("x-staunch-idempotent");
/// `X-Staunch-Attempts` (response).
pub const ATTEMPTS: HeaderName = HeaderName::from_static("x-staunch-attempts");
/// `X-Staunch-Endpoint` (response).
pub const ENDPOINT: HeaderName = HeaderName::from_static("x-staunch-endpoint");

/// An `X-Staunch-Attempts` value.
pub(crate) fn attempts_value(attempts: u32) -> HeaderValue {
    static SMALL: [HeaderValue; 10] = [
        HeaderValue::from_static("0"),
        HeaderValue::from_static("1"),
        HeaderValue::from_static("2"),
        HeaderValue::from_static("3"),
        HeaderValue::from_static("4"),
        HeaderValue::from_static("5"),
        HeaderValue::from_static("6"),
        HeaderValue::from_static("7"),
        HeaderValue::from_static("8"),
        HeaderValue::from_static("9"),
    ];
    // Static values for the usual counts: no allocation per response.
    match usize::try_from(attempts).ok().and_then(|i| SMALL.get(i)) {
        Some(value) => value.clone(),
        None => HeaderValue::from(attempts),
    }
}

/// What every control header's name starts with.
pub(crate) const CONTROL_PREFIX: &str = "x-staunch-";

const MAX_ATTEMPTS_LIMIT: u32 = 10;
const MIN_TIMEOUT: Duration = Duration::from_millis(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// The overrides one request asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Control {
    /// `X-Staunch-Max-Attempts`.
    pub max_attempts: Option<u32>,
    /// `X-Staunch-Timeout`.
    pub timeout: Option<Duration>,
    /// `X-Staunch-Idempotent`.
    pub idempotent: Option<bool>,
}

/// A control header with a value outside what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    /// The header's name.
    pub header: &'static str,
    /// The value as sent (lossy for non-UTF-8).
    pub value: String,
    /// What is allowed.
    pub allowed: &'static str,
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value for `{}`: {:?} (allowed: {})",
            self.header, self.value, self.allowed
        )
    }
}

impl std::error::Error for ControlError {}

impl Control {
    /// Reads the control headers and removes them from `headers`, whether or
    /// not they are valid.
    pub fn take_from(headers: &mut HeaderMap) -> Result<Self, ControlError> {
        // Most requests carry none: one pass over the names is cheaper than
        // a lookup per control header.
        if !headers
            .keys()
            .any(|name| name.as_str().starts_with(CONTROL_PREFIX))
        {
            return Ok(Self::default());
        }
        let control = Self::read(|name| {
            headers
                .get_all(name)
                .iter()
                .map(HeaderValue::as_bytes)
                .collect()
        });
        for name in [MAX_ATTEMPTS, TIMEOUT, IDEMPOTENT] {
            headers.remove(name);
        }
        control
    }

    /// Reads the control fields among `fields` (which keep them).
    pub(crate) fn from_fields(fields: &RawFields) -> Result<Self, ControlError> {
        Self::read(|name| fields.get_all(name).collect())
    }

    /// Reads the control values; `values` gives every value of a field.
    fn read<'a>(values: impl Fn(&'static str) -> Vec<&'a [u8]>) -> Result<Self, ControlError> {
        let max_attempts = single(
            &values("x-staunch-max-attempts"),
            "X-Staunch-Max-Attempts",
            "1 to 10",
        );
        let timeout = single(
            &values("x-staunch-timeout"),
            "X-Staunch-Timeout",
            "a duration from 1ms to 5m, such as 2s, 250ms or 1.5",
        );
        let idempotent = single(
            &values("x-staunch-idempotent"),
            "X-Staunch-Idempotent",
            "true, false, 1 or 0",
        );
        Ok(Self {
            max_attempts: max_attempts?
                .map(|h| {
                    h.text
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_ATTEMPTS_LIMIT).contains(n))
                        .ok_or_else(|| h.error())
                })
                .transpose()?,
            timeout: timeout?
                .map(|h| {
                    parse_duration(h.name, &h.text)
                        .ok()
                        .filter(|d| (MIN_TIMEOUT..=MAX_TIMEOUT).contains(d))
                        .ok_or_else(|| h.error())
                })
                .transpose()?,
            idempotent: idempotent?
                .map(|h| parse_bool(h.name, &h.text).map_err(|_| h.error()))
                .transpose()?,
        })
    }
}

/// One control header's single value.
struct Raw {
    name: &'static str,
    text: String,
    allowed: &'static str,
}

impl Raw {
    fn error(&self) -> ControlError {
        ControlError {
            header: self.name,
            value: self.text.clone(),
            allowed: self.allowed,
        }
    }
}

/// The one value of a control field; sent twice or not UTF-8 is an error.
fn single(
    values: &[&[u8]],
    name: &'static str,
    allowed: &'static str,
) -> Result<Option<Raw>, ControlError> {
    let raw = |text: String| Raw {
        name,
        text,
        allowed,
    };
    match values {
        [] => Ok(None),
        [one] => match std::str::from_utf8(one) {
            Ok(text) => Ok(Some(raw(text.to_string()))),
            Err(_) => Err(raw(String::from_utf8_lossy(one).into_owned()).error()),
        },
        _ => Err(ControlError {
            header: name,
            value: values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            allowed: "a single value",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append((*k).clone(), HeaderValue::from_str(v).unwrap());
        }
        h.insert("accept", HeaderValue::from_static("*/*"));
        h
    }

    #[test]
    fn valid_control_headers_are_read_and_removed() {
        let mut h = headers(&[
            (&MAX_ATTEMPTS, "4"),
            (&TIMEOUT, "250ms"),
            (&IDEMPOTENT, "true"),
        ]);
        let c = Control::take_from(&mut h).unwrap();
        assert_eq!(
            c,
            Control {
                max_attempts: Some(4),
                timeout: Some(Duration::from_millis(250)),
                idempotent: Some(true),
            }
        );
        assert_eq!(h.len(), 1, "only accept is left: {h:?}");
    }

    #[test]
    fn absent_headers_mean_no_override() {
        let mut h = headers(&[]);
        assert_eq!(Control::take_from(&mut h).unwrap(), Control::default());
    }

    #[test]
    fn out_of_range_values_name_header_value_and_range() {
        let cases = [
            (&MAX_ATTEMPTS, "0", "X-Staunch-Max-Attempts", "1 to 10"),
            (&MAX_ATTEMPTS, "11", "X-Staunch-Max-Attempts", "1 to 10"),
            (&MAX_ATTEMPTS, "two", "X-Staunch-Max-Attempts", "1 to 10"),
            (&TIMEOUT, "0s", "X-Staunch-Timeout", "1ms to 5m"),
            (&TIMEOUT, "10m", "X-Staunch-Timeout", "1ms to 5m"),
            (&TIMEOUT, "soon", "X-Staunch-Timeout", "1ms to 5m"),
            (&IDEMPOTENT, "maybe", "X-Staunch-Idempotent", "true, false"),
        ];
        for (header, value, name, allowed) in cases {
            let mut h = headers(&[(header, value)]);
            let err = Control::take_from(&mut h).unwrap_err();
            assert_eq!(err.header, name);
            assert_eq!(err.value, value);
            assert!(err.allowed.contains(allowed), "{err}");
            assert!(h.get(header).is_none(), "bad header is still removed");
        }
    }

    #[test]
    fn attempts_value_is_the_decimal_count() {
        for n in [0, 1, 9, 10, 11, 4_000_000_000] {
            assert_eq!(attempts_value(n), n.to_string().as_str());
        }
    }

    #[test]
    fn repeated_header_is_refused() {
        let mut h = headers(&[(&MAX_ATTEMPTS, "2"), (&MAX_ATTEMPTS, "3")]);
        let err = Control::take_from(&mut h).unwrap_err();
        assert_eq!(err.allowed, "a single value");
        assert_eq!(err.value, "2, 3");
    }

    #[test]
    fn control_fields_are_read_from_raw_fields_in_any_case() {
        let fields = RawFields::from_pairs(&[
            ("X-Staunch-Max-Attempts", "3"),
            ("x-STAUNCH-idempotent", "1"),
        ]);
        assert_eq!(
            Control::from_fields(&fields).unwrap(),
            Control {
                max_attempts: Some(3),
                timeout: None,
                idempotent: Some(true),
            }
        );
        let fields =
            RawFields::from_pairs(&[("x-staunch-idempotent", "1"), ("X-Staunch-Idempotent", "0")]);
        let err = Control::from_fields(&fields).unwrap_err();
        assert_eq!(
            (err.header, err.value.as_str()),
            ("X-Staunch-Idempotent", "1, 0")
        );
    }
}
