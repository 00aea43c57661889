//! The simulated storage providers: how each one fails.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use staunch::budget::RetryBudget;

/// Why a provider refused an upload.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UploadError {
    /// 503: worth retrying.
    Unavailable,
    /// The connection dropped: worth retrying.
    Reset,
    /// 413: this provider will never take this file.
    TooLarge { limit_mb: u32 },
}

impl UploadError {
    pub(crate) fn is_transient(&self) -> bool {
        !matches!(self, Self::TooLarge { .. })
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable => f.write_str("503 Service Unavailable"),
            Self::Reset => f.write_str("connection reset"),
            Self::TooLarge { limit_mb } => write!(f, "413 Payload Too Large (limit {limit_mb} MB)"),
        }
    }
}

/// How a simulated provider fails.
pub(crate) enum Behaviour {
    /// Works, except every `fail_every`-th request and files over `max_mb`.
    Reliable { fail_every: u32, max_mb: u32 },
    /// Drops every other connection.
    Flaky,
    /// Answers 503 until `until` after the start, then works.
    Outage { until: Duration },
}

/// One simulated storage provider, with its own retry budget.
pub(crate) struct Provider {
    pub(crate) name: &'static str,
    pub(crate) behaviour: Behaviour,
    pub(crate) latency: Duration,
    pub(crate) requests: AtomicU32,
    pub(crate) budget: RetryBudget,
}

impl Provider {
    pub(crate) fn upload(&self, file: &File, since_start: Duration) -> Result<String, UploadError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        thread::sleep(self.latency);
        let failed = match self.behaviour {
            Behaviour::Reliable { max_mb, .. } if file.size_mb > max_mb => {
                Some(UploadError::TooLarge { limit_mb: max_mb })
            }
            Behaviour::Reliable { fail_every, .. } => {
                (n % fail_every == 0).then_some(UploadError::Unavailable)
            }
            Behaviour::Flaky => (n % 2 == 0).then_some(UploadError::Reset),
            Behaviour::Outage { until } => {
                (since_start < until).then_some(UploadError::Unavailable)
            }
        };
        match failed {
            Some(error) => Err(error),
            None => Ok(format!("{}-{:04x}", self.name, n * 2654 % 65_536)),
        }
    }
}

pub(crate) struct File {
    pub(crate) number: usize,
    pub(crate) name: String,
    pub(crate) size_mb: u32,
}
