//! The `circuit_breaker`, `budget` and `metrics` sections of the model.

use std::time::Duration;

use super::tests::assert_names;
use super::*;
use crate::config::MapEnv;

fn with_env(pairs: &[(&str, &str)]) -> Result<StaunchConfig, ConfigError> {
    let mut config = StaunchConfig::default();
    config.apply_env(&MapEnv::from_pairs(pairs.iter().copied()))?;
    Ok(config)
}

#[test]
fn empty_file_gives_default_sections() {
    let config = StaunchConfig::from_toml_str("").unwrap();
    assert_eq!(config.circuit_breaker, BreakerConfig::default());
    assert_eq!(config.budget, BudgetConfig::default());
    assert_eq!(config.metrics, MetricsConfig::default());
}

#[test]
fn toml_round_trips_with_every_section() {
    let mut config = StaunchConfig::default();
    config.retry.max_attempts = 4;
    config.circuit_breaker = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(3)
        .with_failure_rate(0.5)
        .with_slow_call_rate(0.8)
        .with_slow_call_duration(Duration::from_millis(750))
        .with_open_duration(Duration::from_millis(1500))
        .with_open_duration_growth(2.0, Duration::from_secs(90))
        .with_half_open_max_calls(2)
        .with_success_threshold(3)
        .with_count_calls(true);
    config.budget = BudgetConfig::default().with_ratio(0.35).with_min_per_sec(4);
    config.metrics = MetricsConfig::default()
        .with_retention_hours(48)
        .with_max_endpoints(200)
        .with_max_breaker_events(500);
    let text = config.to_toml_string().unwrap();
    for table in ["[retry]", "[circuit_breaker]", "[budget]", "[metrics]"] {
        assert!(text.contains(table), "{table} missing from:\n{text}");
    }
    assert_eq!(
        StaunchConfig::from_toml_str(&text).unwrap(),
        config,
        "{text}"
    );
}

#[test]
fn sections_are_read_from_toml() {
    let config = StaunchConfig::from_toml_str(
        "[circuit_breaker]\nfailure_threshold = 8\nopen_duration = \"2.5s\"\n\
         [budget]\nratio = 0.1\n[metrics]\nretention = \"72h\"\n",
    )
    .unwrap();
    assert_eq!(config.circuit_breaker.failure_threshold, Some(8));
    assert_eq!(
        config.circuit_breaker.open_duration,
        Duration::from_millis(2500)
    );
    assert_eq!(config.budget.ratio, 0.1);
    assert_eq!(config.metrics.retention_hours(), 72);
}

#[test]
fn breaker_enabled_variable_turns_the_rules_off() {
    let config = with_env(&[("RESILIENCE_CIRCUIT_BREAKER_ENABLED", "false")]).unwrap();
    assert!(!config.circuit_breaker.enabled);
    assert!(!config.breaker_config().enabled);
}

