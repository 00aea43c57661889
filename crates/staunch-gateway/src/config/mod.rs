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

mod env;
mod model;
mod size;
mod source;
mod url;
mod validate;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
pub use staunch::config::ConfigError;

pub use env::ENV_VARS;
pub use model::{
    AdminSettings, EndpointConfig, GatewaySettings, ProxyConfig, RouteConfig, Strategy,
    UpstreamProxiesConfig, DEFAULT_WEIGHT,
};
pub use size::ByteSize;
pub use source::ConfigSource;
pub(crate) use validate::{BackendBase, ValidProxy, Validated};

/// The gateway's part of the configuration file.
///
/// # Engine sections
///
/// The engine's sections (`[retry]`, `[circuit_breaker]`, `[budget]`) sit
/// beside these in the same file. They are not part of this struct yet: the
/// engine integration adds them as fields at the marked place below, with the
/// engine's own serde types, and extends [`GatewayConfig::validate`] to call
/// their validation. Until then those sections are refused as unknown keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    // --- engine sections (`retry`, `circuit_breaker`, `budget`) go here ---
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
