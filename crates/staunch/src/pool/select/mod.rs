//! Choosing an endpoint: the [`Strategy`] trait and the built-in strategies.
//!
//! A strategy sees [`Candidates`] (a pool snapshot plus the call's
//! restrictions) and a seedable generator, and returns an index. Restrictions
//! are applied by [`Candidates::is_eligible`], so every strategy honours the
//! same rules: endpoints already tried in the call are skipped while another
//! is eligible, and endpoints the caller's availability check refuses are
//! never chosen.

mod best_of;
mod candidates;
mod context;
mod exclusions;
mod kind;
mod least_in_flight;
mod p2c;
mod performance;
mod random;
mod ranking;
mod region;
mod round_robin;
mod sampling;
mod selected;
mod weighted;

pub use candidates::Candidates;
pub use context::{AvailabilityFn, SelectContext};
pub use kind::StrategyKind;
pub use least_in_flight::LeastInFlight;
pub use p2c::PowerOfTwoChoices;
pub use performance::{
    performance_score, PerformanceScore, DEFAULT_REFRESH_EVERY, DEFAULT_UNKNOWN_SUCCESS_RATIO,
    LATENCY_WEIGHT, SUCCESS_WEIGHT,
};
pub use random::Random;
pub use region::{RegionAffinity, DEFAULT_AFFINITY_TAG};
pub use round_robin::RoundRobin;
pub use sampling::{Sampling, DEFAULT_EXACT_SCAN_LIMIT, MAX_SAMPLE_SIZE};
pub use selected::Selected;
pub use weighted::Weighted;

use std::fmt;
use std::sync::Arc;

use rand::rngs::SmallRng;

/// A rule for choosing one endpoint among candidates.
///
/// Implementations return the index (into [`Candidates::entries`]) of an
/// endpoint for which [`Candidates::is_eligible`] holds, or `None` only when
/// no index is eligible. They must not block and should not allocate: they
/// run on every attempt. State (a round-robin counter, a cached ranking) lives
/// in atomics inside the strategy, which is shared by all callers.
///
/// The trait is object safe; [`StrategyKind::build`] returns a boxed one.
///
/// ```
/// use rand::rngs::SmallRng;
/// use staunch::pool::{Candidates, Endpoint, Pool, SelectContext, Strategy};
///
/// /// Always the eligible endpoint with the highest weight.
/// #[derive(Debug)]
/// struct Heaviest;
///
/// impl<A> Strategy<A> for Heaviest {
///     fn select(&self, candidates: &Candidates<'_, A>, _rng: &mut SmallRng) -> Option<usize> {
///         (0..candidates.len())
///             .filter(|&i| candidates.is_eligible(i))
///             .max_by(|&a, &b| {
///                 let (wa, wb) = (candidates.entries()[a].weight(), candidates.entries()[b].weight());
///                 wa.total_cmp(&wb)
///             })
///     }
/// }
///
/// let pool = Pool::new([
///     Endpoint::new("light", ()),
///     Endpoint::new("heavy", ()).with_weight(5.0),
/// ])
/// .unwrap();
/// let chosen = pool.select(&Heaviest, &mut SelectContext::seeded(1)).unwrap();
/// assert_eq!(chosen.id(), "heavy");
/// ```
pub trait Strategy<A>: Send + Sync + fmt::Debug {
    /// Chooses an eligible candidate, or `None` when none is eligible.
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize>;
}

impl<A, S: Strategy<A> + ?Sized> Strategy<A> for Box<S> {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        (**self).select(candidates, rng)
    }
}

impl<A, S: Strategy<A> + ?Sized> Strategy<A> for Arc<S> {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        (**self).select(candidates, rng)
    }
}

impl<A, S: Strategy<A> + ?Sized> Strategy<A> for &S {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        (**self).select(candidates, rng)
    }
}
