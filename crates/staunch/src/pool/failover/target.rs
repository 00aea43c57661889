//! What the operation receives: the endpoint of one attempt.

use std::fmt;
use std::sync::Arc;

use crate::pool::EndpointEntry;

/// The endpoint chosen for one attempt, handed to the operation.
///
/// It owns a reference to the pool entry, so an async operation can move it
/// into its future. Cloning is a reference-count increment.
///
/// ```
/// use staunch::breaker::{BreakerConfig, BreakerRegistry};
/// use staunch::pool::{Endpoint, Failover, Pool};
/// use staunch::retry::RetryPolicy;
///
/// let pool = Pool::new([Endpoint::new("proxy-1", "http://10.0.0.1:3128")]).unwrap();
/// let registry = BreakerRegistry::new(BreakerConfig::default()).unwrap();
/// let failover = Failover::builder(pool, registry).build().unwrap();
/// let policy = RetryPolicy::default();
/// let seen = failover
///     .call(&policy, |target| Ok::<_, String>(format!("{} via {}", target.id(), target.address())))
///     .run()
///     .unwrap();
/// assert_eq!(seen, "proxy-1 via http://10.0.0.1:3128");
/// ```
pub struct Target<A> {
    entry: Arc<EndpointEntry<A>>,
    attempt: u32,
    hedge: u32,
}

impl<A> Target<A> {
    pub(crate) fn new(entry: Arc<EndpointEntry<A>>, attempt: u32, hedge: u32) -> Self {
        Self {
            entry,
            attempt,
            hedge,
        }
    }

    /// The endpoint's id.
    pub fn id(&self) -> &str {
        self.entry.id()
    }

    /// The endpoint's address payload.
    pub fn address(&self) -> &A {
        self.entry.address()
    }

    /// The endpoint's tag `key` (for example `region`).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.entry.tag(key)
    }

    /// The pool entry, with its live statistics.
    pub fn entry(&self) -> &Arc<EndpointEntry<A>> {
        &self.entry
    }

    /// The pool entry, taken out of the target.
    pub(crate) fn into_entry(self) -> Arc<EndpointEntry<A>> {
        self.entry
    }

    /// The attempt number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// 0 for the attempt itself; 1, 2, ... for the hedges started beside it.
    pub fn hedge(&self) -> u32 {
        self.hedge
    }
}

impl<A> Clone for Target<A> {
    fn clone(&self) -> Self {
        Self {
            entry: Arc::clone(&self.entry),
            attempt: self.attempt,
            hedge: self.hedge,
        }
    }
}

impl<A> fmt::Debug for Target<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("endpoint", &self.id())
            .field("attempt", &self.attempt)
            .field("hedge", &self.hedge)
            .finish()
    }
}
