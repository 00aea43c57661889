//! What every request reads: the active configuration, swapped whole on
//! reload, and the engine state that outlives reloads.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use staunch::clock::Clock;
use staunch::config::ConfigError;

use crate::active::ActiveConfig;
use crate::config::{GatewayConfig, Validated};
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
    /// Held for a whole [`apply`](Self::apply), so reloads never interleave.
    applying: Mutex<()>,
}

impl GatewayState {
    /// Validates `config` and builds the state, on the system clock.
    pub fn new(config: GatewayConfig) -> Result<Self, ConfigError> {
        let settings = Validated::check(&config)?;
        let engine = Engine::new(&config)?;
        Self::assemble(config, settings, engine)
    }

    /// Like [`new`](Self::new), with breakers, budget, pools and metrics
    /// reading time from `clock`.
    pub fn with_clock(config: GatewayConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let settings = Validated::check(&config)?;
        let engine = Engine::with_clock(&config, clock)?;
        Self::assemble(config, settings, engine)
    }

    fn assemble(
        config: GatewayConfig,
        settings: Validated,
        engine: Engine,
    ) -> Result<Self, ConfigError> {
        engine.track(settings.endpoint_ids());
        let active = ActiveConfig::build(config, settings, &engine)?;
        Ok(Self {
            active: ArcSwap::new(active),
            engine,
            applying: Mutex::new(()),
        })
    }

    /// The configuration requests are served with right now.
    pub fn active(&self) -> Arc<ActiveConfig> {
        self.active.load_full()
    }

    /// Where the active configuration is swapped on a reload.
    pub(crate) fn active_swap(&self) -> &ArcSwap<ActiveConfig> {
        &self.active
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
        let _applying = self.applying.lock().unwrap_or_else(PoisonError::into_inner);
        let settings = Validated::check(&config)?;
        self.engine.reconfigure(&config, settings.endpoint_ids())?;
        let next = ActiveConfig::build(config, settings, &self.engine)?;
        self.active.store(Arc::clone(&next));
        Ok(next)
    }
}
