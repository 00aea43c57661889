//! The seam where the engine plugs in: one attempt, and the loop that runs
//! the attempts of a request.
//!
//! - [`attempt_once`] sends one HTTP request to one endpoint and returns the
//!   upstream response or a classified [`AttemptError`].
//! - [`connect_once`] opens one tunnel to a `host:port` through one endpoint
//!   (directly, or with `CONNECT` through an upstream proxy).
//! - [`run_attempts`] runs the attempts of one client request across a list
//!   of endpoints and decides when to stop.
//!
//! [`run_attempts`] is deliberately plain: each endpoint once, in order,
//! skipping those whose circuit breaker is open, up to the live policy's
//! `max_attempts`, each retry asking the retry budget, every attempt
//! recorded on its breaker and in the metrics store, stopping at the first
//! answer that is not worth another attempt. The engine's failover executor
//! (selection strategy, backoff) replaces its body; the [`Attempt`] trait
//! and the types here are what it works with.

mod connect;
mod error;
mod http;
mod record;
mod runner;

use std::future::Future;
use std::time::Duration;

use crate::endpoint::Endpoint;

pub use self::connect::{connect_once, ConnectAttempt, Tunnel};
pub use self::error::{AttemptError, AttemptErrorKind};
pub use self::http::{attempt_once, HttpAttempt, Outgoing};
pub use self::runner::{
    run_attempts, AttemptLimits, Attempted, AttemptsFailed, UNAVAILABLE_RETRY_AFTER,
};

/// One kind of attempt (an HTTP exchange, a tunnel connect) that the runner
/// can make against any endpoint.
pub trait Attempt {
    /// What a successful attempt yields.
    type Output: Send;

    /// Makes one attempt at `endpoint`. `time_left` is what remains of the
    /// request's deadline; the runner also cuts the attempt off at it.
    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send;

    /// Whether an answer is worth trying another endpoint for (a status
    /// in the retry policy's list). It is still returned if no later
    /// attempt does better.
    fn is_retryable(&self, output: &Self::Output) -> bool;

    /// Whether an answer says the endpoint is unhealthy (a 5xx): it counts
    /// as a failure on the endpoint's circuit breaker. Failed attempts
    /// always count.
    fn is_endpoint_failure(&self, output: &Self::Output) -> bool {
        let _ = output;
        false
    }

    /// The protocol status of an answer, for metrics.
    fn status(&self, output: &Self::Output) -> Option<u16> {
        let _ = output;
        None
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod engine_tests;
