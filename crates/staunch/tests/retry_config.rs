//! Configuration drives the retry engine: file, environment, policy.

use std::time::Duration;

use staunch::clock::ManualClock;
use staunch::config::{ConfigError, MapEnv, StaunchConfig};
use staunch::retry::StopReason;

#[test]
fn toml_file_and_env_make_the_policy_that_runs() {
    let dir = std::env::temp_dir().join(format!("staunch-retry-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("staunch.toml");
    std::fs::write(
        &path,
        "[retry]\nstrategy = \"linear\"\nbase_delay = 2\nmax_attempts = 3\n",
    )
    .unwrap();
    let env = MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "4")]);
    let config = StaunchConfig::load(Some(&path), &env).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let policy = config.retry_policy();
    let mut slept = Vec::new();
    let err = policy
        .call(|| Err::<(), _>("down"))
        .sleeper(|d: Duration| slept.push(d))
        .clock(ManualClock::new())
        .run()
        .unwrap_err();
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.reason(), StopReason::Exhausted);
    assert_eq!(
        slept,
        [2, 4, 6].map(Duration::from_secs),
        "linear 2, 4, 6 from the file"
    );
}

#[test]
fn written_config_reads_back_equal() {
    let config = StaunchConfig::from_toml_str(
        r#"
        enabled = true
        [retry]
        max_attempts = 6
        strategy = "decorrelated"
        base_delay = "150ms"
        max_delay = 12.5
        jitter = "equal"
        max_retry_after = "2m"
        total_timeout = 45
        attempt_timeout = "3s"
        "#,
    )
    .unwrap();
    let text = config.to_toml_string().unwrap();
    assert_eq!(StaunchConfig::from_toml_str(&text).unwrap(), config);
    assert_eq!(
        config.retry_policy().deadline(),
        Some(Duration::from_secs(45))
    );
}

#[test]
fn every_documented_variable_is_read() {
    let env = MapEnv::from_pairs([
        ("RESILIENCE_ENABLED", "true"),
        ("RESILIENCE_RETRY_ENABLED", "1"),
        ("RETRY_MAX_ATTEMPTS", "5"),
        ("RETRY_BASE_DELAY", "0.25"),
        ("RETRY_MAX_DELAY", "8"),
        ("RETRY_EXPONENTIAL_BASE", "3"),
        ("RETRY_JITTER", "full"),
    ]);
    let config = StaunchConfig::load(None, &env).unwrap();
    assert!(config.enabled && config.retry.enabled);
    let policy = config.retry_policy();
    assert_eq!(policy.max_attempts(), 5);
    assert_eq!(policy.backoff().max_delay(), Duration::from_secs(8));
    assert_eq!(
        policy.backoff().schedule(),
        staunch::backoff::Schedule::exponential(Duration::from_millis(250), 3.0)
    );
    assert_eq!(policy.backoff().jitter(), staunch::backoff::Jitter::Full);
}

#[test]
fn retry_switched_off_by_env_makes_one_attempt() {
    let env = MapEnv::from_pairs([("RESILIENCE_RETRY_ENABLED", "false")]);
    let policy = StaunchConfig::load(None, &env).unwrap().retry_policy();
    let mut calls = 0;
    let _ = policy
        .call(|| {
            calls += 1;
            Err::<(), _>("down")
        })
        .sleeper(|_: Duration| {})
        .run();
    assert_eq!(calls, 1);
}

#[test]
fn every_invalid_value_names_field_value_and_range() {
    let cases: [(&str, &str, &str); 6] = [
        ("[retry]\nmax_attempts = 0", "retry.max_attempts", "0"),
        ("[retry]\nbase_delay = -0.5", "retry.base_delay", "-0.5"),
        ("[retry]\nmax_delay = nan", "retry.max_delay", "nan"),
        ("[retry]\nmultiplier = 0.9", "retry.multiplier", "0.9"),
        ("[retry]\njitter = \"sideways\"", "retry.jitter", "sideways"),
        ("[retry]\nretries = 3", "retry.retries", "unknown key"),
    ];
    for (text, field, value) in cases {
        match StaunchConfig::from_toml_str(text).unwrap_err() {
            ConfigError::Invalid {
                field: f,
                value: v,
                allowed,
            } => {
                assert_eq!(f, field, "{text}");
                assert!(v.contains(value), "{text}: {v}");
                assert!(!allowed.is_empty(), "{text}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}
