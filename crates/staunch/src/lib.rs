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

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod clock;
pub mod config;
pub mod metrics;
pub mod pool;
pub mod retry;
