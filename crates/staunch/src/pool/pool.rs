//! The pool: a run-time changeable set of endpoints to select from.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use super::builder::PoolBuilder;
use super::endpoint::Endpoint;
use super::entry::EndpointEntry;
use super::error::{NoEndpoint, PoolError};
use super::members::Members;
use super::select::{Candidates, SelectContext, Selected, Strategy};
use super::snapshot::EndpointSnapshot;
use super::stats::EndpointStats;
use crate::clock::Clock;

/// A set of endpoints with live statistics, changeable while in use.
///
/// Readers (selection, lookups) load the current snapshot with one lock-free
/// `arc-swap` load and never wait. Adding or removing an endpoint copies the
/// snapshot, changes the copy and swaps it in (writers take a mutex among
/// themselves only). A selection that loaded the old snapshot just before a
/// removal may still return the removed endpoint; every selection that starts
/// after [`remove`](Self::remove) returns will not.
///
/// ```
/// use staunch::pool::{Endpoint, Pool, PowerOfTwoChoices, SelectContext};
///
/// let pool = Pool::new([
///     Endpoint::new("a", "http://10.0.0.1"),
///     Endpoint::new("b", "http://10.0.0.2"),
/// ])?;
/// pool.add(Endpoint::new("c", "http://10.0.0.3"))?;
/// pool.remove("a");
/// let chosen = pool.select(&PowerOfTwoChoices::new(), &mut SelectContext::seeded(1)).unwrap();
/// assert!(chosen.id() == "b" || chosen.id() == "c");
/// # Ok::<(), staunch::pool::PoolError>(())
/// ```
pub struct Pool<A> {
    members: ArcSwap<Members<A>>,
    writer: Mutex<()>,
    clock: Arc<dyn Clock>,
    ewma_alpha: f64,
}

impl<A> Pool<A> {
    /// A pool of `endpoints` with the builder's defaults; refuses an empty
    /// list, duplicate ids and invalid weights.
    pub fn new(endpoints: impl IntoIterator<Item = Endpoint<A>>) -> Result<Self, PoolError> {
        PoolBuilder::new().with_endpoints(endpoints).build()
    }

    /// A builder with documented defaults.
    pub fn builder() -> PoolBuilder<A> {
        PoolBuilder::new()
    }

    pub(crate) fn from_parts(
        entries: Vec<Arc<EndpointEntry<A>>>,
        clock: Arc<dyn Clock>,
        ewma_alpha: f64,
    ) -> Self {
        Self {
            members: ArcSwap::from_pointee(Members::new(entries)),
            writer: Mutex::new(()),
            clock,
            ewma_alpha,
        }
    }

    pub(crate) fn new_entry(
        endpoint: Endpoint<A>,
        clock: &Arc<dyn Clock>,
        ewma_alpha: f64,
    ) -> Arc<EndpointEntry<A>> {
        Arc::new(EndpointEntry::new(
            endpoint,
            EndpointStats::with_valid_alpha(ewma_alpha),
            Arc::clone(clock),
        ))
    }

    /// Adds an endpoint with fresh statistics and returns its entry. Refuses
    /// a duplicate id, an empty id and an invalid weight.
    pub fn add(&self, endpoint: Endpoint<A>) -> Result<Arc<EndpointEntry<A>>, PoolError> {
        endpoint.validate()?;
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.members.load_full();
        if current.position(endpoint.id()).is_some() {
            return Err(PoolError::duplicate_id(endpoint.id()));
        }
        if !(current.total_weight() + endpoint.weight()).is_finite() {
            return Err(PoolError::total_weight_overflow(
                endpoint.id(),
                endpoint.weight(),
            ));
        }
        let entry = Self::new_entry(endpoint, &self.clock, self.ewma_alpha);
        let mut entries = current.entries().to_vec();
        entries.push(Arc::clone(&entry));
        self.members.store(Arc::new(Members::new(entries)));
        tracing::debug!(endpoint = entry.id(), "endpoint added to pool");
        Ok(entry)
    }

