//! Idempotency: which requests may be sent again.

use http::{HeaderMap, HeaderName, Method};

/// The `Idempotency-Key` header: a request carrying it may be retried
/// whatever its method, since the server deduplicates it.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Whether `method` is idempotent: GET, HEAD, OPTIONS, TRACE, PUT and
/// DELETE. POST, PATCH, CONNECT and extension methods are not.
///
/// ```
/// use http::Method;
/// use staunch_http::is_idempotent;
/// assert!(is_idempotent(&Method::PUT));
/// assert!(!is_idempotent(&Method::POST));
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// When a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrySafety {
    /// After any retryable failure: the method is idempotent, the caller
    /// opted in, or the request carries an `Idempotency-Key`.
    Always,
    /// Only after a failure that proves nothing reached the server (DNS
    /// failure, refused connection).
    UnsentOnly,
}

impl RetrySafety {
    /// The safety of a request: `opt_in` is the caller's word (`Some(true)`:
    /// treat as idempotent, `Some(false)`: treat as not idempotent, `None`:
    /// decide from the method and the `Idempotency-Key` header).
    ///
    /// ```
    /// use http::{HeaderMap, Method};
    /// use staunch_http::{RetrySafety, IDEMPOTENCY_KEY};
    ///
    /// let mut headers = HeaderMap::new();
    /// assert_eq!(RetrySafety::of(&Method::POST, &headers, None), RetrySafety::UnsentOnly);
    /// assert_eq!(RetrySafety::of(&Method::POST, &headers, Some(true)), RetrySafety::Always);
    /// headers.insert(IDEMPOTENCY_KEY, "order-42".parse().unwrap());
    /// assert_eq!(RetrySafety::of(&Method::POST, &headers, None), RetrySafety::Always);
    /// ```
    pub fn of(method: &Method, headers: &HeaderMap, opt_in: Option<bool>) -> Self {
        let safe = match opt_in {
            Some(idempotent) => idempotent,
            None => is_idempotent(method) || headers.contains_key(IDEMPOTENCY_KEY),
        };
        if safe {
            Self::Always
        } else {
            Self::UnsentOnly
        }
    }

    /// Whether a failure may be retried; `nothing_sent` says whether it
    /// proves the request never reached the server.
    pub const fn allows(self, nothing_sent: bool) -> bool {
        matches!(self, Self::Always) || nothing_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_and_idempotent_methods_retry() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            let method = Method::from_bytes(m.as_bytes()).unwrap();
            assert!(is_idempotent(&method), "{m}");
            assert_eq!(
                RetrySafety::of(&method, &HeaderMap::new(), None),
                RetrySafety::Always
            );
        }
    }

    #[test]
    fn post_patch_and_others_retry_only_unsent_requests() {
        for m in ["POST", "PATCH", "CONNECT", "PURGE"] {
            let method = Method::from_bytes(m.as_bytes()).unwrap();
            let safety = RetrySafety::of(&method, &HeaderMap::new(), None);
            assert_eq!(safety, RetrySafety::UnsentOnly, "{m}");
            assert!(!safety.allows(false), "{m}");
            assert!(safety.allows(true), "{m}");
        }
    }

    #[test]
    fn idempotency_key_makes_post_retryable() {
        let mut headers = HeaderMap::new();
        headers.insert(IDEMPOTENCY_KEY, "k-1".parse().unwrap());
        assert_eq!(
            RetrySafety::of(&Method::PATCH, &headers, None),
            RetrySafety::Always
        );
    }

    #[test]
    fn explicit_no_overrides_an_idempotent_method() {
        let safety = RetrySafety::of(&Method::GET, &HeaderMap::new(), Some(false));
        assert_eq!(safety, RetrySafety::UnsentOnly);
    }
}
