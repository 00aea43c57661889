//! Retry with backoff, blocking and async.
//!
//! A [`RetryPolicy`] says how many attempts a call makes, how long it waits
//! between them ([`Backoff`](crate::backoff::Backoff)) and how long it may
//! take in all. A [`Classify`] decides whether an outcome is a success, worth
//! retrying (possibly "not before D"), or fatal; by default every `Err` is
//! retried.
//!
//! - Blocking: [`RetryPolicy::retry`], or [`RetryPolicy::call`] to set a
//!   classifier, an [`on_retry`](Call::on_retry) hook, a [`Sleeper`] and a
//!   [`Clock`](crate::clock::Clock).
//! - Async (feature `tokio`): `RetryPolicy::retry_async`, or
//!   `RetryPolicy::call_async`. Closures may borrow from the caller's
//!   stack, dropping the future stops everything, and each attempt may have a
//!   timeout.
//!
//! Both executors drive the same sans-IO core, [`RetryRun`], which holds every
//! decision (attempt count, backoff, server hints, deadline). Circuit
//! breakers, retry budgets, endpoint selection and metrics join it through
//! the [`Interceptor`] trait.
//!
//! Each retry emits a `tracing` event at INFO (`attempt`, `max_attempts`,
//! `delay_ms`, `error`); giving up emits one at WARN (a fatal error at DEBUG).
//!
//! ```
//! use staunch::retry::{RetryPolicy, StopReason};
//! use std::time::Duration;
//!
//! let policy = RetryPolicy::builder()
//!     .with_max_attempts(4)
//!     .with_base_delay(Duration::ZERO)
//!     .build();
//! let mut tries = 0;
//! let result = policy.retry(|| {
//!     tries += 1;
//!     if tries < 4 { Err("flaky") } else { Ok("done") }
//! });
//! assert_eq!(result, Ok("done"));
//! ```

#[cfg(feature = "tokio")]
mod asynchronous;
mod blocking;
mod classify;
pub mod config;
mod core;
mod error;
mod hook;
mod interceptor;
mod policy;
mod report;

#[cfg(feature = "tokio")]
pub use asynchronous::AsyncCall;
pub use blocking::{Call, Sleeper, ThreadSleeper};
pub use classify::{Classify, RetryAll, RetryIf, Verdict};
pub use config::RetryConfig;
pub use core::{RetryRun, Step};
pub use error::{RetryError, StopReason};
pub use hook::{FnHook, NoHook, RetryHook};
pub use interceptor::{AttemptRecord, Interceptor};
pub use policy::{RetryPolicy, RetryPolicyBuilder};
