//! Retry budgets: retries limited to a share of recent requests.
//!
//! A retry policy alone multiplies load when an upstream struggles: with
//! three attempts per call, an outage triples the traffic hitting it. A
//! [`RetryBudget`] shared by every caller of one upstream caps retries at
//! `ratio` (default 0.2) of the requests of the last 10 seconds, plus
//! `min_per_sec` (default 10) that are always allowed. A retry the budget
//! refuses ends its call with the last error; the refusal is counted.
//! Inside a retry policy it is a [`BudgetGuard`] (or
//! [`RetryBudget::retry`]).
//!
//! ```
//! use staunch::budget::RetryBudget;
//!
//! let budget = RetryBudget::default();
//! budget.deposit(); // once per request
//! if budget.try_withdraw() {
//!     // retry
//! }
//! assert_eq!(budget.withdrawn() + budget.denied(), 1);
//! ```

mod config;
mod retry;
mod retry_budget;
mod window;

pub use config::{BudgetConfig, MAX_MIN_PER_SEC};
pub use retry::BudgetGuard;
pub use retry_budget::{BudgetStats, RetryBudget, WINDOW};
