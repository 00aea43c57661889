//! The `circuit_breaker` configuration section: TOML, defaults, the
//! documented environment variables and refusals that name field, value and
//! allowed range.

use std::time::Duration;

use staunch::breaker::BreakerConfig;
use staunch::config::MapEnv;

#[test]
fn defaults_are_the_documented_ones() {
    let c = BreakerConfig::default();
    assert!(c.enabled);
    assert_eq!(c.failure_threshold, Some(5));
    assert_eq!(c.window, Duration::from_secs(60));
    assert_eq!(c.open_duration, Duration::from_secs(30));
    assert_eq!((c.half_open_max_calls, c.success_threshold), (1, 1));
    assert_eq!(
        (c.consecutive_failures, c.failure_rate, c.slow_call_rate),
        (None, None, None)
    );
    assert_eq!(toml::from_str::<BreakerConfig>("").unwrap(), c);
}

#[test]
fn toml_sets_every_rule() {
    let c: BreakerConfig = toml::from_str(
        r#"
        enabled = true
        failure_threshold = 8
        window = "2m"
        window_buckets = 12
        consecutive_failures = 4
        failure_rate = 0.5
        min_calls = 20
        slow_call_rate = 0.8
        slow_call_duration = 2.5
        open_duration = "45s"
        open_duration_multiplier = 2
        max_open_duration = "5m"
        half_open_max_calls = 3
        success_threshold = 2
        count_calls = true
        "#,
    )
    .unwrap();
    c.validate().unwrap();
    assert_eq!(c.window, Duration::from_secs(120));
    assert_eq!(c.slow_call_duration, Duration::from_millis(2500));
    assert_eq!(c.open_duration_multiplier, 2.0);
    assert_eq!(c.failure_rate, Some(0.5));
    assert_eq!(c.consecutive_failures, Some(4));
}

#[test]
fn toml_round_trips_including_rules_that_are_off() {
    let c = BreakerConfig::default()
        .without_failure_threshold()
        .with_slow_call_rate(0.25)
        .with_open_duration(Duration::from_millis(1500));
    let text = toml::to_string(&c).unwrap();
    assert!(text.contains("failure_threshold = false"), "{text}");
    assert_eq!(toml::from_str::<BreakerConfig>(&text).unwrap(), c);
}

#[test]
fn unknown_keys_and_bad_shapes_are_refused() {
    let err = toml::from_str::<BreakerConfig>("failure_treshold = 3").unwrap_err();
    assert!(err.to_string().contains("failure_treshold"), "{err}");
    assert!(toml::from_str::<BreakerConfig>("failure_threshold = -1").is_err());
    assert!(toml::from_str::<BreakerConfig>("failure_threshold = true").is_err());
    assert!(toml::from_str::<BreakerConfig>("open_duration = \"-3s\"").is_err());
}

#[test]
fn environment_variables_override_the_file() {
    let mut c = BreakerConfig::default();
    c.apply_env(&MapEnv::from_pairs([
        ("RESILIENCE_CIRCUIT_BREAKER_ENABLED", "0"),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "7"),
        ("CIRCUIT_BREAKER_SUCCESS_THRESHOLD", "3"),
        ("CIRCUIT_BREAKER_TIMEOUT", "12.5"),
        ("CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "4"),
    ]))
    .unwrap();
    assert!(!c.enabled);
    assert_eq!(c.failure_threshold, Some(7));
    assert_eq!(c.success_threshold, 3);
    assert_eq!(c.open_duration, Duration::from_millis(12_500));
    assert_eq!(c.half_open_max_calls, 4);
    c.validate().unwrap();
}

#[test]
fn unset_variables_change_nothing() {
    let mut c = BreakerConfig::default().with_consecutive_failures(9);
    c.apply_env(&MapEnv::default()).unwrap();
    assert_eq!(c, BreakerConfig::default().with_consecutive_failures(9));
}

#[test]
fn bad_environment_values_name_variable_value_and_range() {
    let cases = [
        (
            "RESILIENCE_CIRCUIT_BREAKER_ENABLED",
            "maybe",
            "true, false, 1 or 0",
        ),
        (
            "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
            "0",
            "from 1 to 1000000",
        ),
        (
            "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
            "five",
            "from 1 to 1000000",
        ),
        (
            "CIRCUIT_BREAKER_SUCCESS_THRESHOLD",
            "1001",
            "from 1 to 1000",
        ),
        ("CIRCUIT_BREAKER_TIMEOUT", "-1", "a duration"),
        ("CIRCUIT_BREAKER_TIMEOUT", "0", "from 1ms to 86400s"),
        ("CIRCUIT_BREAKER_TIMEOUT", "90000", "from 1ms to 86400s"),
        (
            "CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS",
            "2.5",
            "from 1 to 1000",
        ),
    ];
    for (name, value, allowed) in cases {
        let mut c = BreakerConfig::default();
        let err = c
            .apply_env(&MapEnv::from_pairs([(name, value)]))
            .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.field(), Some(name), "{text}");
        assert!(text.contains(value), "{text}");
        assert!(text.contains(allowed), "{text}");
        assert_eq!(
            c,
            BreakerConfig::default(),
            "a refused value changes nothing"
        );
    }
}

mod growth {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn open_duration_stays_between_base_and_cap_and_never_shrinks(
            base_ms in 1u64..86_400_000,
            cap_ms in 1u64..86_400_000,
            multiplier in 1.0f64..10.0,
            trip in 1u32..200,
        ) {
            let c = BreakerConfig::default().with_open_duration(Duration::from_millis(base_ms))
                .with_open_duration_growth(multiplier, Duration::from_millis(cap_ms));
            let base = Duration::from_millis(base_ms);
            let cap = Duration::from_millis(cap_ms).max(base);
            let d = c.open_duration_for_trip(trip);
            prop_assert!(d >= base && d <= cap, "{d:?} not in [{base:?}, {cap:?}]");
            prop_assert!(c.open_duration_for_trip(trip + 1) >= d);
            prop_assert_eq!(c.open_duration_for_trip(1), base);
        }

        #[test]
        fn any_settings_are_checked_without_panicking(
            multiplier in proptest::num::f64::ANY,
            rate in proptest::num::f64::ANY,
            secs in 0u64..u64::MAX,
            count in 0u32..u32::MAX,
            trip in 0u32..u32::MAX,
        ) {
            let c = BreakerConfig::default()
                .with_open_duration(Duration::from_secs(secs))
                .with_open_duration_growth(multiplier, Duration::from_secs(secs / 3))
                .with_failure_rate(rate)
                .with_window(Duration::from_secs(secs))
                .with_window_buckets(count)
                .with_half_open_max_calls(count);
            let _ = c.validate();
            let _ = c.open_duration_for_trip(trip);
            let _ = staunch::breaker::Breaker::new("x", c);
        }
    }
}
