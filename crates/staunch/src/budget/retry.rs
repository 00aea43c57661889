//! A retry budget inside a retry policy: [`BudgetGuard`].

use std::borrow::Borrow;
use std::fmt;
use std::time::Duration;

use super::RetryBudget;
use crate::retry::{Interceptor, RetryError, RetryPolicy, StopReason};

/// Puts a [`RetryBudget`] inside a retry call: an
/// [`Interceptor`] for [`RetryPolicy::call_with`] and
/// [`call_async_with`](RetryPolicy::call_async_with).
///
/// It deposits once per call, when the first attempt starts (a call refused
/// before its first attempt, say by an open breaker placed before it, made
/// no request and deposits nothing), and withdraws before every retry. A
/// refused retry ends the call at once, without sleeping, with
/// [`StopReason::BudgetExhausted`] and the last attempt's error; the budget
/// counts the refusal ([`RetryBudget::denied`]).
///
/// With a breaker in the same call, put the breaker first,
/// `(breaker_guard, budget_guard)`, so that a retry the breaker stops does
/// not use up budget.
///
/// `B` is how the budget is held: `&RetryBudget` or `Arc<RetryBudget>`.
///
/// ```
/// use staunch::budget::{BudgetConfig, BudgetGuard, RetryBudget};
/// use staunch::clock::ManualClock;
/// use staunch::retry::{RetryPolicy, StopReason};
/// use std::time::Duration;
///
/// // No floor and a ratio of 0: no retry is ever allowed.
/// let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0);
/// let budget = RetryBudget::with_clock(config, ManualClock::new()).unwrap();
/// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
///
/// let err = policy
///     .call_with(BudgetGuard::new(&budget), |_| Err::<(), _>("503"))
///     .run()
///     .unwrap_err();
/// assert_eq!(err.reason(), StopReason::BudgetExhausted);
/// assert_eq!((err.attempts(), err.last_error()), (1, Some(&"503")));
/// assert_eq!((budget.deposited(), budget.denied()), (1, 1));
/// ```
#[must_use = "a guard does nothing until a retry call runs with it"]
pub struct BudgetGuard<B: Borrow<RetryBudget>> {
    budget: B,
    deposited: bool,
}

impl<B: Borrow<RetryBudget>> BudgetGuard<B> {
    /// A guard drawing on `budget`.
    pub fn new(budget: B) -> Self {
        Self {
            budget,
            deposited: false,
        }
    }

    /// The budget.
    pub fn budget(&self) -> &RetryBudget {
        self.budget.borrow()
    }
}

impl<B: Borrow<RetryBudget>> Interceptor for BudgetGuard<B> {
    #[inline]
    fn before_attempt(&mut self, _attempt: u32) -> Result<(), StopReason> {
        if !self.deposited {
            self.deposited = true;
            self.budget.borrow().deposit();
        }
        Ok(())
    }

    #[inline]
    fn before_retry(&mut self, _attempt: u32, _delay: Duration) -> Result<(), StopReason> {
        if self.budget.borrow().try_withdraw() {
            Ok(())
        } else {
            Err(StopReason::BudgetExhausted)
        }
    }
}

impl<B: Borrow<RetryBudget>> fmt::Debug for BudgetGuard<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BudgetGuard")
            .field("budget", self.budget.borrow())
            .field("deposited", &self.deposited)
            .finish()
    }
}

impl RetryBudget {
    /// A [`BudgetGuard`] drawing on this budget.
    pub fn guard(&self) -> BudgetGuard<&RetryBudget> {
        BudgetGuard::new(self)
    }

    /// Runs `op` under `policy`, each retry paid from this budget. Every
    /// `Err` is retried; a refused retry ends the call with
    /// [`StopReason::BudgetExhausted`].
    ///
    /// ```
    /// use staunch::budget::RetryBudget;
    /// use staunch::retry::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let budget = RetryBudget::default(); // 10 retries a second always allowed
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    /// let mut tries = 0;
    /// let value = budget.retry(&policy, || {
    ///     tries += 1;
    ///     if tries < 3 { Err("busy") } else { Ok(tries) }
    /// });
    /// assert_eq!(value, Ok(3));
    /// assert_eq!((budget.deposited(), budget.withdrawn()), (1, 2));
    /// ```
    pub fn retry<T, E, F>(&self, policy: &RetryPolicy, op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        E: fmt::Display,
    {
        policy.retry_with(self.guard(), op)
    }

    /// The async [`retry`](Self::retry), on tokio's timers.
    #[cfg(feature = "tokio")]
    pub fn retry_async<'a, T, E, F, Fut>(
        &'a self,
        policy: &'a RetryPolicy,
        op: F,
    ) -> impl std::future::Future<Output = Result<T, RetryError<E>>> + 'a
    where
        F: FnMut() -> Fut + 'a,
        Fut: std::future::Future<Output = Result<T, E>> + 'a,
        E: fmt::Display + 'a,
        T: 'a,
    {
        policy.retry_async_with(self.guard(), op)
    }
}
