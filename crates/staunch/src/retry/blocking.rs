//! The blocking executor.

use std::fmt;
use std::time::Duration;

use super::report::{notify_retry, stopped, success_err, Failure};
use super::{
    FnHook, Interceptor, NoHook, RetryAll, RetryError, RetryHook, RetryIf, RetryPolicy, RetryRun,
    Step,
};
use crate::clock::{Clock, SystemClock};

/// Waits between two blocking attempts.
///
/// Closures `FnMut(Duration)` are sleepers, so a test can record delays and
/// advance a [`ManualClock`](crate::clock::ManualClock) instead of sleeping.
pub trait Sleeper {
    /// Blocks for `delay`.
    fn sleep(&mut self, delay: Duration);
}

impl<F: FnMut(Duration)> Sleeper for F {
    #[inline]
    fn sleep(&mut self, delay: Duration) {
        self(delay);
    }
}

/// [`std::thread::sleep`], the default sleeper.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

impl RetryPolicy {
    /// Runs `op` until it succeeds, fails fatally, or the policy gives up,
    /// sleeping on the current thread between attempts. Every `Err` is
    /// retried; see [`call`](Self::call) for a classifier, a hook, or fake
    /// time.
    ///
    /// ```
    /// use staunch::retry::{RetryPolicy, StopReason};
    /// use std::time::Duration;
    ///
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    /// let mut attempts = 0;
    /// let err = policy
    ///     .retry(|| -> Result<(), String> {
    ///         attempts += 1;
    ///         Err(format!("failure {attempts}"))
    ///     })
    ///     .unwrap_err();
    /// assert_eq!(err.attempts(), 3);
    /// assert_eq!(err.reason(), StopReason::Exhausted);
    /// assert_eq!(err.last_error().map(String::as_str), Some("failure 3"));
    /// ```
    #[inline]
    pub fn retry<T, E, F>(&self, op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        E: fmt::Display,
    {
        self.call(op).run()
    }

    /// [`retry`](Self::retry) with an [`Interceptor`] around every attempt
    /// (a breaker's or a budget's guard, or a tuple of them): every `Err`
    /// is retried, and the interceptor may stop the call. See
    /// [`call_with`](Self::call_with) for a classifier or a hook.
    ///
    /// ```
    /// use staunch::budget::{BudgetConfig, RetryBudget};
    /// use staunch::clock::ManualClock;
    /// use staunch::retry::{RetryPolicy, StopReason};
    /// use std::time::Duration;
    ///
    /// let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0);
    /// let budget = RetryBudget::with_clock(config, ManualClock::new()).unwrap();
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    /// let err = policy.retry_with(budget.guard(), || Err::<(), _>("busy")).unwrap_err();
    /// assert_eq!(err.reason(), StopReason::BudgetExhausted);
    /// ```
    #[inline]
    pub fn retry_with<I, T, E, F>(&self, interceptor: I, mut op: F) -> Result<T, RetryError<E>>
    where
        I: Interceptor,
        F: FnMut() -> Result<T, E>,
        E: fmt::Display,
    {
        self.call_with(interceptor, move |_: &mut I| op()).run()
    }

    /// A blocking call to configure before [`run`](Call::run): classifier,
    /// hook, sleeper, clock.
    ///
    /// ```
    /// use staunch::clock::{Clock, ManualClock};
    /// use staunch::retry::{RetryPolicy, Verdict};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut slept = Vec::new();
    /// let mut seen = Vec::new();
    /// let result = RetryPolicy::default()
    ///     .call(|| Err::<(), _>("busy"))
    ///     .when(|e| *e == "busy")
    ///     .on_retry(|attempt, delay, e| seen.push((attempt, delay, e.to_string())))
    ///     .sleeper(|d| { slept.push(d); clock.advance(d) })
    ///     .clock(clock.clone())
    ///     .run();
    /// assert_eq!(result.unwrap_err().attempts(), 3);
    /// assert_eq!(slept, [Duration::from_secs(1), Duration::from_secs(2)]);
    /// assert_eq!(seen[1], (2, Duration::from_secs(2), "busy".to_string()));
    /// ```
    #[inline]
    pub fn call<T, E, F>(&self, mut op: F) -> Call<'_, impl FnMut(&mut ()) -> Result<T, E>>
    where
        F: FnMut() -> Result<T, E>,
    {
        self.call_with((), move |_: &mut ()| op())
    }

    /// Like [`call`](Self::call) with an [`Interceptor`], which the operation
    /// receives at each attempt (for example to read the endpoint the
    /// interceptor chose).
    #[inline]
    pub fn call_with<I, T, E, F>(&self, interceptor: I, op: F) -> Call<'_, F, I>
    where
        I: Interceptor,
        F: FnMut(&mut I) -> Result<T, E>,
    {
        Call {
            policy: self,
            interceptor,
            op,
            classifier: RetryAll,
            hook: NoHook,
            sleeper: ThreadSleeper,
            clock: SystemClock,
        }
    }
}

/// A blocking call under a [`RetryPolicy`], from [`RetryPolicy::call`].
/// Configure it, then [`run`](Self::run) it.
#[derive(Debug)]
#[must_use = "a call does nothing until `run` is called"]
pub struct Call<'p, F, I = (), C = RetryAll, H = NoHook, S = ThreadSleeper, K = SystemClock> {
    policy: &'p RetryPolicy,
    interceptor: I,
    op: F,
    classifier: C,
    hook: H,
    sleeper: S,
    clock: K,
}

