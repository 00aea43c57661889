//! Where the engine meets HTTP: one attempt, and the loop that runs the
//! attempts of a request on the engine's failover executor.
//!
//! - [`attempt_once`] sends one HTTP request to one endpoint and returns the
//!   upstream response or a classified [`AttemptError`].
//! - [`connect_once`] opens one tunnel to a `host:port` through one endpoint
//!   (directly, or with `CONNECT` through an upstream proxy).
//! - [`run_attempts`] runs the attempts of one client request over an
//!   [`Upstream`](crate::upstream::Upstream) under the live retry policy:
//!   the upstream's strategy picks each endpoint among those whose breaker
//!   is closed, a retryable answer or failure is retried after the backoff
//!   (or at once on an endpoint not tried yet), `Retry-After` is honoured,
//!   the retry budget is asked, and every attempt is recorded.

mod connect;
mod error;
mod gate;
mod http;
mod outcome;
mod runner;

use std::future::Future;
use std::time::Duration;

use crate::endpoint::Endpoint;

pub use self::connect::{connect_once, ConnectAttempt, Tunnel};
pub use self::error::{AttemptError, AttemptErrorKind};
pub use self::http::{attempt_once, HttpAttempt, Outgoing};
pub use self::outcome::{AttemptLimits, Attempted, AttemptsFailed, UNAVAILABLE_RETRY_AFTER};
pub use self::runner::{run_attempts, run_attempts_under};

/// One kind of attempt (an HTTP exchange, a tunnel connect) that the runner
/// can make against any endpoint.
///
/// How the runner reads the outcomes: an answer for which
/// [`is_retryable`](Self::is_retryable) holds is retried (and counts as a
/// failure in the endpoint's statistics); any other answer ends the request
/// (a [`status`](Self::status) of 400 or more is recorded as final, not as
/// a success). The endpoint's circuit breaker records a failure for the
/// answers [`is_endpoint_failure`](Self::is_endpoint_failure) names. Every
/// [`AttemptError`] is retried and is a failure of the endpoint, except
/// [`AttemptErrorKind::BodyNotReplayable`] and [`AttemptErrorKind::ClientBody`].
pub trait Attempt {
    /// What a successful attempt yields.
    type Output: Send;

    /// Makes one attempt at `endpoint`. `time_left` is the time this attempt
    /// may take (the attempt timeout, or what remains of the request's
    /// deadline); the runner also cuts the attempt off at it.
    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send;

    /// Whether an answer is worth another attempt (a status in the retry
    /// policy's list). It is returned as it is if retrying stops on it.
    fn is_retryable(&self, output: &Self::Output) -> bool;

    /// Whether an answer says the endpoint is unhealthy, for its circuit
    /// breaker. By default, whether it is retryable; [`HttpAttempt`] names
    /// 500, 502, 503 and 504 (a 429 is retried elsewhere but says nothing
    /// bad about the server).
    fn is_endpoint_failure(&self, output: &Self::Output) -> bool {
        self.is_retryable(output)
    }

    /// How long the endpoint asked to be left alone, from a retryable
    /// answer (`Retry-After`): the next attempt waits at least this long
    /// (capped by the policy's `max_retry_after`) unless it goes to another
    /// endpoint.
    fn retry_after(&self, output: &Self::Output) -> Option<Duration> {
        let _ = output;
        None
    }

    /// The protocol status of an answer.
    fn status(&self, output: &Self::Output) -> Option<u16> {
        let _ = output;
        None
    }

    /// Lets go of a retryable answer that a later answer replaced. By
    /// default it is dropped; [`HttpAttempt`] reads the rest of a small body
    /// in the background, so the connection it came on can be reused.
    fn discard(&mut self, output: Self::Output) {
        drop(output);
    }
}

#[cfg(test)]
mod script;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod engine_tests;
