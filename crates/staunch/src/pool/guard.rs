//! The in-flight guard of one attempt.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::entry::EndpointEntry;
use super::stats::Outcome;

/// An attempt in flight on one endpoint, from
/// [`EndpointEntry::begin`](super::EndpointEntry::begin).
///
/// While it lives, the endpoint's in-flight count includes it. Finish it with
/// [`success`](Self::success), [`failure`](Self::failure) or
/// [`finish`](Self::finish) to record the latency (measured on the pool's
/// clock) and the outcome. Dropping it unfinished (a cancelled future, a
/// panic) only ends the attempt: nothing is recorded, the count goes down.
///
/// ```
/// use staunch::pool::{Endpoint, Pool};
///
/// let pool = Pool::new([Endpoint::new("a", ())]).unwrap();
/// let entry = pool.get("a").unwrap();
/// let attempt = entry.begin();
/// assert_eq!(entry.stats().in_flight(), 1);
/// attempt.success();
/// assert_eq!(entry.stats().in_flight(), 0);
/// assert_eq!(entry.stats().total_successes(), 1);
/// ```
#[must_use = "dropping the guard at once ends the attempt without recording it"]
pub struct InFlight<A> {
    entry: Arc<EndpointEntry<A>>,
    started: Instant,
}

impl<A> InFlight<A> {
    pub(crate) fn start(entry: Arc<EndpointEntry<A>>) -> Self {
        let started = entry.clock().now();
        Self::start_at(entry, started)
    }

    /// An attempt that began at `started`, read from the entry's clock by
    /// the caller (which needed the time anyway).
    pub(crate) fn start_at(entry: Arc<EndpointEntry<A>>, started: Instant) -> Self {
        entry.stats().start();
        Self { entry, started }
    }

    /// When the attempt began, on the pool's clock.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The endpoint this attempt runs on.
    pub fn entry(&self) -> &Arc<EndpointEntry<A>> {
        &self.entry
    }

    /// Time since the attempt began, on the pool's clock.
    pub fn elapsed(&self) -> Duration {
        self.entry
            .clock()
            .now()
            .saturating_duration_since(self.started)
    }

    /// Records a success; returns the measured latency.
    pub fn success(self) -> Duration {
        self.finish(Outcome::Success)
    }

    /// Records a failure and keeps `error`'s message as the endpoint's last
    /// error; returns the measured latency.
    pub fn failure(self, error: &dyn fmt::Display) -> Duration {
        let latency = self.elapsed();
        let at = self.entry.clock().system_now();
        self.entry.stats().record_failure(latency, error, at);
        latency
    }

    /// Records `outcome` (a failure without a message leaves the last error
    /// as it was); returns the measured latency.
    pub fn finish(self, outcome: Outcome) -> Duration {
        let latency = self.elapsed();
        self.entry.stats().record(outcome, latency);
        latency
    }
}

impl<A> Drop for InFlight<A> {
    fn drop(&mut self) {
        self.entry.stats().end();
    }
}

impl<A> fmt::Debug for InFlight<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InFlight")
            .field("endpoint", &self.entry.id())
            .field("started", &self.started)
            .finish()
    }
}
