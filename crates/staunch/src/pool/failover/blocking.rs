//! Blocking failover calls.

use std::fmt;
use std::time::Duration;

use super::error::FailoverError;
use super::failover::Failover;
use super::target::Target;
use crate::clock::{Clock, SystemClock};
use crate::retry::{
    Classify, FnHook, NoHook, RetryAll, RetryHook, RetryIf, RetryPolicy, Sleeper, ThreadSleeper,
};

impl<A> Failover<A> {
    /// A blocking call under `policy`: `op` receives the [`Target`] endpoint
    /// of each attempt. Configure it (classifier, hook, sleeper, clock) like
    /// a [`Call`](crate::retry::Call), then [`run`](FailoverCall::run) it.
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry};
    /// use staunch::pool::{Endpoint, Failover, Pool, RoundRobin};
    /// use staunch::retry::{RetryPolicy, StopReason};
    ///
    /// let pool = Pool::new([Endpoint::new("a", ()), Endpoint::new("b", ())]).unwrap();
    /// let registry = BreakerRegistry::new(BreakerConfig::default()).unwrap();
    /// let failover = Failover::builder(pool, registry)
    ///     .with_strategy(RoundRobin::new())
    ///     .build()
    ///     .unwrap();
    /// let policy = RetryPolicy::default();
    /// let (mut tried, mut slept) = (Vec::new(), Vec::new());
    /// let err = failover
    ///     .call(&policy, |target| {
    ///         tried.push(target.id().to_owned());
    ///         Err::<(), _>(format!("{} is down", target.id()))
    ///     })
    ///     .sleeper(|delay| slept.push(delay))
    ///     .run()
    ///     .unwrap_err();
    /// assert_eq!(err.reason(), StopReason::Exhausted);
    /// assert_eq!(err.last_endpoint(), Some(tried[2].as_str()));
    /// // One endpoint, then the other at once, then one of them again after
    /// // the 2 s backoff: both already failed.
    /// assert_ne!(tried[0], tried[1]);
    /// assert_eq!(slept, [std::time::Duration::ZERO, std::time::Duration::from_secs(2)]);
    /// ```
    pub fn call<'f, T, E, F>(&'f self, policy: &'f RetryPolicy, op: F) -> FailoverCall<'f, A, F>
    where
        F: FnMut(Target<A>) -> Result<T, E>,
    {
        FailoverCall {
            failover: self,
            policy,
            op,
            classifier: RetryAll,
            hook: NoHook,
            sleeper: ThreadSleeper,
            clock: SystemClock,
        }
    }
}

/// A blocking call over a [`Failover`], from [`Failover::call`].
#[must_use = "a call does nothing until `run` is called"]
pub struct FailoverCall<'f, A, F, C = RetryAll, H = NoHook, S = ThreadSleeper, K = SystemClock> {
    failover: &'f Failover<A>,
    policy: &'f RetryPolicy,
    op: F,
    classifier: C,
    hook: H,
    sleeper: S,
    clock: K,
}

impl<'f, A, F, C, H, S, K> FailoverCall<'f, A, F, C, H, S, K> {
    /// Retries only the errors `predicate` accepts; other errors are fatal.
    pub fn when<T, E, P>(self, predicate: P) -> FailoverCall<'f, A, F, RetryIf<P>, H, S, K>
    where
        F: FnMut(Target<A>) -> Result<T, E>,
        P: Fn(&E) -> bool,
    {
        self.classify(RetryIf(predicate))
    }

    /// Sets the classifier (default: retry every `Err`). A retryable
    /// outcome counts as a failure of the endpoint; a fatal one does not
    /// (the endpoint answered; the request was at fault).
    pub fn classify<C2>(self, classifier: C2) -> FailoverCall<'f, A, F, C2, H, S, K> {
        FailoverCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier,
            hook: self.hook,
            sleeper: self.sleeper,
            clock: self.clock,
        }
    }

    /// Calls `hook(attempt, delay, &error)` before each sleep.
    pub fn on_retry<T, E, N>(self, hook: N) -> FailoverCall<'f, A, F, C, FnHook<N>, S, K>
    where
        F: FnMut(Target<A>) -> Result<T, E>,
        N: FnMut(u32, Duration, &E),
    {
        self.hook(FnHook(hook))
    }

    /// Sets a [`RetryHook`].
    pub fn hook<H2>(self, hook: H2) -> FailoverCall<'f, A, F, C, H2, S, K> {
        FailoverCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier: self.classifier,
            hook,
            sleeper: self.sleeper,
            clock: self.clock,
        }
    }

    /// Sets the sleeper (default [`ThreadSleeper`]).
    pub fn sleeper<S2: Sleeper>(self, sleeper: S2) -> FailoverCall<'f, A, F, C, H, S2, K> {
        FailoverCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier: self.classifier,
            hook: self.hook,
            sleeper,
            clock: self.clock,
        }
    }

    /// Sets the clock the policy's deadline is measured with (default
    /// [`SystemClock`]). Breakers, the pool and the budget keep their own.
    pub fn clock<K2: Clock>(self, clock: K2) -> FailoverCall<'f, A, F, C, H, S, K2> {
        FailoverCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier: self.classifier,
            hook: self.hook,
            sleeper: self.sleeper,
            clock,
        }
    }

    /// Runs the call: the operation's value, or why it gave up and where it
    /// last went.
    pub fn run<T, E>(self) -> Result<T, FailoverError<E>>
    where
        F: FnMut(Target<A>) -> Result<T, E>,
        C: Classify<T, E>,
        H: RetryHook<T, E>,
        S: Sleeper,
        K: Clock,
        E: fmt::Display,
    {
        let mut run = self.failover.start();
        let mut op = self.op;
        let result = self
            .policy
            .call_with(&mut run, |run| {
                let target = run
                    .target()
                    .expect("the failover run chooses an endpoint before every attempt");
                let outcome = op(target);
                if let Err(error) = &outcome {
                    run.note_error(error);
                }
                outcome
            })
            .classify(self.classifier)
            .hook(self.hook)
            .sleeper(self.sleeper)
            .clock(self.clock)
            .run();
        result.map_err(|error| run.error(error))
    }
}

impl<A, F, C, H, S, K> fmt::Debug for FailoverCall<'_, A, F, C, H, S, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverCall")
            .field("failover", &self.failover)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
