//! How the attempts of one request end: the limits they run under, the
//! answer, or the failures and when to come back.

use std::time::Duration;

use staunch::breaker::CircuitState;
use staunch::retry::StopReason;
use tokio::time::Instant;

use super::{AttemptError, AttemptErrorKind};
use crate::endpoint::Endpoint;
use crate::engine::Engine;
use crate::upstream::Upstream;

/// The shortest `Retry-After` the gateway answers with; an open breaker's
/// next probe time is used when it is later.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The limits one client request puts on its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Attempts allowed, the first included (at least 1).
    pub max_attempts: u32,
    /// No attempt starts after this instant, no backoff sleep ends past it,
    /// and the attempt in flight is cut off at it.
    pub deadline: Option<Instant>,
    /// Whether the request may be repeated after an attempt that may have
    /// reached its endpoint (an idempotent or opted-in request). When
    /// `false`, only failures that prove nothing was sent are retried.
    pub repeat_after_delivery: bool,
}

impl AttemptLimits {
    /// One attempt, no deadline, no repeat: a request that must not be sent
    /// twice.
    pub const ONCE: Self = Self {
        max_attempts: 1,
        deadline: None,
        repeat_after_delivery: false,
    };
}

/// The answer a request ends with.
#[derive(Debug)]
pub struct Attempted<T> {
    /// The answer (a response, a tunnel).
    pub output: T,
    /// Attempts made for this request, the one that answered included.
    pub attempts: u32,
    /// The endpoint that answered.
    pub endpoint: Endpoint,
}

/// No attempt produced an answer.
#[derive(Debug)]
pub struct AttemptsFailed {
    /// Attempts made (sent).
    pub attempts: u32,
    /// Why each attempt failed, in order; when every endpoint was
    /// unavailable, one [`AttemptErrorKind::CircuitOpen`] per endpoint whose
    /// breaker is not closed follows.
    pub errors: Vec<AttemptError>,
    /// When the client may try again: the soonest next probe of an open
    /// breaker when every endpoint was unavailable, else
    /// [`UNAVAILABLE_RETRY_AFTER`] (never less).
    pub retry_after: Duration,
    /// Why retrying stopped.
    pub reason: StopReason,
}

impl AttemptsFailed {
    /// The last failure.
    pub fn last_error(&self) -> Option<&AttemptError> {
        self.errors.last()
    }

    /// Whether no endpoint could be tried because every breaker was open.
    pub fn all_unavailable(&self) -> bool {
        matches!(self.reason, StopReason::AllUnavailable { .. })
    }
}

/// One error per endpoint of `upstream` whose breaker is not closed.
pub(super) fn unavailable(engine: &Engine, upstream: &Upstream) -> Vec<AttemptError> {
    if !upstream.has_breakers() {
        return Vec::new();
    }
    let breakers = engine.breakers();
    upstream
        .endpoints()
        .iter()
        .filter_map(|endpoint| {
            let snapshot = breakers.find(endpoint.id())?.snapshot();
            let why = match (snapshot.state, snapshot.next_probe_in) {
                (CircuitState::Closed, _) => return None,
                (CircuitState::Isolated, _) => "isolated by hand".to_string(),
                (state, Some(wait)) => {
                    format!("{state}, next probe in {:.1} s", wait.as_secs_f64())
                }
                (state, None) => format!("{state}, probe slots busy"),
            };
            Some(AttemptError::new(AttemptErrorKind::CircuitOpen, endpoint.id()).with_source(why))
        })
        .collect()
}

/// A request whose deadline passed before its first attempt.
pub(super) fn out_of_time(upstream: &Upstream) -> AttemptsFailed {
    let id = upstream
        .endpoints()
        .first()
        .map_or(upstream.name(), Endpoint::id);
    AttemptsFailed {
        attempts: 0,
        errors: vec![AttemptError::new(AttemptErrorKind::Timeout, id)],
        retry_after: UNAVAILABLE_RETRY_AFTER,
        reason: StopReason::Deadline,
    }
}
