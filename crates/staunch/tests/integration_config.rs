//! One configuration drives every part: the sections of `StaunchConfig`
//! build a policy, a breaker registry, a budget and a metrics store that
//! behave as configured. Fake time only.

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerRegistry, CircuitState};
use staunch::budget::RetryBudget;
use staunch::clock::ManualClock;
use staunch::config::{MapEnv, StaunchConfig};
use staunch::metrics::{MetricsRecorder, MetricsStore};
use staunch::retry::StopReason;

const FILE: &str = r#"
[retry]
max_attempts = 6
base_delay = "100ms"

[circuit_breaker]
failure_threshold = 10
open_duration = "2s"

[budget]
ratio = 1.0
min_per_sec = 100

[metrics]
retention = "2h"
"#;

#[test]
fn configured_parts_behave_as_the_file_and_environment_say() {
    let mut config = StaunchConfig::from_toml_str(FILE).unwrap();
    config
        .apply_env(&MapEnv::from_pairs([
            ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "3"),
            ("CIRCUIT_BREAKER_TIMEOUT", "0.5"),
        ]))
        .unwrap();
    let clock = ManualClock::new();
    let registry =
        BreakerRegistry::<String>::with_clock(config.breaker_config(), Arc::new(clock.clone()))
            .unwrap();
    let budget = RetryBudget::with_clock(config.budget, clock.clone()).unwrap();
    let store = MetricsStore::with_clock(config.metrics, clock.clone()).unwrap();
    let policy = config.retry_policy();

    let mut slept = Vec::new();
    let err = policy
        .call_with(
            (
                registry.guard("api"),
                (
                    budget.guard(),
                    MetricsRecorder::new(&store).with_clock(clock.clone()),
                ),
            ),
            |_| Err::<(), _>("503"),
        )
        .sleeper(|d| {
            slept.push(d);
            clock.advance(d);
        })
        .run()
        .unwrap_err();

    // The environment's threshold (3), not the file's (10), opened it.
    assert_eq!(err.attempts(), 3);
    assert_eq!(
        err.reason(),
        StopReason::CircuitOpen {
            next_probe_in: Some(Duration::from_millis(500))
        }
    );
    // The file's base delay; no sleep once the breaker was open.
    assert_eq!(
        slept,
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
    assert_eq!(registry.get("api").state(), CircuitState::Open);
    assert_eq!(budget.withdrawn(), 2);
    assert_eq!(store.config().retention_hours(), 2);
    assert_eq!(store.summary().totals.attempts, 3);
}

#[test]
fn breaker_switched_off_by_environment_never_opens() {
    let mut config = StaunchConfig::from_toml_str(FILE).unwrap();
    config
        .apply_env(&MapEnv::from_pairs([(
            "RESILIENCE_CIRCUIT_BREAKER_ENABLED",
            "false",
        )]))
        .unwrap();
    let clock = ManualClock::new();
    let registry =
        BreakerRegistry::<String>::with_clock(config.breaker_config(), Arc::new(clock.clone()))
            .unwrap();
    for _ in 0..5 {
        let err = config
            .retry_policy()
            .call_with(registry.guard("api"), |_| Err::<(), _>("503"))
            .sleeper(|d| clock.advance(d))
            .run()
            .unwrap_err();
        assert_eq!(err.reason(), StopReason::Exhausted);
        assert_eq!(err.attempts(), 6);
    }
    assert_eq!(registry.get("api").state(), CircuitState::Closed);
}
