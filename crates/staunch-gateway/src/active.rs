//! The active configuration: the validated settings compiled into routes,
//! endpoints and clients. A reload builds a new one and swaps it in whole.

use std::sync::Arc;

use staunch::config::ConfigError;

use crate::client::direct_client;
use crate::config::{GatewayConfig, Strategy, Validated};
use crate::endpoint::{Endpoint, EndpointKind};
use crate::routes::{Route, RouteTable};

/// What requests are served with.
#[derive(Debug)]
pub struct ActiveConfig {
    config: GatewayConfig,
    settings: Validated,
    routes: RouteTable,
    forward: Vec<Endpoint>,
}

impl ActiveConfig {
    /// Validates `config` and builds its routes and endpoints.
    pub fn build(config: GatewayConfig) -> Result<Arc<Self>, ConfigError> {
        let settings = Validated::check(&config)?;
        let direct = direct_client(settings.connect_timeout);
        let routes = settings
            .routes
            .iter()
            .map(|r| {
                let backends = r
                    .backends
                    .iter()
                    .map(|b| {
                        Endpoint::backend(
                            b.id.clone(),
                            b.weight,
                            b.tags.clone(),
                            b.base.clone(),
                            direct.clone(),
                            settings.connect_timeout,
                        )
                    })
                    .collect();
                Route::new(r.prefix.clone(), r.host.clone(), r.strategy, backends)
            })
            .collect();
        let forward = if settings.proxies.is_empty() {
            vec![Endpoint::direct(direct, settings.connect_timeout)]
        } else {
            settings
                .proxies
                .iter()
                .map(|p| Endpoint::proxy(p, settings.connect_timeout))
                .collect()
        };
        Ok(Arc::new(Self {
            config,
            settings,
            routes: RouteTable::new(routes),
            forward,
        }))
    }

    /// The configuration this was built from.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The reverse-proxy routes.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Where forward traffic goes: the upstream proxies in configured order,
    /// or the single direct endpoint when there are none.
    pub fn forward_endpoints(&self) -> &[Endpoint] {
        &self.forward
    }

    /// Every endpoint that has a circuit breaker: the routes' backends (in
    /// best-match route order) then the upstream proxies. Ids are unique.
    pub fn breaker_endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.routes
            .routes()
            .iter()
            .flat_map(|r| r.backends().iter())
            .chain(
                self.forward
                    .iter()
                    .filter(|e| e.kind() != EndpointKind::Direct),
            )
    }

    /// The strategy configured for the forward pool, kept for the engine.
    pub fn forward_strategy(&self) -> Strategy {
        self.settings.proxy_strategy
    }

    /// Request bodies up to this many bytes are buffered for replay.
    pub fn max_replay_body(&self) -> u64 {
        self.settings.max_replay_body
    }

    pub(crate) fn settings(&self) -> &Validated {
        &self.settings
    }
}
