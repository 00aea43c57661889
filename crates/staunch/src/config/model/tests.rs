use std::time::Duration;

use super::*;
use crate::backoff::Jitter;
use crate::config::{BackoffStrategy, JitterMode, MapEnv, RetryConfig};

fn invalid(text: &str) -> ConfigError {
    StaunchConfig::from_toml_str(text).unwrap_err()
}

/// Asserts `err` is `Invalid` naming `field`, showing `value`, and saying
/// what is allowed.
pub(super) fn assert_names(err: &ConfigError, field: &str, value: &str) {
    match err {
        ConfigError::Invalid {
            field: f,
            value: v,
            allowed,
        } => {
            assert_eq!(f, field, "{err}");
            assert!(
                v.contains(value),
                "value {v:?} should show {value:?}: {err}"
            );
            assert!(!allowed.is_empty(), "{err}");
        }
        other => panic!("expected an Invalid error for {field}, got {other:?}"),
    }
}

#[test]
fn empty_file_gives_the_defaults() {
    let config = StaunchConfig::from_toml_str("").unwrap();
    assert_eq!(config, StaunchConfig::default());
    assert_eq!(config.retry_policy(), RetryPolicy::default());
}

#[test]
fn toml_round_trips_through_text() {
    let config = StaunchConfig {
        enabled: false,
        retry: RetryConfig {
            enabled: true,
            max_attempts: 6,
            strategy: BackoffStrategy::Linear,
            base_delay: Duration::from_millis(250),
            multiplier: 1.5,
            max_delay: Duration::from_secs(12),
            jitter: JitterMode::Proportional,
            jitter_factor: 0.1,
            max_retry_after: Duration::from_secs(90),
            deadline: Some(Duration::from_millis(1500)),
            attempt_timeout: Some(Duration::from_secs(2)),
        },
        ..StaunchConfig::default()
    };
    let text = config.to_toml_string().unwrap();
    assert_eq!(
        StaunchConfig::from_toml_str(&text).unwrap(),
        config,
        "{text}"
    );
}

#[test]
fn durations_accept_seconds_and_units() {
    let config = StaunchConfig::from_toml_str(
        "[retry]\nbase_delay = 0.5\nmax_delay = \"2m\"\ntotal_timeout = \"1500ms\"\n",
    )
    .unwrap();
    assert_eq!(config.retry.base_delay, Duration::from_millis(500));
    assert_eq!(config.retry.max_delay, Duration::from_secs(120));
    assert_eq!(config.retry.deadline, Some(Duration::from_millis(1500)));
}

#[test]
fn zero_attempts_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nmax_attempts = 0\n"),
        "retry.max_attempts",
        "0",
    );
}

#[test]
fn negative_delay_is_refused_with_its_field() {
    let err = invalid("[retry]\nbase_delay = -1\n");
    assert_names(&err, "retry.base_delay", "-1");
    assert!(err.to_string().contains("0 to 1 year"), "{err}");
}

#[test]
fn negative_delay_string_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nmax_delay = \"-3s\"\n"),
        "retry.max_delay",
        "-3s",
    );
}

#[test]
fn nan_delay_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nmax_retry_after = nan\n"),
        "retry.max_retry_after",
        "nan",
    );
}

#[test]
fn multiplier_below_one_is_refused_with_its_field() {
    let err = invalid("[retry]\nmultiplier = 0.5\n");
    assert_names(&err, "retry.multiplier", "0.5");
    assert!(err.to_string().contains("from 1 to 100"), "{err}");
}

#[test]
fn nan_multiplier_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nmultiplier = nan\n"),
        "retry.multiplier",
        "NaN",
    );
}

#[test]
fn unknown_jitter_mode_is_refused_with_its_field() {
    let err = invalid("[retry]\njitter = \"wobbly\"\n");
    assert_names(&err, "retry.jitter", "wobbly");
    assert!(err.to_string().contains("proportional"), "{err}");
}

#[test]
fn unknown_strategy_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nstrategy = \"fibonacci\"\n"),
        "retry.strategy",
        "fibonacci",
    );
}

#[test]
fn unknown_key_is_refused_with_its_name() {
    let err = invalid("[retry]\nmax_atempts = 4\n");
    assert_names(&err, "retry.max_atempts", "unknown key");
    assert!(err.to_string().contains("max_attempts"), "{err}");
}

#[test]
fn unknown_section_is_refused_with_its_name() {
    assert_names(
        &invalid("[retyr]\nmax_attempts = 4\n"),
        "retyr",
        "unknown key",
    );
}

#[test]
fn wrong_type_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\nmax_attempts = \"many\"\n"),
        "retry.max_attempts",
        "many",
    );
}

