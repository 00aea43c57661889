//! The retry budget against a naive reference model, on random sequences of
//! requests, retries and clock moves.

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::ManualClock;

#[derive(Debug, Clone)]
enum Op {
    Deposit(u8),
    Withdraw(u8),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..20).prop_map(Op::Deposit),
        (1u8..20).prop_map(Op::Withdraw),
        (0u16..3000).prop_map(Op::Advance),
    ]
}

/// Counts per whole second, the rule written out plainly.
#[derive(Default)]
struct Model {
    deposits: HashMap<u64, u64>,
    withdrawals: HashMap<u64, u64>,
}

impl Model {
    fn in_window(map: &HashMap<u64, u64>, now: u64) -> impl Iterator<Item = u64> + '_ {
        (now.saturating_sub(9)..=now).map(|s| map.get(&s).copied().unwrap_or(0))
    }

    fn try_withdraw(&mut self, now: u64, ratio: f64, floor: u64) -> bool {
        let this_second = self.withdrawals.get(&now).copied().unwrap_or(0) + 1;
        let deposits: u64 = Self::in_window(&self.deposits, now).sum();
        let mut excess: u64 = (now.saturating_sub(9)..now)
            .map(|s| {
                self.withdrawals
                    .get(&s)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(floor)
            })
            .sum();
        excess += this_second.saturating_sub(floor);
        let allowed = this_second <= floor || excess as f64 <= ratio * deposits as f64 + 1e-9;
        if allowed {
            *self.withdrawals.entry(now).or_default() += 1;
        }
        allowed
    }
}

proptest! {
    #[test]
    fn budget_matches_reference_model(
        ratio_tenths in 0u8..=10,
        floor in 0u32..5,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let ratio = f64::from(ratio_tenths) / 10.0;
        let clock = ManualClock::new();
        let config = BudgetConfig::default().with_ratio(ratio).with_min_per_sec(floor);
        let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
        let mut model = Model::default();
        for op in ops {
            let now = clock.elapsed().as_secs();
            match op {
                Op::Deposit(n) => for _ in 0..n {
                    budget.deposit();
                    *model.deposits.entry(now).or_default() += 1;
                },
                Op::Withdraw(n) => for _ in 0..n {
                    let want = model.try_withdraw(now, ratio, u64::from(floor));
                    prop_assert_eq!(budget.try_withdraw(), want, "at second {}", now);
                },
                Op::Advance(ms) => clock.advance(Duration::from_millis(u64::from(ms))),
            }
        }
    }

    #[test]
    fn retries_per_second_never_exceed_floor_plus_ratio_of_window(
        ratio_tenths in 0u8..=10,
        floor in 0u32..5,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let ratio = f64::from(ratio_tenths) / 10.0;
        let clock = ManualClock::new();
        let config = BudgetConfig::default().with_ratio(ratio).with_min_per_sec(floor);
        let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
        let mut deposits: HashMap<u64, u64> = HashMap::new();
        let mut retries: HashMap<u64, u64> = HashMap::new();
        for op in ops {
            let now = clock.elapsed().as_secs();
            match op {
                Op::Deposit(n) => for _ in 0..n {
                    budget.deposit();
                    *deposits.entry(now).or_default() += 1;
                },
                Op::Withdraw(n) => for _ in 0..n {
                    if budget.try_withdraw() {
                        *retries.entry(now).or_default() += 1;
                    }
                },
                Op::Advance(ms) => clock.advance(Duration::from_millis(u64::from(ms))),
            }
        }
        for (&second, &r) in &retries {
            let d: u64 = Model::in_window(&deposits, second).sum();
            prop_assert!(r as f64 <= f64::from(floor) + ratio * d as f64 + 1e-9,
                "second {}: {} retries, {} requests in window", second, r, d);
        }
    }

    #[test]
    fn without_requests_only_the_floor_passes(
        floor in 0u32..20,
        steps in proptest::collection::vec((0u16..2500, 0u8..40), 1..40),
    ) {
        let clock = ManualClock::new();
        let config = BudgetConfig::default().with_min_per_sec(floor);
        let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
        let mut per_second: HashMap<u64, u64> = HashMap::new();
        for (ms, tries) in steps {
            clock.advance(Duration::from_millis(u64::from(ms)));
            let now = clock.elapsed().as_secs();
            let used = per_second.entry(now).or_default();
            for _ in 0..tries {
                let want = *used < u64::from(floor);
                prop_assert_eq!(budget.try_withdraw(), want);
                if want {
                    *used += 1;
                }
            }
        }
    }
}