impl<'p, F, I, C, H, S, K> Call<'p, F, I, C, H, S, K> {
    /// Retries only the errors `predicate` accepts; other errors are fatal.
    pub fn when<T, E, P>(self, predicate: P) -> Call<'p, F, I, RetryIf<P>, H, S, K>
    where
        F: FnMut(&mut I) -> Result<T, E>,
        P: Fn(&E) -> bool,
    {
        self.classify(RetryIf(predicate))
    }

    /// Sets the classifier (default: retry every `Err`). Closures need their
    /// argument typed: `|r: &Result<T, E>| ...`.
    pub fn classify<C2>(self, classifier: C2) -> Call<'p, F, I, C2, H, S, K> {
        Call {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier,
            hook: self.hook,
            sleeper: self.sleeper,
            clock: self.clock,
        }
    }

    /// Calls `hook(attempt, delay, &error)` before each sleep.
    pub fn on_retry<T, E, N>(self, hook: N) -> Call<'p, F, I, C, FnHook<N>, S, K>
    where
        F: FnMut(&mut I) -> Result<T, E>,
        N: FnMut(u32, Duration, &E),
    {
        self.hook(FnHook(hook))
    }

    /// Sets a [`RetryHook`].
    pub fn hook<H2>(self, hook: H2) -> Call<'p, F, I, C, H2, S, K> {
        Call {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier: self.classifier,
            hook,
            sleeper: self.sleeper,
            clock: self.clock,
        }
    }

    /// Sets the sleeper (default [`ThreadSleeper`]).
    pub fn sleeper<S2: Sleeper>(self, sleeper: S2) -> Call<'p, F, I, C, H, S2, K> {
        Call {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier: self.classifier,
            hook: self.hook,
            sleeper,
            clock: self.clock,
        }
    }

    /// Sets the clock the deadline is measured with (default
    /// [`SystemClock`]). It is only read when the policy has a deadline.
    pub fn clock<K2: Clock>(self, clock: K2) -> Call<'p, F, I, C, H, S, K2> {
        Call {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier: self.classifier,
            hook: self.hook,
            sleeper: self.sleeper,
            clock,
        }
    }

    /// Runs the call: the operation's value, or why it gave up.
    ///
    /// An `Ok` that the classifier wanted retried is returned as is when
    /// retrying stops (exhausted, deadline). An `Err` the classifier called a
    /// success ends the call like a fatal one.
    pub fn run<T, E>(mut self) -> Result<T, RetryError<E>>
    where
        I: Interceptor,
        F: FnMut(&mut I) -> Result<T, E>,
        C: super::Classify<T, E>,
        H: RetryHook<T, E>,
        S: Sleeper,
        K: Clock,
        E: fmt::Display,
    {
        let clock = &self.clock;
        let mut run = RetryRun::new(self.policy, self.interceptor, || clock.now());
        let mut last = None;
        loop {
            if let Err(reason) = run.begin_attempt(|| clock.now()) {
                return stopped(&run, last, reason);
            }
            let outcome = (self.op)(run.interceptor_mut());
            let verdict = self.classifier.classify(&outcome);
            match run.end_attempt(verdict, || clock.now()) {
                Step::Done => return outcome.map_err(|e| success_err(&run, e)),
                Step::Stop(reason) => return stopped(&run, Some(outcome), reason),
                Step::Retry { delay } => {
                    let failure = match &outcome {
                        Ok(value) => Failure::Value(value),
                        Err(e) => Failure::Error(e),
                    };
                    let max = run.policy().max_attempts();
                    notify_retry(&mut self.hook, run.attempts(), max, delay, failure);
                    last = Some(outcome);
                    self.sleeper.sleep(delay);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
