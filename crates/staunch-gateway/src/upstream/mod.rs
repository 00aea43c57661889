//! Upstreams: where one route's requests, or the forward traffic, go.
//!
//! An [`Upstream`] is the engine's failover executor
//! ([`Failover`]) over one pool of endpoints: the
//! backends of a route, the upstream proxies, or the single direct
//! endpoint. It chooses each attempt's endpoint with the configured
//! [`Strategy`], skips endpoints whose circuit breaker is open, sends a
//! retry to an endpoint the request has not tried yet while there is one,
//! asks the retry budget, and records every attempt in the metrics store.
//!
//! Pools live in the engine state and outlive reloads (see
//! [`Engine`]); the executors over them are rebuilt
//! with each configuration, so they always use the current breakers, budget
//! and strategy.
//!
//! The direct endpoint has no breaker in the registry: one breaker for every
//! host a client reaches would be wrong. Its executor uses breakers that
//! never open, so it still gets retries, the budget and metrics.

mod pools;
mod slot;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use staunch::config::ConfigError;
use staunch::pool::{Failover, Pool, PoolError};

pub(crate) use self::pools::Pools;
pub use self::slot::Slot;
use crate::config::Strategy;
use crate::endpoint::{Endpoint, EndpointKind};
use crate::engine::Engine;

/// The name of the forward path's upstream.
pub const FORWARD: &str = "forward";

/// One pool of endpoints and the failover executor over it.
///
/// ```
/// use staunch_gateway::config::{GatewayConfig, RouteConfig};
/// use staunch_gateway::GatewayState;
///
/// let config = GatewayConfig::default().with_route(
///     RouteConfig::new("/api")
///         .with_backend("a", "http://127.0.0.1:9001")
///         .with_backend("b", "http://127.0.0.1:9002"),
/// );
/// let state = GatewayState::new(config).unwrap();
/// let active = state.active();
/// let route = active.routes().find(None, "/api/users").unwrap();
/// assert_eq!(route.upstream().name(), "route /api");
/// assert_eq!(route.upstream().pool().len(), 2);
/// assert!(route.upstream().has_breakers());
/// assert!(!active.forward().has_breakers(), "the direct endpoint has none");
/// ```
pub struct Upstream {
    name: String,
    endpoints: Vec<Endpoint>,
    strategy: Strategy,
    guarded: bool,
    failover: Failover<Slot>,
}

impl Upstream {
    /// A builder for the upstream `name` (the pool's key in the engine
    /// state) over `endpoints`.
    pub fn builder(name: impl Into<String>, endpoints: Vec<Endpoint>) -> UpstreamBuilder {
        UpstreamBuilder {
            name: name.into(),
            endpoints,
            strategy: Strategy::RoundRobin,
            failover_delay: Duration::ZERO,
        }
    }

    /// The name: `route {host}{prefix}` or [`FORWARD`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The endpoints, in configured order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The selection strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Whether the endpoints have circuit breakers in the engine's registry
    /// (every upstream but the direct endpoint).
    pub fn has_breakers(&self) -> bool {
        self.guarded
    }

    /// The pool, with each endpoint's live statistics.
    pub fn pool(&self) -> &Arc<Pool<Slot>> {
        self.failover.pool()
    }

    /// The failover executor.
    pub(crate) fn failover(&self) -> &Failover<Slot> {
        &self.failover
    }
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.name)
            .field("endpoints", &self.endpoints)
            .field("strategy", &self.strategy)
            .field("guarded", &self.guarded)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Upstream`]. Defaults: [`Strategy::RoundRobin`], no failover
/// delay.
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct UpstreamBuilder {
    name: String,
    endpoints: Vec<Endpoint>,
    strategy: Strategy,
    failover_delay: Duration,
}

impl UpstreamBuilder {
    /// Sets the selection strategy.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the wait before a retry on an endpoint not yet tried by the
    /// request (instead of the backoff).
    pub fn with_failover_delay(mut self, delay: Duration) -> Self {
        self.failover_delay = delay;
        self
    }

    /// Brings `engine`'s pool of this name in line with the endpoints (see
    /// [`Engine`] for what a reload keeps) and builds
    /// the executor over it with the engine's breakers, retry budget and
    /// metrics store.
    pub fn build(self, engine: &Engine) -> Result<Upstream, ConfigError> {
        let field = self.name.clone();
        let invalid = |e: PoolError| ConfigError::invalid(field.clone(), e.value(), e.allowed());
        let pool = engine
            .pools()
            .sync(&self.name, &self.endpoints)
            .map_err(invalid)?;
        let guarded = self
            .endpoints
            .iter()
            .all(|e| e.kind() != EndpointKind::Direct);
        let registry = match guarded {
            true => (*engine.breakers()).clone(),
            false => engine.unguarded_breakers().clone(),
        };
        let failover = Failover::builder(pool, registry)
            .with_strategy_kind(&self.strategy.kind())
            .with_budget(engine.budget())
            .with_sink(Arc::clone(engine.metrics()))
            .with_failover_delay(self.failover_delay)
            .build()?;
        Ok(Upstream {
            name: self.name,
            endpoints: self.endpoints,
            strategy: self.strategy,
            guarded,
            failover,
        })
    }
}