    /// Removes the endpoint with this id and returns its entry (whose
    /// statistics stay readable), or `None` when no endpoint has that id.
    pub fn remove(&self, id: &str) -> Option<Arc<EndpointEntry<A>>> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.members.load_full();
        let position = current.position(id)?;
        let mut entries = current.entries().to_vec();
        let removed = entries.remove(position);
        self.members.store(Arc::new(Members::new(entries)));
        tracing::debug!(endpoint = id, "endpoint removed from pool");
        Some(removed)
    }

    /// The endpoint with this id.
    pub fn get(&self, id: &str) -> Option<Arc<EndpointEntry<A>>> {
        let members = self.members.load();
        members
            .position(id)
            .map(|i| Arc::clone(&members.entries()[i]))
    }

    /// Whether an endpoint has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.members.load().position(id).is_some()
    }

    /// How many endpoints the pool holds now.
    pub fn len(&self) -> usize {
        self.members.load().entries().len()
    }

    /// Whether the pool holds no endpoint now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The endpoints now, in pool order.
    pub fn entries(&self) -> Vec<Arc<EndpointEntry<A>>> {
        self.members.load().entries().to_vec()
    }

    /// Runs `f` on the current endpoints without copying them (the snapshot
    /// stays alive for the duration of `f`, so keep `f` short).
    pub fn with_entries<R>(&self, f: impl FnOnce(&[Arc<EndpointEntry<A>>]) -> R) -> R {
        f(self.members.load().entries())
    }

    /// Serializable statistics of every endpoint, in pool order.
    pub fn stats(&self) -> Vec<EndpointSnapshot> {
        let members = self.members.load();
        members.entries().iter().map(|e| e.snapshot()).collect()
    }

    /// The EWMA smoothing factor given to new endpoints.
    pub fn ewma_alpha(&self) -> f64 {
        self.ewma_alpha
    }

    /// The clock attempts are timed with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Chooses an endpoint with `strategy`, honouring `ctx`.
    ///
    /// Endpoints refused by the context's availability check are never
    /// chosen. Endpoints marked as tried are skipped while another eligible
    /// endpoint exists; when every available endpoint was tried, they are
    /// offered again. Errors: [`NoEndpoint::Empty`] when the pool has no
    /// endpoint, [`NoEndpoint::AllUnavailable`] when the availability check
    /// refuses every endpoint.
    ///
    /// No allocation: one snapshot load, the strategy, one `Arc` clone.
    pub fn select<S: Strategy<A> + ?Sized>(
        &self,
        strategy: &S,
        ctx: &mut SelectContext<'_, A>,
    ) -> Result<Selected<A>, NoEndpoint> {
        let members = self.members.load();
        let n = members.entries().len();
        if n == 0 {
            return Err(NoEndpoint::Empty);
        }
        let (excluded, available, last_failed, rng) = ctx.parts();
        let strict = Candidates::new(&members, Some(excluded), available, last_failed);
        let mut chosen = strategy.select(&strict, rng);
        let mut pass = strict;
        if chosen.is_none() && strict.has_exclusions() {
            pass = strict.without_exclusions();
            chosen = strategy.select(&pass, rng);
        }
        let index = match chosen {
            Some(i) if i < n => i,
            // A strategy answered out of range: take the first eligible one
            // rather than fail the call.
            Some(_) => pass
                .next_eligible(0)
                .ok_or(NoEndpoint::AllUnavailable { endpoints: n })?,
            None => return Err(NoEndpoint::AllUnavailable { endpoints: n }),
        };
        Ok(Selected::new(Arc::clone(&members.entries()[index]), index))
    }
}

impl<A> fmt::Debug for Pool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = self.members.load();
        f.debug_struct("Pool")
            .field(
                "endpoints",
                &members.entries().iter().map(|e| e.id()).collect::<Vec<_>>(),
            )
            .field("ewma_alpha", &self.ewma_alpha)
            .finish_non_exhaustive()
    }
}