#[test]
fn zero_deadline_is_refused_with_its_field() {
    assert_names(&invalid("[retry]\ndeadline = 0\n"), "retry.deadline", "0s");
}

#[test]
fn jitter_factor_above_one_is_refused_with_its_field() {
    assert_names(
        &invalid("[retry]\njitter_factor = 1.5\n"),
        "retry.jitter_factor",
        "1.5",
    );
}

#[test]
fn broken_toml_is_a_parse_error() {
    assert!(matches!(invalid("[retry\n"), ConfigError::Parse { .. }));
}

#[test]
fn resilience_enabled_false_turns_retries_off() {
    let mut config = StaunchConfig::default();
    config
        .apply_env(&MapEnv::from_pairs([("RESILIENCE_ENABLED", "false")]))
        .unwrap();
    assert!(!config.enabled);
    assert_eq!(config.retry_policy().max_attempts(), 1);
}

#[test]
fn bad_resilience_enabled_names_the_variable() {
    let mut config = StaunchConfig::default();
    let err = config
        .apply_env(&MapEnv::from_pairs([("RESILIENCE_ENABLED", "perhaps")]))
        .unwrap_err();
    assert_names(&err, "RESILIENCE_ENABLED", "perhaps");
    assert!(config.enabled, "a refused variable changes nothing");
}

#[test]
fn env_overrides_file_which_overrides_defaults() {
    let dir = std::env::temp_dir().join(format!("staunch-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("staunch.toml");
    std::fs::write(&path, "[retry]\nmax_attempts = 5\nmax_delay = 10\n").unwrap();
    let env = MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "8")]);
    let config = StaunchConfig::load(Some(&path), &env).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(config.retry.max_attempts, 8, "env beats file");
    assert_eq!(
        config.retry.max_delay,
        Duration::from_secs(10),
        "file beats defaults"
    );
    assert_eq!(
        config.retry.base_delay,
        Duration::from_secs(1),
        "defaults fill the rest"
    );
}

#[test]
fn load_without_file_uses_defaults_and_env() {
    let env = MapEnv::from_pairs([("RETRY_JITTER", "full")]);
    let config = StaunchConfig::load(None, &env).unwrap();
    assert_eq!(config.retry_policy().backoff().jitter(), Jitter::Full);
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let err = StaunchConfig::from_file(Path::new("/nonexistent/staunch.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }));
    assert!(
        err.to_string().contains("/nonexistent/staunch.toml"),
        "{err}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "enabled",
        "max_attempts",
        "strategy",
        "base_delay",
        "multiplier",
        "max_delay",
        "jitter",
        "jitter_factor",
        "max_retry_after",
        "deadline",
        "attempt_timeout",
        "bogus",
    ];

    fn any_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| format!("{v:?}")),
            Just("nan".to_owned()),
            Just("-inf".to_owned()),
            Just("true".to_owned()),
            "\"[a-z0-9.]{0,8}\"",
            Just("[1, 2]".to_owned()),
            Just("{ a = 1 }".to_owned()),
        ]
    }

    proptest! {
        #[test]
        fn any_retry_table_is_read_or_refused_without_panic(
            entries in proptest::collection::vec((0..KEYS.len(), any_value()), 0..6),
        ) {
            let mut text = String::from("[retry]\n");
            for (key, value) in &entries {
                text.push_str(&format!("{} = {}\n", KEYS[*key], value));
            }
            match StaunchConfig::from_toml_str(&text) {
                Ok(config) => {
                    // Whatever is accepted makes a policy that computes delays.
                    let policy = config.retry_policy();
                    prop_assert!(policy.max_attempts() >= 1);
                }
                Err(ConfigError::Invalid { field, .. }) => prop_assert!(!field.is_empty()),
                Err(_) => {}
            }
        }

        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,60}") {
            let _ = StaunchConfig::from_toml_str(&text);
        }

        #[test]
        fn any_environment_is_applied_or_refused_without_panic(
            values in proptest::collection::vec("\\PC{0,12}", 7),
        ) {
            let names = [
                "RESILIENCE_ENABLED",
                "RESILIENCE_RETRY_ENABLED",
                "RETRY_MAX_ATTEMPTS",
                "RETRY_BASE_DELAY",
                "RETRY_MAX_DELAY",
                "RETRY_EXPONENTIAL_BASE",
                "RETRY_JITTER",
            ];
            let env = MapEnv::from_pairs(names.iter().copied().zip(values.iter().map(String::as_str)));
            let mut config = StaunchConfig::default();
            if let Err(err) = config.apply_env(&env) {
                let field = err.field().unwrap_or_default().to_owned();
                prop_assert!(names.contains(&field.as_str()), "{}", err);
                prop_assert_eq!(config, StaunchConfig::default());
            }
        }
    }
}
