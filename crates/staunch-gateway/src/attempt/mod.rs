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
//! stopping at the first answer that is not a 5xx. The engine's failover
//! executor (per-endpoint breakers, selection strategy, retry budget,
//! backoff) replaces its body; the [`Attempt`] trait and the types here are
//! what it works with.

mod connect;
mod error;
mod http;
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

    /// Whether an answer is worth trying another endpoint for (a 5xx
    /// response). It is still returned if no later attempt does better.
    fn is_retryable(&self, output: &Self::Output) -> bool;
}

#[cfg(test)]
mod tests;
