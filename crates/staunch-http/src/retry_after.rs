//! The `Retry-After` header: delta-seconds or an HTTP-date.

use std::time::{Duration, SystemTime};

/// The longest hint taken seriously: a `Retry-After` further away than this
/// (a day) is treated as garbage and ignored, not capped. Sane hints are
/// capped later by the retry policy's
/// [`max_retry_after`](staunch::retry::RetryPolicy::max_retry_after).
pub const MAX_RETRY_AFTER_HINT: Duration = Duration::from_secs(24 * 60 * 60);

/// Reads a `Retry-After` value: how long to wait from `now`.
///
/// - delta-seconds (`"120"`): that many seconds;
/// - an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, and the two obsolete
///   forms): the time from `now` to it, zero if it has passed;
/// - anything else — empty, negative, fractional, non-ASCII, a malformed
///   date — and any hint beyond [`MAX_RETRY_AFTER_HINT`]: `None`, the hint is
///   ignored and the normal backoff applies.
///
/// Surrounding spaces and tabs are allowed. Never panics, whatever the bytes.
///
/// ```
/// use staunch_http::parse_retry_after;
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50 GMT
/// assert_eq!(parse_retry_after(b"120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(10)),
/// );
/// assert_eq!(parse_retry_after(b"-5", now), None);
/// assert_eq!(parse_retry_after(b"soon", now), None);
/// ```
pub fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    let wait = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only too many of them can fail, and that is absurd.
        Duration::from_secs(text.parse::<u64>().ok()?)
    } else {
        let at = httpdate::parse_http_date(text).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    (wait <= MAX_RETRY_AFTER_HINT).then_some(wait)
}

/// The `Retry-After` of a response's headers, if it has one that parses.
/// When the header appears more than once, the first one counts.
pub fn retry_after(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?;
    parse_retry_after(value.as_bytes(), now)
}

#[cfg(test)]
mod tests;
