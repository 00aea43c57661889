//! [`ErrorKind`]: what kind of transport failure an attempt ended with.

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// What went wrong with an attempt that got no response.
///
/// Found by walking the error's `source()` chain for the errors of `reqwest`,
/// `hyper` and `std::io` ([`ErrorKind::of`]). The name ([`as_str`](Self::as_str))
/// is the `error_kind` of the engine's metrics records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The host name could not be resolved: nothing was sent.
    Dns,
    /// No connection could be made (refused, unreachable, connect timeout):
    /// nothing was sent.
    Connect,
    /// The attempt ran out of time (the attempt timeout or the client's own).
    Timeout,
    /// The connection was reset or closed before the response head arrived:
    /// the server may have received the request.
    Reset,
    /// The request body failed while it was being sent.
    Body,
    /// Anything else (a bad request, a redirect loop, another middleware).
    Other,
}

impl ErrorKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] = [
        Self::Dns,
        Self::Connect,
        Self::Timeout,
        Self::Reset,
        Self::Body,
        Self::Other,
    ];

    /// The short, fixed name used in metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Reset => "reset",
            Self::Body => "body",
            Self::Other => "other",
        }
    }

    /// Whether this failure proves the request never reached the server
    /// (DNS failure, no connection), so retrying it is safe for any method.
    pub const fn nothing_sent(self) -> bool {
        matches!(self, Self::Dns | Self::Connect)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The kind of `error`, from the most telling error in its `source()`
    /// chain: a DNS failure, then a failed connect, then a timeout, then a
    /// reset; [`Other`](Self::Other) when nothing in the chain is known.
    ///
    /// ```
    /// use staunch_http::ErrorKind;
    /// use std::io;
    ///
    /// let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
    /// assert_eq!(ErrorKind::of(&refused), ErrorKind::Connect);
    /// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    /// assert_eq!(ErrorKind::of(&reset), ErrorKind::Reset);
    /// ```
    pub fn of(error: &(dyn StdError + 'static)) -> Self {
        let mut found = Found::default();
        let mut next = Some(error);
        while let Some(e) = next {
            found.inspect(e);
            next = e.source();
        }
        found.kind()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the chain walk saw, one flag per kind.
#[derive(Default)]
struct Found {
    dns: bool,
    connect: bool,
    timeout: bool,
    reset: bool,
    body: bool,
}

impl Found {
    fn inspect(&mut self, e: &(dyn StdError + 'static)) {
        #[cfg(feature = "reqwest")]
        if let Some(e) = e.downcast_ref::<reqwest::Error>() {
            self.connect |= e.is_connect();
            self.timeout |= e.is_timeout();
            self.body |= e.is_body();
            return;
        }
        if let Some(e) = e.downcast_ref::<hyper::Error>() {
            self.timeout |= e.is_timeout();
            self.reset |= e.is_incomplete_message() || e.is_canceled() || e.is_closed();
            self.body |= e.is_body_write_aborted();
            return;
        }
        if let Some(e) = e.downcast_ref::<io::Error>() {
            match e.kind() {
                io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable => {
                    self.connect = true;
                }
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::NotConnected => self.reset = true,
                io::ErrorKind::TimedOut => self.timeout = true,
                _ => {}
            }
        }
        // hyper-util's connector names resolver failures this way; its error
        // type is private, so its message is all there is to go on.
        if !self.dns && e.to_string().starts_with("dns error") {
            self.dns = true;
        }
    }

    fn kind(&self) -> ErrorKind {
        if self.dns {
            ErrorKind::Dns
        } else if self.connect {
            ErrorKind::Connect
        } else if self.timeout {
            ErrorKind::Timeout
        } else if self.reset {
            ErrorKind::Reset
        } else if self.body {
            ErrorKind::Body
        } else {
            ErrorKind::Other
        }
    }
}

/// A set of [`ErrorKind`]s: which failures are retried, or which count as
/// breaker failures.
///
/// ```
/// use staunch_http::{ErrorKind, ErrorKinds};
/// let kinds = ErrorKinds::DEFAULT_RETRY.without(ErrorKind::Timeout);
/// assert!(kinds.contains(ErrorKind::Reset));
/// assert!(!kinds.contains(ErrorKind::Timeout));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ErrorKinds(u8);

impl ErrorKinds {
    /// No kind.
    pub const EMPTY: Self = Self(0);

    /// Retried by default, and breaker failures by default: DNS failures,
    /// failed connects, timeouts and resets.
    pub const DEFAULT_RETRY: Self = Self::EMPTY
        .with(ErrorKind::Dns)
        .with(ErrorKind::Connect)
        .with(ErrorKind::Timeout)
        .with(ErrorKind::Reset);

    /// This set plus `kind`.
    #[must_use]
    pub const fn with(self, kind: ErrorKind) -> Self {
        Self(self.0 | kind.bit())
    }

    /// This set without `kind`.
    #[must_use]
    pub const fn without(self, kind: ErrorKind) -> Self {
        Self(self.0 & !kind.bit())
    }

    /// Whether `kind` is in the set.
    #[inline]
    pub const fn contains(self, kind: ErrorKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

impl fmt::Debug for ErrorKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = ErrorKind::ALL.into_iter().filter(|k| self.contains(*k));
        f.debug_set().entries(kinds).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(&'static str, Option<io::Error>);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_ref().map(|e| e as _)
        }
    }

    #[test]
    fn refused_connection_deep_in_the_chain_is_a_connect_error() {
        let e = Wrapper(
            "tcp connect error",
            Some(io::ErrorKind::ConnectionRefused.into()),
        );
        assert_eq!(ErrorKind::of(&e), ErrorKind::Connect);
        assert!(ErrorKind::of(&e).nothing_sent());
    }

    #[test]
    fn resolver_failure_is_a_dns_error_and_proves_nothing_was_sent() {
        let e = Wrapper("dns error", Some(io::Error::other("no such host")));
        assert_eq!(ErrorKind::of(&e), ErrorKind::Dns);
        assert!(ErrorKind::Dns.nothing_sent());
    }

    #[test]
    fn reset_does_not_prove_nothing_was_sent() {
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(ErrorKind::of(&e), ErrorKind::Reset);
        assert!(!ErrorKind::Reset.nothing_sent());
    }

    #[test]
    fn unknown_errors_are_other() {
        let e = Wrapper("redirect loop", None);
        assert_eq!(ErrorKind::of(&e), ErrorKind::Other);
    }

    #[test]
    fn kinds_set_holds_each_kind_on_its_own_bit() {
        for kind in ErrorKind::ALL {
            let set = ErrorKinds::EMPTY.with(kind);
            for other in ErrorKind::ALL {
                assert_eq!(set.contains(other), kind == other);
            }
        }
        assert!(!ErrorKinds::DEFAULT_RETRY.contains(ErrorKind::Other));
        assert!(!ErrorKinds::DEFAULT_RETRY.contains(ErrorKind::Body));
    }
}
