//! Failover: each attempt of a call goes to an endpoint of a pool, chosen
//! among those whose circuit breaker would let it through.
//!
//! A [`Failover`] bundles a [`Pool`](crate::pool::Pool), a
//! [`BreakerRegistry`](crate::breaker::BreakerRegistry) keyed by endpoint
//! id, a [`Strategy`](crate::pool::Strategy), and optionally a
//! [`RetryBudget`](crate::budget::RetryBudget) and a
//! [`MetricsSink`](crate::metrics::MetricsSink). A call runs under a
//! [`RetryPolicy`](crate::retry::RetryPolicy) on the ordinary retry
//! executors; the rules live in one [`Interceptor`](crate::retry::Interceptor),
//! [`FailoverRun`]:
//!
//! - endpoints whose breaker is open are skipped; an endpoint that failed
//!   the call is not chosen again while another is available; region
//!   affinity prefers the tag of the endpoint that failed last;
//! - a retry on an endpoint not yet tried waits the failover delay
//!   (default 0) instead of the backoff; one that must reuse an endpoint
//!   waits the backoff;
//! - when no breaker would admit a call, the call fails at once with
//!   [`StopReason::AllUnavailable`](crate::retry::StopReason) and the
//!   soonest next probe time, without sleeping;
//! - each call sent deposits into the budget, each retry and each hedge
//!   withdraws; a refused retry ends the call with `BudgetExhausted`;
//! - every attempt and call is recorded on the endpoint's statistics, its
//!   breaker and the sink.
//!
//! [`Failover::call`] is blocking; `Failover::call_async` and the hedged
//! `Failover::call_hedged` need the `tokio` feature. [`PoolConfig`] is the
//! `[pool]` configuration section.
//!
//! ```
//! use staunch::breaker::{BreakerConfig, BreakerRegistry};
//! use staunch::pool::{Endpoint, Failover, Pool};
//! use staunch::retry::{RetryPolicy, StopReason};
//!
//! let pool = Pool::new([Endpoint::new("a", ()), Endpoint::new("b", ())])?;
//! let registry = BreakerRegistry::new(BreakerConfig::default())?;
//! registry.isolate("a");
//! registry.isolate("b");
//! let failover = Failover::builder(pool, registry).build()?;
//!
//! let err = failover
//!     .call(&RetryPolicy::default(), |_| Ok::<_, String>(()))
//!     .sleeper(|_| panic!("never sleeps"))
//!     .run()
//!     .unwrap_err();
//! assert!(matches!(err.reason(), StopReason::AllUnavailable { .. }));
//! assert_eq!(err.attempts(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "tokio")]
mod asynchronous;
mod blocking;
mod builder;
mod call_ids;
mod config;
mod error;
#[allow(clippy::module_inception)]
mod failover;
mod feedback;
mod health;
#[cfg(feature = "tokio")]
mod hedge_attempt;
#[cfg(feature = "tokio")]
mod hedged;
mod hedging;
mod report;
mod run;
mod target;

#[cfg(feature = "tokio")]
pub use asynchronous::{FailoverAsyncCall, Hedged, Sequential};
pub use blocking::FailoverCall;
pub use builder::FailoverBuilder;
pub use config::PoolConfig;
pub use error::FailoverError;
pub use failover::Failover;
#[cfg(feature = "tokio")]
pub use hedged::FailoverHedgedCall;
pub use hedging::{Hedging, MAX_HEDGES};
pub use run::FailoverRun;
pub use target::Target;
