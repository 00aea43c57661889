//! The active configuration: the validated settings compiled into routes,
//! endpoints, clients and the failover executors over the engine's pools.
//! A reload builds a new one and swaps it in whole.

use std::collections::HashSet;
use std::sync::Arc;

use staunch::config::ConfigError;

use crate::client::direct_client;
use crate::config::{GatewayConfig, Strategy, Validated};
use crate::endpoint::{Endpoint, EndpointKind};
use crate::engine::Engine;
use crate::routes::{Route, RouteTable};
use crate::upstream::{Upstream, FORWARD};

/// What requests are served with.
#[derive(Debug)]
pub struct ActiveConfig {
    config: GatewayConfig,
    settings: Validated,
    routes: RouteTable,
    forward: Upstream,
}

impl ActiveConfig {
    /// Builds the routes, endpoints and upstreams of `config` (validated
    /// into `settings` already) over `engine`'s pools, and drops the pools
    /// of upstreams that no longer exist.
    pub(crate) fn build(
        config: GatewayConfig,
        settings: Validated,
        engine: &Engine,
    ) -> Result<Arc<Self>, ConfigError> {
        let direct = direct_client(settings.connect_timeout);
        let delay = settings.failover_delay;
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
                let name = Route::upstream_name(&r.prefix, r.host.as_deref());
                let upstream = Upstream::builder(name, backends)
                    .with_strategy(r.strategy)
                    .with_failover_delay(delay)
                    .build(engine)?;
                Ok(Route::new(r.prefix.clone(), r.host.clone(), upstream))
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let forward = if settings.proxies.is_empty() {
            vec![Endpoint::direct(direct, settings.connect_timeout)]
        } else {
            settings
                .proxies
                .iter()
                .map(|p| Endpoint::proxy(p, settings.connect_timeout))
                .collect()
        };
        let forward = Upstream::builder(FORWARD, forward)
            .with_strategy(settings.proxy_strategy)
            .with_failover_delay(delay)
            .build(engine)?;
        let names: HashSet<&str> = routes
            .iter()
            .map(|r| r.upstream().name())
            .chain([forward.name()])
            .collect();
        engine.retain_pools(&names);
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
        self.forward.endpoints()
    }

    /// The forward path's pool and failover executor.
    pub fn forward(&self) -> &Upstream {
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
                    .endpoints()
                    .iter()
                    .filter(|e| e.kind() != EndpointKind::Direct),
            )
    }

    /// The selection strategy configured for the forward pool.
    pub fn forward_strategy(&self) -> Strategy {
        self.forward.strategy()
    }

    /// Request bodies up to this many bytes are buffered for replay.
    pub fn max_replay_body(&self) -> u64 {
        self.settings.max_replay_body
    }

    pub(crate) fn settings(&self) -> &Validated {
        &self.settings
    }
}
