//! What every request reads: the active configuration, swapped whole on
//! reload, and the engine state that outlives reloads.

use std::sync::Arc;

use arc_swap::ArcSwap;
use staunch::clock::Clock;
use staunch::config::ConfigError;

use crate::active::ActiveConfig;
use crate::config::GatewayConfig;
use crate::engine::Engine;

/// The configuration and engine state of a running gateway, shared by the
/// proxy and the admin API.
///
/// ```
/// use staunch_gateway::config::{GatewayConfig, RouteConfig};
/// use staunch_gateway::GatewayState;
///
/// let config = GatewayConfig::default()
///     .with_route(RouteConfig::new("/").with_backend("a", "http://127.0.0.1:9001"));
/// let state = GatewayState::new(config).unwrap();
/// assert!(state.engine().breakers().find("a").is_some());
/// ```
#[derive(Debug)]
pub struct GatewayState {
    active: ArcSwap<ActiveConfig>,
    engine: Engine,
}

impl GatewayState {
    /// Validates `config` and builds the state, on the system clock.
    pub fn new(config: GatewayConfig) -> Result<Self, ConfigError> {
        let active = ActiveConfig::build(config)?;
        let engine = Engine::new(active.config())?;
        Ok(Self::assemble(active, engine))
    }

    /// Like [`new`](Self::new), with breakers, budget and metrics reading
    /// time from `clock`.
    pub fn with_clock(config: GatewayConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let active = ActiveConfig::build(config)?;
        let engine = Engine::with_clock(active.config(), clock)?;
        Ok(Self::assemble(active, engine))
    }

    fn assemble(active: Arc<ActiveConfig>, engine: Engine) -> Self {
        engine.track(active.breaker_endpoints().map(|e| e.id()));
        Self {
            active: ArcSwap::new(active),
            engine,
        }
    }

    /// The configuration requests are served with right now.
    pub fn active(&self) -> Arc<ActiveConfig> {
        self.active.load_full()
    }

    /// The engine state.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Validates `config` and makes it the configuration of every request
    /// that starts from now on; requests in flight finish with the one they
    /// started with. The engine state is kept as
    /// [`Engine::reconfigure`] says.
    pub fn apply(&self, config: GatewayConfig) -> Result<Arc<ActiveConfig>, ConfigError> {
        let next = ActiveConfig::build(config)?;
        self.engine
            .reconfigure(next.config(), next.breaker_endpoints().map(|e| e.id()))?;
        self.active.store(Arc::clone(&next));
        Ok(next)
    }
}
