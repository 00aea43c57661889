//! Endpoint pools and selection strategies.
//!
//! A [`Pool`] holds [`Endpoint`]s (an id, an address payload, a weight, tags)
//! and live statistics for each one ([`EndpointStats`]: in-flight count, EWMA
//! latency, success ratio over the last [`OUTCOME_WINDOW`] outcomes, last
//! error), recorded lock-free. Endpoints can be added and removed while
//! callers select.
//!
//! A [`Strategy`] chooses the endpoint for each attempt: [`RoundRobin`],
//! [`Random`], [`Weighted`], [`LeastInFlight`], [`PowerOfTwoChoices`] on EWMA
//! latency, [`PerformanceScore`] and [`RegionAffinity`] around any of them.
//! [`StrategyKind`] names them for configuration.
//!
//! A [`SelectContext`] carries one call's state across attempts: endpoints
//! already tried (skipped while another is available), the endpoint that
//! failed last (for region affinity), the caller's availability check (for
//! example "its breaker is not open") and a seedable random generator.
//!
//! A [`Failover`] runs calls over a pool: each attempt on an endpoint chosen
//! by a strategy among those whose circuit breaker is not open, retries on
//! other endpoints, hedging, retry budget and metrics (see [`failover`]).
//!
//! ```
//! use staunch::pool::{Endpoint, Pool, PerformanceScore, SelectContext};
//!
//! let pool = Pool::new([
//!     Endpoint::new("proxy-1", "http://10.0.0.1:3128").with_tag("region", "eu"),
//!     Endpoint::new("proxy-2", "http://10.0.0.2:3128").with_tag("region", "us"),
//! ])?;
//! let strategy = PerformanceScore::new();
//! let mut ctx = SelectContext::seeded(42);
//!
//! let first = pool.select(&strategy, &mut ctx).unwrap();
//! let attempt = first.begin();
//! attempt.failure(&"connection reset");
//! ctx.record_failure(first.entry());
//!
//! // The retry goes elsewhere while another endpoint is available.
//! let second = pool.select(&strategy, &mut ctx).unwrap();
//! assert_ne!(second.id(), first.id());
//! # Ok::<(), staunch::pool::PoolError>(())
//! ```

mod builder;
mod endpoint;
mod entry;
mod error;
mod ewma;
pub mod failover;
mod guard;
mod members;
#[allow(clippy::module_inception)]
mod pool;
mod select;
mod snapshot;
mod stats;
mod window;

pub use builder::PoolBuilder;
pub use endpoint::{Endpoint, Tags, DEFAULT_WEIGHT};
pub use entry::EndpointEntry;
pub use error::{NoEndpoint, PoolError, PoolErrorKind};
pub use failover::{
    Failover, FailoverBuilder, FailoverError, FailoverRun, Hedging, PoolConfig, Target,
};
pub use guard::InFlight;
pub use pool::Pool;
pub use select::{
    performance_score, AvailabilityFn, Candidates, LeastInFlight, PerformanceScore,
    PowerOfTwoChoices, Random, RegionAffinity, RoundRobin, Sampling, SelectContext, Selected,
    Strategy, StrategyKind, Weighted, DEFAULT_AFFINITY_TAG, DEFAULT_EXACT_SCAN_LIMIT,
    DEFAULT_REFRESH_EVERY, DEFAULT_UNKNOWN_SUCCESS_RATIO, LATENCY_WEIGHT, MAX_SAMPLE_SIZE,
    SUCCESS_WEIGHT,
};
pub use snapshot::{EndpointSnapshot, LastErrorSnapshot};
pub use stats::{EndpointStats, LastError, Outcome, DEFAULT_EWMA_ALPHA, MAX_ERROR_MESSAGE_LEN};
pub use window::OUTCOME_WINDOW;
