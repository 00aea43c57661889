//! Async failover calls, on the async retry executor.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::error::FailoverError;
use super::failover::Failover;
use super::feedback::Feedback;
use super::target::Target;
use crate::retry::{Classify, FnHook, NoHook, RetryAll, RetryHook, RetryIf, RetryPolicy};

impl<A> Failover<A> {
    /// An async call under `policy`: `op` makes the future of each attempt
    /// from its [`Target`] endpoint. Configure it (classifier, hook), then
    /// `.run().await` it. Dropping the future cancels the call: the attempt
    /// in flight is dropped and its breaker permit and in-flight count are
    /// released.
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry};
    /// use staunch::pool::{Endpoint, Failover, Pool};
    /// use staunch::retry::RetryPolicy;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::new([
    ///     Endpoint::new("eu-1", "10.0.0.1").with_tag("region", "eu"),
    ///     Endpoint::new("us-1", "10.0.1.1").with_tag("region", "us"),
    /// ]).unwrap();
    /// let registry = BreakerRegistry::new(BreakerConfig::default()).unwrap();
    /// let failover = Failover::builder(pool, registry).build().unwrap();
    /// let policy = RetryPolicy::default();
    /// let body = failover
    ///     .call_async(&policy, |target| async move {
    ///         Ok::<_, String>(format!("answered by {}", target.id()))
    ///     })
    ///     .run()
    ///     .await
    ///     .unwrap();
    /// assert!(body.starts_with("answered by"));
    /// # }
    /// ```
    pub fn call_async<'f, T, E, F, Fut>(
        &'f self,
        policy: &'f RetryPolicy,
        op: F,
    ) -> FailoverAsyncCall<'f, A, F>
    where
        F: FnMut(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        FailoverAsyncCall {
            failover: self,
            policy,
            op,
            classifier: RetryAll,
            hook: NoHook,
            mode: Sequential,
        }
    }
}

/// An async call over a [`Failover`], from [`Failover::call_async`]
/// (mode [`Sequential`]) or [`Failover::call_hedged`] (mode [`Hedged`], see
/// [`FailoverHedgedCall`](super::FailoverHedgedCall)). Both modes are
/// configured alike; they differ in how `run` sends each attempt.
#[must_use = "a call does nothing until `run` is awaited"]
pub struct FailoverAsyncCall<'f, A, F, C = RetryAll, H = NoHook, M = Sequential> {
    pub(super) failover: &'f Failover<A>,
    pub(super) policy: &'f RetryPolicy,
    pub(super) op: F,
    pub(super) classifier: C,
    pub(super) hook: H,
    pub(super) mode: M,
}

/// The mode of a [`FailoverAsyncCall`] from [`Failover::call_async`]: each
/// attempt goes to one endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

/// The mode of a [`FailoverAsyncCall`] from [`Failover::call_hedged`]: a
/// slow attempt is raced against the same operation on another endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hedged;

impl<'f, A, F, C, H, M> FailoverAsyncCall<'f, A, F, C, H, M> {
    /// Retries only the errors `predicate` accepts; other errors are fatal.
    pub fn when<T, E, Fut, P>(self, predicate: P) -> FailoverAsyncCall<'f, A, F, RetryIf<P>, H, M>
    where
        F: FnMut(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.classify(RetryIf(predicate))
    }

    /// Sets the classifier (default: retry every `Err`). A retryable
    /// outcome counts as a failure of the endpoint; a fatal one does not.
    /// In a hedged call it also decides which leg of an attempt wins: the
    /// first success or fatal outcome.
    pub fn classify<C2>(self, classifier: C2) -> FailoverAsyncCall<'f, A, F, C2, H, M> {
        FailoverAsyncCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier,
            hook: self.hook,
            mode: self.mode,
        }
    }

    /// Calls `hook(attempt, delay, &error)` before each sleep that follows
    /// an error.
    pub fn on_retry<T, E, Fut, N>(self, hook: N) -> FailoverAsyncCall<'f, A, F, C, FnHook<N>, M>
    where
        F: FnMut(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        N: FnMut(u32, Duration, &E),
    {
        self.hook(FnHook(hook))
    }

    /// Sets a [`RetryHook`].
    pub fn hook<H2>(self, hook: H2) -> FailoverAsyncCall<'f, A, F, C, H2, M> {
        FailoverAsyncCall {
            failover: self.failover,
            policy: self.policy,
            op: self.op,
            classifier: self.classifier,
            hook,
            mode: self.mode,
        }
    }
}

impl<A, F, C, H> FailoverAsyncCall<'_, A, F, C, H, Sequential> {
    /// Runs the call: the operation's value, or why it gave up and where it
    /// last went. Attempt timeouts and the deadline work as in
    /// [`AsyncCall::run`](crate::retry::AsyncCall::run); a timed-out attempt
    /// counts as a failure of its endpoint.
    pub async fn run<T, E, Fut>(self) -> Result<T, FailoverError<E>>
    where
        F: FnMut(Target<A>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classify<T, E>,
        H: RetryHook<T, E>,
        E: fmt::Display,
    {
        let feedback = Feedback::new();
        let mut run = self.failover.start_with(&feedback);
        let mut op = self.op;
        let feedback = &feedback;
        let result = self
            .policy
            .call_async_with(&mut run, |run| {
                let target = run
                    .target()
                    .expect("the failover run chooses an endpoint before every attempt");
                let attempt = op(target);
                async move {
                    let outcome = attempt.await;
                    if let Err(error) = &outcome {
                        feedback.note_error(error);
                    }
                    outcome
                }
            })
            .classify(self.classifier)
            .hook(self.hook)
            .run()
            .await;
        result.map_err(|error| run.error(error))
    }
}

impl<A, F, C, H, M: fmt::Debug> fmt::Debug for FailoverAsyncCall<'_, A, F, C, H, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverAsyncCall")
            .field("failover", &self.failover)
            .field("policy", &self.policy)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
