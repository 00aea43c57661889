//! Circuit breakers: one per key, shared by every caller.
//!
//! A [`Breaker`] is closed while the thing behind it is healthy, counting
//! failures against the trip rules of its [`BreakerConfig`] (failures within
//! a rolling window, failures in a row, a failure rate, a slow-call rate).
//! When a rule fires it opens: every call is rejected at once with a
//! [`Rejected`] that says when the next probe may go ("open, next probe in
//! 12.3 s"). After the open duration the next acquire moves it to half-open,
//! where at most `half_open_max_calls` probes go through at a time;
//! `success_threshold` successes close it, any failure reopens it. It can be
//! isolated (forced open) and reset by hand. Time comes from an injected
//! [`Clock`](crate::clock::Clock); there is no background thread.
//!
//! Calls go through [`Breaker::call`] / [`Breaker::call_async`], or through
//! a [`Permit`] from [`Breaker::try_acquire`] for callers that classify
//! outcomes themselves ([`Breaker::try_acquire_owned`] gives an
//! [`OwnedPermit`] that can move into a spawned task). A closed-state
//! success costs atomics only.
//!
//! Inside a retry policy a breaker is a [`BreakerGuard`]: retry outside,
//! breaker inside. Each attempt takes a permit, a refused attempt ends the
//! call at once with
//! [`StopReason::CircuitOpen`](crate::retry::StopReason::CircuitOpen), and
//! each verdict is recorded as [`VerdictCounts`] says (by default a fatal
//! error, such as a 404, is not a failure). [`Breaker::retry`] and
//! [`BreakerRegistry::retry`] are the short forms.
//!
//! Every transition is a [`Transition`] event, logged with `tracing`
//! (`[CIRCUIT]`, opening at WARN) and sent to [`BreakerObserver`]s.
//! [`BreakerRegistry`] keeps one breaker per key, created on first use.
//!
//! ```
//! use staunch::breaker::{BreakerConfig, BreakerError, BreakerRegistry};
//!
//! let registry = BreakerRegistry::<String>::new(
//!     BreakerConfig::default().with_consecutive_failures(3),
//! ).unwrap();
//!
//! let upload = |provider: &str| -> Result<&'static str, BreakerError<String>> {
//!     registry.get(provider).call(|| Ok::<_, String>("etag-1"))
//! };
//! assert_eq!(upload("s3").unwrap(), "etag-1");
//! ```

mod classify;
mod config;
mod error;
mod handle;
mod held;
mod machine;
mod observer;
mod owned;
mod permit;
mod registry;
mod retry;
mod rules;
mod snapshot;
mod state;
mod window;
mod word;

pub use crate::outcome::Outcome;
pub use classify::{AllErrors, FailureClassifier};
pub use config::BreakerConfig;
pub use error::{BreakerError, Rejected};
pub use handle::{Breaker, WeakBreaker};
pub use observer::BreakerObserver;
pub use owned::OwnedPermit;
pub use permit::Permit;
pub use registry::{BreakerRegistry, Generation};
pub use retry::{BreakerGuard, CountAs, VerdictCounts};
pub use snapshot::Snapshot;
pub use state::{CircuitState, Transition};
