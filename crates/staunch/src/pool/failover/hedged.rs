//! Hedged failover calls (async, idempotent work only).

use std::fmt;
use std::future::Future;

use super::asynchronous::{FailoverAsyncCall, Hedged};
use super::error::FailoverError;
use super::failover::Failover;
use super::feedback::Feedback;
use super::hedge_attempt::{hedged_attempt, HedgeEnv};
use super::target::Target;
use crate::retry::{Classify, NoHook, RetryAll, RetryHook, RetryPolicy, Verdict};

impl<A> Failover<A> {
    /// An async call under `policy` whose attempts are hedged by the
    /// failover's [`Hedging`](super::Hedging) settings: when an attempt has
    /// not answered after the hedge delay, the same operation starts on
    /// another endpoint; the first success wins and the slower legs are
    /// dropped. Hedges are paid for by the retry budget (no hedge when it
    /// refuses). `op` is `Fn` because legs run side by side.
    ///
    /// Only for idempotent work: a cancelled leg may have been carried out.
    /// With hedging off this is [`call_async`](Self::call_async).
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry};
    /// use staunch::pool::{Endpoint, Failover, Hedging, Pool, RoundRobin};
    /// use staunch::retry::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::new([Endpoint::new("slow", 2_000), Endpoint::new("fast", 10)]).unwrap();
    /// let registry = BreakerRegistry::new(BreakerConfig::default()).unwrap();
    /// let failover = Failover::builder(pool, registry)
    ///     .with_strategy(RoundRobin::new())
    ///     .with_hedging(Hedging::after(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// let policy = RetryPolicy::default();
    /// let started = tokio::time::Instant::now();
    /// let winner = failover
    ///     .call_hedged(&policy, |target| async move {
    ///         tokio::time::sleep(Duration::from_millis(*target.address())).await;
    ///         Ok::<_, String>(target.id().to_owned())
    ///     })
    ///     .run()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(winner, "fast");
    /// assert_eq!(started.elapsed(), Duration::from_millis(110));
    /// # }
    /// ```
    pub fn call_hedged<'f, T, E, F, Fut>(
        &'f self,
        policy: &'f RetryPolicy,
        op: F,
    ) -> FailoverHedgedCall<'f, A, F>
    where
        F: Fn(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        FailoverAsyncCall {
            failover: self,
            policy,
            op,
            classifier: RetryAll,
            hook: NoHook,
            mode: Hedged,
        }
    }
}

/// A hedged async call over a [`Failover`], from [`Failover::call_hedged`]:
/// a [`FailoverAsyncCall`] in mode [`Hedged`], configured the same way.
pub type FailoverHedgedCall<'f, A, F, C = RetryAll, H = NoHook> =
    FailoverAsyncCall<'f, A, F, C, H, Hedged>;

impl<A, F, C, H> FailoverAsyncCall<'_, A, F, C, H, Hedged> {
    /// Runs the call: the winning leg's value, or why it gave up and where
    /// it last went.
    pub async fn run<T, E, Fut>(self) -> Result<T, FailoverError<E>>
    where
        F: Fn(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classify<T, E>,
        H: RetryHook<T, E>,
        E: fmt::Display,
    {
        let feedback = Feedback::new();
        let classifier = self.classifier;
        let op = self.op;
        let mut run = self.failover.start_with(&feedback);
        let (feedback, classifier, op) = (&feedback, &classifier, &op);
        let hedging = self.failover.hedging().is_enabled();
        let result = self
            .policy
            .call_async_with(&mut run, |run| {
                let first = run
                    .target()
                    .expect("the failover run chooses an endpoint before every attempt");
                let env = HedgeEnv {
                    shared: run.shared(),
                    op,
                    classifier,
                    feedback,
                    call_id: run.call_id(),
                    busy: if hedging {
                        run.busy_endpoints()
                    } else {
                        Vec::new()
                    },
                };
                hedged_attempt(env, first)
            })
            .classify(ByRef(classifier))
            .hook(self.hook)
            .run()
            .await;
        result.map_err(|error| run.error(error))
    }
}

/// A borrowed classifier, so that the executor and the legs share one.
struct ByRef<'c, C>(&'c C);

impl<T, E, C: Classify<T, E>> Classify<T, E> for ByRef<'_, C> {
    #[inline]
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        self.0.classify(outcome)
    }
}
