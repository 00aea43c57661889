//! # staunch
//!
//! One resilience engine for calls to flaky things: retry with backoff and
//! jitter, circuit breakers keyed per endpoint, endpoint pools with failover,
//! retry budgets and a 24-hour metrics store. Blocking and async (tokio).
//!
//! The pieces compose in one direction: a retry policy runs attempts; each
//! attempt may go through a circuit breaker (one per key, shared by every
//! caller); a pool picks which endpoint each attempt goes to; a budget stops
//! retries from turning an outage into a storm; every attempt is recorded.
//!
//! ## Map
//!
//! | module | what | main types |
//! |---|---|---|
//! | [`backoff`] | delay schedules, jitter, cap | [`Backoff`], [`Schedule`], [`Jitter`] |
//! | [`retry`] | the retry loop, blocking and async, and its [`Interceptor`] seam | [`RetryPolicy`], [`RetryError`], [`StopReason`], [`Verdict`] |
//! | [`breaker`] | circuit breakers, a keyed registry, the retry guard | [`Breaker`], [`BreakerRegistry`], [`BreakerConfig`], [`BreakerGuard`] |
//! | [`pool`] | endpoints, live stats, selection strategies | [`Pool`], [`Endpoint`], [`Strategy`] |
//! | [`budget`] | retries as a share of recent requests | [`RetryBudget`], [`BudgetConfig`], [`BudgetGuard`] |
//! | [`metrics`] | attempt and call records, the 24 h store, Prometheus text | [`MetricsStore`], [`MetricsSink`], [`MetricsRecorder`] |
//! | [`config`] | one serde model: defaults < TOML file < environment | [`StaunchConfig`], [`ConfigError`] |
//! | [`clock`] | injected time | [`Clock`], [`SystemClock`], [`ManualClock`] |
//!
//! Breakers, budgets and metrics join a retry call as interceptors, retry
//! outside and breaker inside: `policy.call_with((breaker_guard,
//! (budget_guard, recorder)), |_| op())`. A tuple runs its parts in order,
//! so put the breaker first (an open breaker then stops a retry before the
//! budget pays for it).
//!
//! ## Example
//!
//! ```
//! use staunch::{BreakerConfig, BreakerRegistry, MetricsRecorder, MetricsStore, RetryBudget,
//!     RetryPolicy, StopReason};
//! use std::time::Duration;
//!
//! let providers = BreakerRegistry::<String>::new(
//!     BreakerConfig::default().with_consecutive_failures(3),
//! )?;
//! let budget = RetryBudget::default();
//! let store = MetricsStore::default();
//! let policy = RetryPolicy::builder()
//!     .with_max_attempts(5)
//!     .with_base_delay(Duration::ZERO)
//!     .build();
//!
//! let upload = |provider: &str, fails: u32| {
//!     let mut tries = 0;
//!     let guards = (
//!         providers.guard(provider),
//!         (budget.guard(), MetricsRecorder::new(&store).with_endpoint(provider)),
//!     );
//!     policy
//!         .call_with(guards, |_| {
//!             tries += 1;
//!             if tries <= fails { Err("503") } else { Ok("etag") }
//!         })
//!         .run()
//! };
//!
//! assert_eq!(upload("s3", 1), Ok("etag"));
//! let err = upload("azure", 10).unwrap_err(); // 3 failures open its breaker
//! assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
//! assert_eq!(store.summary().totals.attempts, 5);
//! # Ok::<(), staunch::ConfigError>(())
//! ```

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod clock;
pub mod config;
pub mod metrics;
mod outcome;
pub mod pool;
pub mod retry;
mod seed;
mod stripe;

pub use backoff::{Backoff, Jitter, Schedule};
pub use breaker::{
    Breaker, BreakerConfig, BreakerError, BreakerGuard, BreakerRegistry, CircuitState, Rejected,
};
pub use budget::{BudgetConfig, BudgetGuard, RetryBudget};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ConfigError, StaunchConfig};
pub use metrics::{MetricsConfig, MetricsRecorder, MetricsSink, MetricsStore};
pub use pool::{Endpoint, Failover, Pool, PoolConfig, Strategy, StrategyKind};
pub use retry::{Classify, Interceptor, RetryError, RetryPolicy, StopReason, Verdict};
