//! The gateway's `[retry]` defaults.
//!
//! The engine's defaults (1 s, then 2 s, capped at 30 s) suit a library
//! call to a remote API; a local proxy sits in the request path of every
//! program that uses it, so it waits less: 100 ms, then 200 ms, 400 ms, ...
//! capped at 2 s. Every other `[retry]` key keeps the engine's default.
//! A `[retry]` section that sets only some keys gets these defaults for the
//! others; environment variables (`RETRY_BASE_DELAY`, ...) still win over
//! both.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use staunch::retry::RetryConfig;

/// `[retry] base_delay` default of the gateway: 100 ms.
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(100);

/// `[retry] max_delay` default of the gateway: 2 s.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(2);

/// The `[retry]` section as the gateway starts it: the engine's defaults
/// with a [`DEFAULT_RETRY_BASE_DELAY`] base and a [`DEFAULT_RETRY_MAX_DELAY`]
/// cap (3 attempts, exponential × 2, no jitter, `Retry-After` capped at
/// 60 s, no deadline, no attempt timeout).
///
/// ```
/// use staunch_gateway::config::gateway_retry_defaults;
/// use std::time::Duration;
///
/// let retry = gateway_retry_defaults();
/// assert_eq!(retry.max_attempts, 3);
/// assert_eq!(retry.base_delay, Duration::from_millis(100));
/// assert_eq!(retry.max_delay, Duration::from_secs(2));
/// ```
pub fn gateway_retry_defaults() -> RetryConfig {
    RetryConfig {
        base_delay: DEFAULT_RETRY_BASE_DELAY,
        max_delay: DEFAULT_RETRY_MAX_DELAY,
        ..RetryConfig::default()
    }
}

/// Reads a `[retry]` table over [`gateway_retry_defaults`]: the keys it
/// sets replace the defaults, with the engine's own names, checks and
/// refusals (an unknown key is still refused).
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<RetryConfig, D::Error> {
    use serde::de::Error;
    let written = toml::Table::deserialize(deserializer)?;
    let mut merged = toml::Table::try_from(gateway_retry_defaults()).map_err(D::Error::custom)?;
    // `total_timeout` is the engine's alias of `deadline`.
    if written.contains_key("total_timeout") {
        merged.remove("deadline");
    }
    merged.extend(written);
    RetryConfig::deserialize(toml::Value::Table(merged)).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GatewayConfig;

    #[test]
    fn gateway_defaults_apply_without_a_retry_section() {
        let config = GatewayConfig::from_toml_str("").unwrap();
        assert_eq!(config.retry, gateway_retry_defaults());
        assert_eq!(GatewayConfig::default().retry, gateway_retry_defaults());
        let policy = config.retry.to_policy();
        assert_eq!(
            policy.backoff().schedule().base(),
            Duration::from_millis(100)
        );
        assert_eq!(policy.backoff().max_delay(), Duration::from_secs(2));
    }

    #[test]
    fn a_partial_retry_section_keeps_the_gateway_defaults_for_the_rest() {
        let config = GatewayConfig::from_toml_str("[retry]\nmax_attempts = 4\n").unwrap();
        assert_eq!(config.retry.max_attempts, 4);
        assert_eq!(config.retry.base_delay, DEFAULT_RETRY_BASE_DELAY);
        assert_eq!(config.retry.max_delay, DEFAULT_RETRY_MAX_DELAY);

        let config =
            GatewayConfig::from_toml_str("[retry]\nbase_delay = \"1ms\"\ntotal_timeout = 5\n")
                .unwrap();
        assert_eq!(config.retry.base_delay, Duration::from_millis(1));
        assert_eq!(config.retry.deadline, Some(Duration::from_secs(5)));
        assert_eq!(config.retry.max_delay, DEFAULT_RETRY_MAX_DELAY);
    }

    #[test]
    fn unknown_or_bad_retry_keys_are_still_refused() {
        let err = GatewayConfig::from_toml_str("[retry]\nmax_tries = 4\n").unwrap_err();
        assert!(err.to_string().contains("max_tries"), "{err}");
        let err = GatewayConfig::from_toml_str("[retry]\nbase_delay = \"soon\"\n").unwrap_err();
        assert!(err.to_string().contains("soon"), "{err}");
    }

    #[test]
    fn rendered_defaults_read_back_the_same() {
        let text = GatewayConfig::default().to_toml_string().unwrap();
        let back = GatewayConfig::from_toml_str(&text).unwrap();
        assert_eq!(back.retry, gateway_retry_defaults());
    }
}
