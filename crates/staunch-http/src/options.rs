//! [`RequestOptions`]: per-request overrides, carried in request extensions.

use std::time::Duration;

/// Overrides for one request, put in its extensions: reqwest-middleware's
/// `RequestBuilder::with_extension`, or `http::Request::extensions_mut` for
/// the tower layer. Unset fields keep the [`HttpPolicy`](crate::HttpPolicy)'s
/// values.
///
/// ```
/// use staunch_http::RequestOptions;
/// use std::time::Duration;
///
/// let mut request = http::Request::post("http://127.0.0.1/orders").body(()).unwrap();
/// request.extensions_mut().insert(
///     RequestOptions::new()
///         .with_max_attempts(5)
///         .with_attempt_timeout(Duration::from_secs(2))
///         .with_idempotent(true), // this POST may be retried
/// );
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    max_attempts: Option<u32>,
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    idempotent: Option<bool>,
}

impl RequestOptions {
    /// No overrides.
    pub const fn new() -> Self {
        Self {
            max_attempts: None,
            attempt_timeout: None,
            deadline: None,
            idempotent: None,
        }
    }

    /// The most attempts for this request, the first included (0 is read
    /// as 1, like the policy builder does).
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(if attempts == 0 { 1 } else { attempts });
        self
    }

    /// The time allowed for each attempt of this request.
    pub const fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The time allowed for the whole request, attempts and sleeps included.
    pub const fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// `true`: this request may be retried whatever its method (the caller
    /// knows a repeat is harmless). `false`: treat it as not idempotent
    /// (retried only when nothing was sent) even if its method is.
    pub const fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// The overridden attempt count.
    pub const fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The overridden attempt timeout.
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The overridden deadline.
    pub const fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The caller's idempotency word, if given.
    pub const fn idempotent(&self) -> Option<bool> {
        self.idempotent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_attempts_still_make_one() {
        let options = RequestOptions::new().with_max_attempts(0);
        assert_eq!(options.max_attempts(), Some(1));
    }

    #[test]
    fn new_overrides_nothing() {
        assert_eq!(RequestOptions::new(), RequestOptions::default());
        assert_eq!(RequestOptions::new().idempotent(), None);
    }
}
