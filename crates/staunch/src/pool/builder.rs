//! Building a pool.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::endpoint::Endpoint;
use super::error::PoolError;
use super::pool::Pool;
use super::stats::{validate_alpha, DEFAULT_EWMA_ALPHA};
use crate::clock::{Clock, SystemClock};

/// Builds a [`Pool`].
///
/// Defaults: no endpoints (and an empty pool is refused unless
/// [`allow_empty`](Self::allow_empty) is called), EWMA alpha
/// [`DEFAULT_EWMA_ALPHA`] (0.2), the [`SystemClock`].
///
/// ```
/// use staunch::clock::ManualClock;
/// use staunch::pool::{Endpoint, Pool};
///
/// let pool = Pool::builder()
///     .with_endpoint(Endpoint::new("a", ()).with_weight(3.0))
///     .with_endpoint(Endpoint::new("b", ()))
///     .with_ewma_alpha(0.5)
///     .with_clock(ManualClock::new())
///     .build()?;
/// assert_eq!(pool.len(), 2);
/// # Ok::<(), staunch::pool::PoolError>(())
/// ```
pub struct PoolBuilder<A> {
    endpoints: Vec<Endpoint<A>>,
    ewma_alpha: f64,
    clock: Arc<dyn Clock>,
    allow_empty: bool,
}

impl<A> PoolBuilder<A> {
    /// A builder with the defaults above.
    pub fn new() -> Self {
        Self {
            endpoints: Vec::new(),
            ewma_alpha: DEFAULT_EWMA_ALPHA,
            clock: Arc::new(SystemClock),
            allow_empty: false,
        }
    }

    /// Adds one endpoint.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: Endpoint<A>) -> Self {
        self.endpoints.push(endpoint);
        self
    }

    /// Adds endpoints.
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: impl IntoIterator<Item = Endpoint<A>>) -> Self {
        self.endpoints.extend(endpoints);
        self
    }

    /// Sets the EWMA smoothing factor of latency averages, in (0, 1]: the
    /// weight of each new sample.
    #[must_use]
    pub fn with_ewma_alpha(mut self, alpha: f64) -> Self {
        self.ewma_alpha = alpha;
        self
    }

    /// Sets the clock attempts are timed with.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Accepts building a pool with no endpoint (filled at run time).
    #[must_use]
    pub fn allow_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    /// Checks everything and builds the pool.
    ///
    /// Refused: no endpoint (unless allowed), an empty or duplicate id, a
    /// weight that is 0, negative, NaN or infinite (or a total weight that
    /// overflows), an EWMA alpha outside (0, 1].
    pub fn build(self) -> Result<Pool<A>, PoolError> {
        validate_alpha(self.ewma_alpha)?;
        if self.endpoints.is_empty() && !self.allow_empty {
            return Err(PoolError::empty());
        }
        let mut seen = HashSet::with_capacity(self.endpoints.len());
        let mut total = 0.0;
        for endpoint in &self.endpoints {
            endpoint.validate()?;
            if !seen.insert(endpoint.id()) {
                return Err(PoolError::duplicate_id(endpoint.id()));
            }
            total += endpoint.weight();
            if !f64::is_finite(total) {
                return Err(PoolError::total_weight_overflow(
                    endpoint.id(),
                    endpoint.weight(),
                ));
            }
        }
        let entries = self
            .endpoints
            .into_iter()
            .map(|e| Pool::new_entry(e, &self.clock, self.ewma_alpha))
            .collect();
        Ok(Pool::from_parts(entries, self.clock, self.ewma_alpha))
    }
}

impl<A> Default for PoolBuilder<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> fmt::Debug for PoolBuilder<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field(
                "endpoints",
                &self.endpoints.iter().map(Endpoint::id).collect::<Vec<_>>(),
            )
            .field("ewma_alpha", &self.ewma_alpha)
            .field("allow_empty", &self.allow_empty)
            .finish_non_exhaustive()
    }
}
