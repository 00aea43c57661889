//! An endpoint as a pool holds it: the endpoint plus its live statistics.

use std::fmt;
use std::sync::Arc;

use super::endpoint::{Endpoint, Tags};
use super::guard::InFlight;
use super::snapshot::EndpointSnapshot;
use super::stats::EndpointStats;
use crate::clock::Clock;

/// One endpoint of a [`Pool`](super::Pool) with its live statistics.
///
/// Entries are shared (`Arc`): a selection hands one out, the caller starts
/// an attempt on it with [`begin`](Self::begin), and the statistics stay
/// valid even if the endpoint is removed from the pool meanwhile.
pub struct EndpointEntry<A> {
    endpoint: Endpoint<A>,
    stats: EndpointStats,
    clock: Arc<dyn Clock>,
}

impl<A> EndpointEntry<A> {
    pub(crate) fn new(endpoint: Endpoint<A>, stats: EndpointStats, clock: Arc<dyn Clock>) -> Self {
        Self {
            endpoint,
            stats,
            clock,
        }
    }

    /// The endpoint (id, address, weight, tags).
    pub fn endpoint(&self) -> &Endpoint<A> {
        &self.endpoint
    }

    /// The endpoint's id.
    #[inline]
    pub fn id(&self) -> &str {
        self.endpoint.id()
    }

    /// The endpoint's id as a shared string (cheap to clone).
    #[inline]
    pub fn shared_id(&self) -> &Arc<str> {
        self.endpoint.shared_id()
    }

    /// The caller's address payload.
    pub fn address(&self) -> &A {
        self.endpoint.address()
    }

    /// The weight used by weighted selection.
    #[inline]
    pub fn weight(&self) -> f64 {
        self.endpoint.weight()
    }

    /// The endpoint's tags.
    pub fn tags(&self) -> &Tags {
        self.endpoint.tags()
    }

    /// The value of one tag.
    #[inline]
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.endpoint.tag(key)
    }

    /// The live statistics.
    #[inline]
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    /// The clock attempts on this endpoint are timed with (the pool's).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Starts an attempt: counts it in flight until the returned guard is
    /// finished or dropped. Finishing records latency and outcome; dropping
    /// (a cancelled attempt) records nothing but the end of the attempt.
    pub fn begin(self: &Arc<Self>) -> InFlight<A> {
        InFlight::start(Arc::clone(self))
    }

    /// A serializable copy of the statistics, for APIs and dashboards. The
    /// address is left out: it may hold credentials.
    pub fn snapshot(&self) -> EndpointSnapshot {
        EndpointSnapshot::of(&self.endpoint, &self.stats)
    }
}

impl<A: fmt::Debug> fmt::Debug for EndpointEntry<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointEntry")
            .field("endpoint", &self.endpoint)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
