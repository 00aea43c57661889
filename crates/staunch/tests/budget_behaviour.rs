//! Behaviour of the retry budget on fake time: ratio, floor, sliding window.

use std::time::Duration;

use staunch::budget::{BudgetConfig, RetryBudget, WINDOW};
use staunch::clock::ManualClock;

fn budget(ratio: f64, min_per_sec: u32) -> (RetryBudget, ManualClock) {
    let clock = ManualClock::new();
    let config = BudgetConfig::default()
        .with_ratio(ratio)
        .with_min_per_sec(min_per_sec);
    let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
    (budget, clock)
}

fn withdraw_all(budget: &RetryBudget) -> u64 {
    let mut allowed = 0;
    while budget.try_withdraw() {
        allowed += 1;
    }
    allowed
}

#[test]
fn ratio_caps_retries_to_share_of_requests() {
    let (budget, _clock) = budget(0.2, 0);
    for _ in 0..100 {
        budget.deposit();
    }
    assert_eq!(withdraw_all(&budget), 20);
    assert_eq!(budget.withdrawn(), 20);
    assert_eq!(budget.denied(), 1);
}

#[test]
fn floor_allows_min_per_sec_without_requests() {
    let (budget, clock) = budget(0.2, 10);
    for _ in 0..5 {
        assert_eq!(withdraw_all(&budget), 10);
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(budget.withdrawn(), 50);
}

#[test]
fn floor_and_ratio_add_up() {
    let (budget, _clock) = budget(0.5, 3);
    for _ in 0..10 {
        budget.deposit();
    }
    assert_eq!(withdraw_all(&budget), 3 + 5);
}

#[test]
fn deposits_expire_after_the_window() {
    let (budget, clock) = budget(1.0, 0);
    for _ in 0..4 {
        budget.deposit();
    }
    clock.advance(WINDOW - Duration::from_millis(1));
    assert!(budget.try_withdraw(), "deposit still inside the window");
    clock.advance(Duration::from_millis(1));
    assert!(
        !budget.try_withdraw(),
        "deposits older than 10 s no longer count"
    );
}

#[test]
fn window_slides_one_second_at_a_time() {
    let (budget, clock) = budget(1.0, 0);
    for second in 0..10 {
        budget.deposit();
        if second < 9 {
            clock.advance(Duration::from_secs(1));
        }
    }
    assert_eq!(budget.available(), 10);
    clock.advance(Duration::from_secs(1));
    assert_eq!(budget.available(), 9, "the first second slid out");
    clock.advance(Duration::from_secs(5));
    assert_eq!(budget.available(), 4);
}

#[test]
fn withdrawals_stop_counting_when_they_slide_out() {
    let (budget, clock) = budget(0.5, 0);
    for _ in 0..10 {
        budget.deposit();
    }
    assert_eq!(withdraw_all(&budget), 5);
    clock.advance(Duration::from_secs(9));
    for _ in 0..10 {
        budget.deposit();
    }
    // 20 deposits and 5 withdrawals in the window: 5 more.
    assert_eq!(withdraw_all(&budget), 5);
    clock.advance(Duration::from_secs(1));
    // The first second slid out with its 10 deposits and 5 withdrawals.
    assert_eq!(withdraw_all(&budget), 0);
}

#[test]
fn zero_ratio_leaves_only_the_floor() {
    let (budget, _clock) = budget(0.0, 2);
    for _ in 0..1000 {
        budget.deposit();
    }
    assert_eq!(withdraw_all(&budget), 2);
}

#[test]
fn available_predicts_withdrawals() {
    let (budget, clock) = budget(0.3, 4);
    for _ in 0..37 {
        budget.deposit();
    }
    clock.advance(Duration::from_millis(2500));
    let predicted = budget.available();
    assert_eq!(predicted, 4 + 11);
    assert_eq!(withdraw_all(&budget), predicted);
    assert_eq!(budget.available(), 0);
}

#[test]
fn stats_report_counters() {
    let (budget, _clock) = budget(0.2, 1);
    budget.deposit();
    assert!(budget.try_withdraw());
    assert!(!budget.try_withdraw());
    let stats = budget.stats();
    assert_eq!(
        (
            stats.deposited,
            stats.withdrawn,
            stats.denied,
            stats.available
        ),
        (1, 1, 1, 0)
    );
    let json = serde_json::to_value(stats).unwrap();
    assert_eq!(json["denied"], 1);
}

#[test]
fn invalid_config_is_refused_by_constructor() {
    let err = RetryBudget::new(BudgetConfig::default().with_ratio(2.0)).unwrap_err();
    assert_eq!(err.field(), Some("budget.ratio"));
    assert!(err.to_string().contains('2'), "{err}");
}

#[test]
fn budget_section_parses_from_toml() {
    let config: BudgetConfig = toml::from_str("ratio = 0.1\nmin_per_sec = 0").unwrap();
    assert_eq!(
        config,
        BudgetConfig::default().with_ratio(0.1).with_min_per_sec(0)
    );
    assert!(toml::from_str::<BudgetConfig>("ratio = \"high\"").is_err());
}
