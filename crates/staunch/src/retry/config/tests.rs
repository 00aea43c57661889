use super::*;
use crate::config::MapEnv;

fn with_env(pairs: &[(&str, &str)]) -> Result<RetryConfig, ConfigError> {
    let mut config = RetryConfig::default();
    config.apply_env(&MapEnv::from_pairs(pairs.iter().copied()))?;
    Ok(config)
}

fn refused(name: &str, value: &str) -> ConfigError {
    let err = with_env(&[(name, value)]).unwrap_err();
    assert_eq!(err.field(), Some(name), "{err}");
    assert!(err.to_string().contains(value), "{err}");
    err
}

#[test]
fn defaults_match_the_policy_defaults() {
    assert_eq!(RetryConfig::default().to_policy(), RetryPolicy::default());
    assert!(RetryConfig::default().validate().is_ok());
}

#[test]
fn policy_converts_back_to_the_same_config() {
    let config = RetryConfig {
        strategy: BackoffStrategy::Decorrelated,
        jitter: JitterMode::Equal,
        deadline: Some(Duration::from_secs(9)),
        attempt_timeout: Some(Duration::from_secs(1)),
        max_attempts: 4,
        ..RetryConfig::default()
    };
    assert_eq!(RetryConfig::from(&config.to_policy()), config);
}

#[test]
fn config_becomes_the_policy_it_describes() {
    let config = RetryConfig {
        strategy: BackoffStrategy::Linear,
        base_delay: Duration::from_secs(2),
        jitter: JitterMode::Proportional,
        jitter_factor: 0.2,
        max_retry_after: Duration::from_secs(5),
        deadline: Some(Duration::from_secs(20)),
        ..RetryConfig::default()
    };
    let policy = RetryPolicy::from(&config);
    assert_eq!(
        policy.backoff().schedule(),
        Schedule::linear(Duration::from_secs(2))
    );
    assert_eq!(policy.backoff().jitter(), Jitter::Proportional(0.2));
    assert_eq!(policy.max_retry_after(), Duration::from_secs(5));
    assert_eq!(policy.deadline(), Some(Duration::from_secs(20)));
}

#[test]
fn disabled_retry_makes_one_attempt() {
    let config = RetryConfig {
        enabled: false,
        ..RetryConfig::default()
    };
    assert_eq!(config.to_policy().max_attempts(), 1);
}

#[test]
fn env_resilience_retry_enabled_switches_retry() {
    assert!(
        !with_env(&[("RESILIENCE_RETRY_ENABLED", "0")])
            .unwrap()
            .enabled
    );
    assert!(
        with_env(&[("RESILIENCE_RETRY_ENABLED", "true")])
            .unwrap()
            .enabled
    );
    refused("RESILIENCE_RETRY_ENABLED", "sometimes");
}

#[test]
fn env_retry_max_attempts_sets_attempts() {
    assert_eq!(
        with_env(&[("RETRY_MAX_ATTEMPTS", "5")])
            .unwrap()
            .max_attempts,
        5
    );
}

#[test]
fn env_retry_max_attempts_refuses_zero_and_garbage() {
    let err = refused("RETRY_MAX_ATTEMPTS", "0");
    assert!(err.to_string().contains("1 to 100"), "{err}");
    refused("RETRY_MAX_ATTEMPTS", "three");
    refused("RETRY_MAX_ATTEMPTS", "-1");
}

#[test]
fn env_retry_base_delay_reads_decimal_seconds() {
    let config = with_env(&[("RETRY_BASE_DELAY", "0.5")]).unwrap();
    assert_eq!(config.base_delay, Duration::from_millis(500));
    refused("RETRY_BASE_DELAY", "-2");
    refused("RETRY_BASE_DELAY", "NaN");
}

#[test]
fn env_retry_max_delay_reads_units() {
    let config = with_env(&[("RETRY_MAX_DELAY", "2m")]).unwrap();
    assert_eq!(config.max_delay, Duration::from_secs(120));
    refused("RETRY_MAX_DELAY", "soon");
}

#[test]
fn env_retry_exponential_base_sets_multiplier() {
    assert_eq!(
        with_env(&[("RETRY_EXPONENTIAL_BASE", "3")])
            .unwrap()
            .multiplier,
        3.0
    );
    let err = refused("RETRY_EXPONENTIAL_BASE", "0.5");
    assert!(err.to_string().contains("from 1 to 100"), "{err}");
    refused("RETRY_EXPONENTIAL_BASE", "NaN");
    refused("RETRY_EXPONENTIAL_BASE", "double");
}

#[test]
fn env_retry_jitter_takes_modes_and_booleans() {
    for (text, mode) in [
        ("full", JitterMode::Full),
        ("EQUAL", JitterMode::Equal),
        ("proportional", JitterMode::Proportional),
        ("true", JitterMode::Proportional),
        ("0", JitterMode::None),
    ] {
        assert_eq!(
            with_env(&[("RETRY_JITTER", text)]).unwrap().jitter,
            mode,
            "{text}"
        );
    }
    let err = refused("RETRY_JITTER", "wobbly");
    assert!(
        err.to_string().contains("none, full, equal, proportional"),
        "{err}"
    );
}

#[test]
fn refused_env_changes_nothing() {
    let mut config = RetryConfig::default();
    let env = MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "9"), ("RETRY_JITTER", "bad")]);
    assert!(config.apply_env(&env).is_err());
    assert_eq!(config, RetryConfig::default());
}

#[test]
fn validate_refuses_out_of_range_values() {
    let cases = [
        (
            RetryConfig {
                max_attempts: 101,
                ..RetryConfig::default()
            },
            "retry.max_attempts",
        ),
        (
            RetryConfig {
                multiplier: f64::INFINITY,
                ..RetryConfig::default()
            },
            "retry.multiplier",
        ),
        (
            RetryConfig {
                jitter_factor: -0.1,
                ..RetryConfig::default()
            },
            "retry.jitter_factor",
        ),
        (
            RetryConfig {
                attempt_timeout: Some(Duration::ZERO),
                ..RetryConfig::default()
            },
            "retry.attempt_timeout",
        ),
    ];
    for (config, field) in cases {
        assert_eq!(config.validate().unwrap_err().field(), Some(field));
    }
}
