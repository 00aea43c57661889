//! The gateway's configuration: serde model, environment overrides,
//! validation and loading.
//!
//! Sources, later wins: built-in defaults, a TOML file, environment variables
//! (`STAUNCH_*`, see [`ENV_VARS`]), command-line flags. Everything is
//! validated before it is used; a refusal names the field, the value and
//! what is allowed.
//!
//! ```
//! use staunch_gateway::config::GatewayConfig;
//! let config = GatewayConfig::from_toml_str(r#"
//!     [gateway]
//!     listen = "127.0.0.1:3128"
//!
//!     [[routes]]
//!     prefix = "/api"
//!     backends = [{ id = "a", url = "http://10.0.0.1:8000" }]
//! "#).unwrap();
//! config.validate().unwrap();
//! assert_eq!(config.routes[0].backends[0].weight, 1);
//! ```

mod engine;
mod env;
mod model;
mod retry;
mod size;
mod source;
mod url;
mod validate;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use staunch::breaker::BreakerConfig;
use staunch::budget::BudgetConfig;
pub use staunch::config::ConfigError;
use staunch::metrics::MetricsConfig;
use staunch::retry::RetryConfig;

pub use env::ENV_VARS;
pub use model::{
    AdminSettings, EndpointConfig, GatewaySettings, ProxyConfig, RouteConfig, Strategy,
    UpstreamProxiesConfig, DEFAULT_WEIGHT,
};
pub use retry::{gateway_retry_defaults, DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY};
pub use size::ByteSize;
pub use source::ConfigSource;
pub(crate) use validate::{BackendBase, ValidProxy, Validated};

/// The whole configuration file: the gateway's own sections and the
/// engine's.
///
/// # Engine sections
///
/// `[retry]`, `[circuit_breaker]`, `[budget]` and `[metrics]` are the
/// engine's own serde types, validated by the engine's rules and read from
/// the engine's documented environment variables (`RETRY_MAX_ATTEMPTS`,
/// `CIRCUIT_BREAKER_FAILURE_THRESHOLD`, ...; see [`ENV_VARS`] for the
/// gateway's own). Every endpoint gets a circuit breaker built from
/// `[circuit_breaker]`; the retry policy is the live one the admin API's
/// `PUT /api/v1/retry/policy` changes.
///
/// `[retry]` starts from the gateway's defaults, shorter than the engine's
/// for a local proxy: 3 attempts, 100 ms then 200 ms between them, capped at
/// 2 s (see [`gateway_retry_defaults`]). A section that sets some keys keeps
/// these defaults for the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// `[gateway]`: listeners, drain timeout, replay limit.
    pub gateway: GatewaySettings,
    /// `[admin]`: admin API token.
    pub admin: AdminSettings,
    /// `[[routes]]`: reverse-proxy routes, matched by longest prefix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteConfig>,
    /// `[upstream_proxies]`: the pool forward traffic goes through.
    pub upstream_proxies: UpstreamProxiesConfig,
    /// `[retry]`: the retry policy, from [`gateway_retry_defaults`]. Which
    /// answers are worth another attempt is `gateway.retry_status_codes`.
    #[serde(deserialize_with = "retry::deserialize")]
    pub retry: RetryConfig,
    /// `[circuit_breaker]`: the rules of every endpoint's breaker (the
    /// direct endpoint has none).
    pub circuit_breaker: BreakerConfig,
    /// `[budget]`: the retry budget shared by every request.
    pub budget: BudgetConfig,
    /// `[metrics]`: retention and limits of the metrics store. Read at
    /// start only.
    pub metrics: MetricsConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            gateway: GatewaySettings::default(),
            admin: AdminSettings::default(),
            routes: Vec::new(),
            upstream_proxies: UpstreamProxiesConfig::default(),
            retry: gateway_retry_defaults(),
            circuit_breaker: BreakerConfig::default(),
            budget: BudgetConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl GatewayConfig {
    /// Parses TOML text. Unknown keys are refused; values are not validated
    /// yet (see [`validate`](Self::validate)).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            message: e.to_string(),
        })
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// Checks every value; the first refusal names its field
    /// (`routes[0].backends[1].url`), the value and what is allowed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        Validated::check(self).map(|_| ())
    }

    /// The configuration as TOML, credentials masked. This is what
    /// `staunch check-config` prints.
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Sets `[gateway] listen`.
    pub fn with_listen(mut self, addr: impl ToString) -> Self {
        self.gateway.listen = addr.to_string();
        self
    }

    /// Sets `[gateway] admin_listen`.
    pub fn with_admin_listen(mut self, addr: impl ToString) -> Self {
        self.gateway.admin_listen = addr.to_string();
        self
    }

    /// Sets `[gateway] drain_timeout`.
    pub fn with_drain_timeout(mut self, timeout: Duration) -> Self {
        self.gateway.drain_timeout = timeout;
        self
    }

    /// Sets `[gateway] max_replay_body` in bytes.
    pub fn with_max_replay_body(mut self, bytes: u64) -> Self {
        self.gateway.max_replay_body = ByteSize(bytes);
        self
    }

    /// Sets `[gateway] connect_timeout`.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.gateway.connect_timeout = timeout;
        self
    }

    /// Sets `[gateway] failover_delay`.
    pub fn with_failover_delay(mut self, delay: Duration) -> Self {
        self.gateway.failover_delay = delay;
        self
    }

    /// Sets `[upstream_proxies] strategy`.
    pub fn with_proxy_strategy(mut self, strategy: Strategy) -> Self {
        self.upstream_proxies.strategy = strategy;
        self
    }

    /// Sets the `[retry]` section.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the `[circuit_breaker]` section.
    pub fn with_circuit_breaker(mut self, breaker: BreakerConfig) -> Self {
        self.circuit_breaker = breaker;
        self
    }

    /// Sets the `[budget]` section.
    pub fn with_budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// Sets `[gateway] retry_status_codes`.
    pub fn with_retry_status_codes(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.gateway.retry_status_codes = codes.into_iter().collect();
        self
    }

    /// Sets `[admin] token`.
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin.token = Some(crate::Secret::new(token));
        self
    }

    /// Adds a route.
    pub fn with_route(mut self, route: RouteConfig) -> Self {
        self.routes.push(route);
        self
    }

    /// Adds an upstream proxy to the forward pool.
    pub fn with_upstream_proxy(mut self, proxy: ProxyConfig) -> Self {
        self.upstream_proxies.proxies.push(proxy);
        self
    }
}

impl RouteConfig {
    /// A route for `prefix` with no backends yet and the default strategy.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            host: None,
            strategy: Self::DEFAULT_STRATEGY,
            backends: Vec::new(),
        }
    }

    /// Sets the backend selection strategy.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Restricts the route to one `Host`.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Adds a backend with weight 1 and no tags.
    pub fn with_backend(mut self, id: impl Into<String>, url: impl Into<String>) -> Self {
        self.backends.push(EndpointConfig {
            id: id.into(),
            url: url.into(),
            weight: DEFAULT_WEIGHT,
            tags: Default::default(),
        });
        self
    }
}

impl ProxyConfig {
    /// A proxy with weight 1 and no tags.
    pub fn new(id: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            url: crate::SecretUrl::new(url),
            weight: DEFAULT_WEIGHT,
            tags: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests;
