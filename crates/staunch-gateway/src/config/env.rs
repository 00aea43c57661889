//! Environment overrides for the gateway's own settings.

use staunch::config::{parse_duration, ConfigError, EnvSource};

use super::engine::{apply_engine_env, parse_status_codes};
use super::validate::socket_addr;
use super::{ByteSize, GatewayConfig};
use crate::Secret;

/// The variables the gateway reads, each overriding one field:
///
/// | variable | field |
/// | --- | --- |
/// | `STAUNCH_LISTEN` | `gateway.listen` |
/// | `STAUNCH_ADMIN_LISTEN` | `gateway.admin_listen` |
/// | `STAUNCH_DRAIN_TIMEOUT` | `gateway.drain_timeout` |
/// | `STAUNCH_MAX_REPLAY_BODY` | `gateway.max_replay_body` |
/// | `STAUNCH_CONNECT_TIMEOUT` | `gateway.connect_timeout` |
/// | `STAUNCH_ADMIN_TOKEN` | `admin.token` |
/// | `STAUNCH_RETRY_STATUS_CODES` | `gateway.retry_status_codes` (`"429,503"`) |
/// | `STAUNCH_FAILOVER_DELAY` | `gateway.failover_delay` |
///
/// The engine's sections read the engine's own variables as well:
/// `RESILIENCE_ENABLED`, `RESILIENCE_RETRY_ENABLED`, `RETRY_MAX_ATTEMPTS`,
/// `RETRY_BASE_DELAY`, `RETRY_MAX_DELAY`, `RETRY_EXPONENTIAL_BASE`,
/// `RETRY_JITTER`, `RESILIENCE_CIRCUIT_BREAKER_ENABLED`,
/// `CIRCUIT_BREAKER_FAILURE_THRESHOLD`, `CIRCUIT_BREAKER_SUCCESS_THRESHOLD`,
/// `CIRCUIT_BREAKER_TIMEOUT`, `CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS`.
pub const ENV_VARS: [&str; 8] = [
    "STAUNCH_LISTEN",
    "STAUNCH_ADMIN_LISTEN",
    "STAUNCH_DRAIN_TIMEOUT",
    "STAUNCH_MAX_REPLAY_BODY",
    "STAUNCH_CONNECT_TIMEOUT",
    "STAUNCH_ADMIN_TOKEN",
    "STAUNCH_RETRY_STATUS_CODES",
    "STAUNCH_FAILOVER_DELAY",
];

impl GatewayConfig {
    /// Applies the [`ENV_VARS`] that are set. A bad value is refused with
    /// the variable's name.
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        let g = &mut self.gateway;
        if let Some(v) = env.var("STAUNCH_LISTEN") {
            g.listen = socket_addr("STAUNCH_LISTEN", &v)?.to_string();
        }
        if let Some(v) = env.var("STAUNCH_ADMIN_LISTEN") {
            g.admin_listen = socket_addr("STAUNCH_ADMIN_LISTEN", &v)?.to_string();
        }
        if let Some(v) = env.var("STAUNCH_DRAIN_TIMEOUT") {
            g.drain_timeout = parse_duration("STAUNCH_DRAIN_TIMEOUT", &v)?;
        }
        if let Some(v) = env.var("STAUNCH_MAX_REPLAY_BODY") {
            g.max_replay_body = ByteSize::parse("STAUNCH_MAX_REPLAY_BODY", &v)?;
        }
        if let Some(v) = env.var("STAUNCH_CONNECT_TIMEOUT") {
            g.connect_timeout = parse_duration("STAUNCH_CONNECT_TIMEOUT", &v)?;
        }
        if let Some(v) = env.var("STAUNCH_ADMIN_TOKEN") {
            if v.trim().is_empty() {
                return Err(ConfigError::invalid(
                    "STAUNCH_ADMIN_TOKEN",
                    "\"\"",
                    "a non-empty token",
                ));
            }
            self.admin.token = Some(Secret::new(v));
        }
        if let Some(v) = env.var("STAUNCH_RETRY_STATUS_CODES") {
            self.gateway.retry_status_codes = parse_status_codes("STAUNCH_RETRY_STATUS_CODES", &v)?;
        }
        if let Some(v) = env.var("STAUNCH_FAILOVER_DELAY") {
            self.gateway.failover_delay = parse_duration("STAUNCH_FAILOVER_DELAY", &v)?;
        }
        apply_engine_env(self, env)
    }
}