#[test]
fn breaker_failure_threshold_variable_sets_the_threshold() {
    let config = with_env(&[("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "12")]).unwrap();
    assert_eq!(config.circuit_breaker.failure_threshold, Some(12));
}

#[test]
fn breaker_success_threshold_variable_sets_the_threshold() {
    let config = with_env(&[("CIRCUIT_BREAKER_SUCCESS_THRESHOLD", "3")]).unwrap();
    assert_eq!(config.circuit_breaker.success_threshold, 3);
}

#[test]
fn breaker_timeout_variable_sets_the_open_duration_in_seconds() {
    let config = with_env(&[("CIRCUIT_BREAKER_TIMEOUT", "12.5")]).unwrap();
    assert_eq!(
        config.circuit_breaker.open_duration,
        Duration::from_millis(12_500)
    );
}

#[test]
fn breaker_half_open_max_calls_variable_sets_the_probe_limit() {
    let config = with_env(&[("CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "4")]).unwrap();
    assert_eq!(config.circuit_breaker.half_open_max_calls, 4);
}

#[test]
fn bad_breaker_variables_are_refused_naming_the_variable() {
    for (name, value) in [
        ("RESILIENCE_CIRCUIT_BREAKER_ENABLED", "sometimes"),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0"),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "-3"),
        ("CIRCUIT_BREAKER_SUCCESS_THRESHOLD", "many"),
        ("CIRCUIT_BREAKER_TIMEOUT", "-1"),
        ("CIRCUIT_BREAKER_TIMEOUT", "nan"),
        ("CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "0"),
    ] {
        let mut config = StaunchConfig::default();
        let err = config
            .apply_env(&MapEnv::from_pairs([(name, value)]))
            .unwrap_err();
        assert_names(&err, name, value);
        assert_eq!(config, StaunchConfig::default(), "{name} changed nothing");
    }
}

#[test]
fn env_beats_file_which_beats_defaults_for_the_breaker() {
    let mut config = StaunchConfig::from_toml_str(
        "[circuit_breaker]\nfailure_threshold = 7\nsuccess_threshold = 2\n",
    )
    .unwrap();
    config
        .apply_env(&MapEnv::from_pairs([(
            "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
            "9",
        )]))
        .unwrap();
    assert_eq!(
        config.circuit_breaker.failure_threshold,
        Some(9),
        "env beats file"
    );
    assert_eq!(
        config.circuit_breaker.success_threshold, 2,
        "file beats defaults"
    );
    assert_eq!(
        config.circuit_breaker.open_duration,
        Duration::from_secs(30),
        "defaults fill the rest"
    );
}

#[test]
fn master_switch_off_turns_the_breaker_rules_off() {
    let config = with_env(&[("RESILIENCE_ENABLED", "0")]).unwrap();
    assert!(
        config.circuit_breaker.enabled,
        "the section keeps its value"
    );
    assert!(!config.breaker_config().enabled);
}

#[test]
fn bad_breaker_values_in_toml_name_their_field() {
    for (text, field, value) in [
        (
            "failure_threshold = 0",
            "circuit_breaker.failure_threshold",
            "0",
        ),
        (
            "failure_threshold = -3",
            "circuit_breaker.failure_threshold",
            "-3",
        ),
        ("failure_rate = 1.5", "circuit_breaker.failure_rate", "1.5"),
        (
            "open_duration = \"-1s\"",
            "circuit_breaker.open_duration",
            "-1s",
        ),
        (
            "half_open_max_calls = 0",
            "circuit_breaker.half_open_max_calls",
            "0",
        ),
        (
            "success_threshold = 5000",
            "circuit_breaker.success_threshold",
            "5000",
        ),
        ("window = \"10ms\"", "circuit_breaker.window", "10ms"),
    ] {
        let err =
            StaunchConfig::from_toml_str(&format!("[circuit_breaker]\n{text}\n")).unwrap_err();
        assert_names(&err, field, value);
    }
}

#[test]
fn bad_budget_and_metrics_values_in_toml_name_their_field() {
    for (text, field, value) in [
        ("[budget]\nratio = 1.5", "budget.ratio", "1.5"),
        ("[budget]\nratio = -0.1", "budget.ratio", "-0.1"),
        (
            "[budget]\nmin_per_sec = 2000000",
            "budget.min_per_sec",
            "2000000",
        ),
        (
            "[metrics]\nretention = \"169h\"",
            "metrics.retention",
            "169h",
        ),
        (
            "[metrics]\nretention = \"90m\"",
            "metrics.retention",
            "5400s",
        ),
        ("[metrics]\nmax_endpoints = 0", "metrics.max_endpoints", "0"),
    ] {
        let err = StaunchConfig::from_toml_str(text).unwrap_err();
        assert_names(&err, field, value);
    }
}

#[test]
fn unknown_keys_in_new_sections_are_refused_with_their_name() {
    for (text, field) in [
        (
            "[circuit_breaker]\nfailure_treshold = 3",
            "circuit_breaker.failure_treshold",
        ),
        ("[budget]\nratoi = 0.2", "budget.ratoi"),
        ("[metrics]\nretension = \"24h\"", "metrics.retension"),
    ] {
        let err = StaunchConfig::from_toml_str(text).unwrap_err();
        assert_names(&err, field, "unknown key");
    }
}

#[test]
fn section_names_match_their_tables() {
    assert_eq!(<BreakerConfig as ConfigSection>::NAME, "circuit_breaker");
    assert_eq!(<BudgetConfig as ConfigSection>::NAME, "budget");
    assert_eq!(<MetricsConfig as ConfigSection>::NAME, "metrics");
}
