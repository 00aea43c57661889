//! The engine's sections of the file (`[retry]`, `[circuit_breaker]`,
//! `[budget]`, `[metrics]`) and `gateway.retry_status_codes`: validation and
//! environment variables.

use staunch::config::{parse_bool, ConfigError, EnvSource};

use super::GatewayConfig;

/// The answers `gateway.retry_status_codes` may list.
pub(crate) const RETRY_STATUS_RANGE: std::ops::RangeInclusive<u16> = 400..=599;

/// Checks the engine's sections with the engine's own rules, and the
/// gateway's list of retryable answers.
pub(crate) fn check_engine_sections(config: &GatewayConfig) -> Result<(), ConfigError> {
    config.retry.validate()?;
    config.circuit_breaker.validate()?;
    config.budget.validate()?;
    config.metrics.validate()?;
    check_status_codes(
        "gateway.retry_status_codes",
        &config.gateway.retry_status_codes,
    )
}

/// Every code must be an HTTP status from 400 to 599.
pub(crate) fn check_status_codes(field: &str, codes: &[u16]) -> Result<(), ConfigError> {
    match codes.iter().find(|c| !RETRY_STATUS_RANGE.contains(c)) {
        Some(bad) => Err(ConfigError::invalid(
            field,
            bad,
            "HTTP status codes from 400 to 599",
        )),
        None => Ok(()),
    }
}

/// Parses `STAUNCH_RETRY_STATUS_CODES`: codes separated by commas.
pub(crate) fn parse_status_codes(name: &str, text: &str) -> Result<Vec<u16>, ConfigError> {
    let codes = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u16>().map_err(|_| {
                ConfigError::invalid(
                    name,
                    format!("{text:?}"),
                    "HTTP status codes from 400 to 599, separated by commas",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_status_codes(name, &codes)?;
    Ok(codes)
}

/// Applies the engine's documented variables: `RESILIENCE_ENABLED` (when
/// false, nothing is retried), the `[retry]` ones (`RETRY_MAX_ATTEMPTS`,
/// ...) and the `[circuit_breaker]` ones (`CIRCUIT_BREAKER_TIMEOUT`, ...).
pub(crate) fn apply_engine_env(
    config: &mut GatewayConfig,
    env: &dyn EnvSource,
) -> Result<(), ConfigError> {
    config.retry.apply_env(env)?;
    config.circuit_breaker.apply_env(env)?;
    if let Some(v) = env.var("RESILIENCE_ENABLED") {
        if !parse_bool("RESILIENCE_ENABLED", &v)? {
            config.retry.enabled = false;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use staunch::config::MapEnv;

    use super::*;

    #[test]
    fn engine_sections_are_read_validated_and_named() {
        let config = GatewayConfig::from_toml_str(
            "[retry]\nmax_attempts = 4\n[circuit_breaker]\nfailure_threshold = 2\n\
             [budget]\nratio = 0.5\n[metrics]\nretention = \"2h\"\n",
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.retry.max_attempts, 4);
        assert_eq!(config.circuit_breaker.failure_threshold, Some(2));
        assert_eq!(config.budget.ratio, 0.5);
        assert_eq!(config.metrics.retention_hours(), 2);

        for (text, field) in [
            ("[retry]\nmax_attempts = 0", "retry.max_attempts"),
            (
                "[circuit_breaker]\nhalf_open_max_calls = 0",
                "circuit_breaker.half_open_max_calls",
            ),
            ("[budget]\nratio = 2.0", "budget.ratio"),
            ("[metrics]\nretention = \"200h\"", "metrics.retention"),
            (
                "[gateway]\nretry_status_codes = [503, 200]",
                "gateway.retry_status_codes",
            ),
        ] {
            let err = GatewayConfig::from_toml_str(text)
                .unwrap()
                .validate()
                .unwrap_err();
            assert_eq!(err.field(), Some(field), "{text}: {err}");
        }
    }

    #[test]
    fn engine_environment_variables_override_the_file() {
        let mut config = GatewayConfig::default();
        config
            .apply_env(&MapEnv::from_pairs([
                ("RETRY_MAX_ATTEMPTS", "6"),
                ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "9"),
                ("STAUNCH_RETRY_STATUS_CODES", "503, 429"),
            ]))
            .unwrap();
        assert_eq!(config.retry.max_attempts, 6);
        assert_eq!(config.circuit_breaker.failure_threshold, Some(9));
        assert_eq!(config.gateway.retry_status_codes, [503, 429]);

        let err = GatewayConfig::default()
            .apply_env(&MapEnv::from_pairs([(
                "STAUNCH_RETRY_STATUS_CODES",
                "503,x",
            )]))
            .unwrap_err();
        assert_eq!(err.field(), Some("STAUNCH_RETRY_STATUS_CODES"));
    }

    #[test]
    fn resilience_enabled_false_turns_retries_off() {
        let mut config = GatewayConfig::default();
        config
            .apply_env(&MapEnv::from_pairs([("RESILIENCE_ENABLED", "false")]))
            .unwrap();
        assert!(!config.retry.enabled);
    }
}
