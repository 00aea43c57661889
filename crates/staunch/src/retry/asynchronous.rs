//! The async executor, on tokio's timers.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use super::report::{notify_retry, stopped, success_err, Failure};
use super::{
    Classify, FnHook, Interceptor, NoHook, RetryAll, RetryError, RetryHook, RetryIf, RetryPolicy,
    RetryRun, Step, StopReason,
};

/// Now, on tokio's clock (which tests pause and advance).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl RetryPolicy {
    /// Runs the future made by `op` until it succeeds, fails fatally, or the
    /// policy gives up, sleeping with tokio's timers between attempts. Every
    /// `Err` is retried; see [`call_async`](Self::call_async) for a
    /// classifier or a hook.
    ///
    /// The operation may borrow from the caller's stack: it is a plain
    /// closure returning a future, with no `'static` bound.
    ///
    /// ```
    /// use staunch::retry::RetryPolicy;
    ///
    /// struct Client { healthy_after: u32 }
    ///
    /// impl Client {
    ///     async fn get(&self, path: &str, attempt: u32) -> Result<String, String> {
    ///         if attempt < self.healthy_after {
    ///             Err(format!("{path}: 503"))
    ///         } else {
    ///             Ok(format!("{path}: 200"))
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // Locals, borrowed by the closure and by the futures it returns.
    /// let client = Client { healthy_after: 3 };
    /// let path = String::from("/health");
    /// let mut attempts = 0;
    ///
    /// let body = RetryPolicy::default()
    ///     .retry_async(|| {
    ///         attempts += 1;
    ///         client.get(&path, attempts)
    ///     })
    ///     .await;
    ///
    /// assert_eq!(body.unwrap(), "/health: 200");
    /// assert_eq!(attempts, 3);
    /// # }
    /// ```
    ///
    /// Dropping the returned future stops everything: no attempt starts after
    /// the drop, and the attempt in flight is dropped with it.
    pub fn retry_async<'p, T, E, F, Fut>(
        &'p self,
        op: F,
    ) -> impl Future<Output = Result<T, RetryError<E>>> + 'p
    where
        F: FnMut() -> Fut + 'p,
        Fut: Future<Output = Result<T, E>> + 'p,
        E: fmt::Display + 'p,
        T: 'p,
    {
        self.call_async(op).run()
    }

    /// The async [`retry_with`](Self::retry_with): [`retry_async`](Self::retry_async)
    /// with an [`Interceptor`] around every attempt.
    pub fn retry_async_with<'p, I, T, E, F, Fut>(
        &'p self,
        interceptor: I,
        mut op: F,
    ) -> impl Future<Output = Result<T, RetryError<E>>> + 'p
    where
        I: Interceptor + 'p,
        F: FnMut() -> Fut + 'p,
        Fut: Future<Output = Result<T, E>> + 'p,
        E: fmt::Display + 'p,
        T: 'p,
    {
        self.call_async_with(interceptor, move |_: &mut I| op())
            .run()
    }

    /// An async call to configure before [`run`](AsyncCall::run):
    /// classifier, hook.
    ///
    /// ```
    /// use staunch::retry::{RetryPolicy, Verdict};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::builder()
    ///     .with_attempt_timeout(Duration::from_secs(2))
    ///     .build();
    /// let mut delays = Vec::new();
    /// let result = policy
    ///     .call_async(|| async { Err::<(), _>(429) })
    ///     .classify(|r: &Result<(), u16>| match r {
    ///         Err(429) => Verdict::retry_after(Duration::from_secs(5)),
    ///         _ => Verdict::Fatal,
    ///     })
    ///     .on_retry(|_attempt, delay, _status| delays.push(delay))
    ///     .run()
    ///     .await;
    /// assert_eq!(result.unwrap_err().attempts(), 3);
    /// assert_eq!(delays, [Duration::from_secs(5), Duration::from_secs(5)]);
    /// # }
    /// ```
    pub fn call_async<T, E, F, Fut>(&self, mut op: F) -> AsyncCall<'_, impl FnMut(&mut ()) -> Fut>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_async_with((), move |_: &mut ()| op())
    }

    /// Like [`call_async`](Self::call_async) with an [`Interceptor`], which
    /// the operation receives when each attempt starts.
    pub fn call_async_with<I, T, E, F, Fut>(&self, interceptor: I, op: F) -> AsyncCall<'_, F, I>
    where
        I: Interceptor,
        F: FnMut(&mut I) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        AsyncCall {
            policy: self,
            interceptor,
            op,
            classifier: RetryAll,
            hook: NoHook,
        }
    }
}

/// An async call under a [`RetryPolicy`], from
/// [`RetryPolicy::call_async`]. Configure it, then `.run().await` it.
#[derive(Debug)]
#[must_use = "a call does nothing until `run` is awaited"]
pub struct AsyncCall<'p, F, I = (), C = RetryAll, H = NoHook> {
    policy: &'p RetryPolicy,
    interceptor: I,
    op: F,
    classifier: C,
    hook: H,
}

impl<'p, F, I, C, H> AsyncCall<'p, F, I, C, H> {
    /// Retries only the errors `predicate` accepts; other errors are fatal.
    pub fn when<T, E, Fut, P>(self, predicate: P) -> AsyncCall<'p, F, I, RetryIf<P>, H>
    where
        F: FnMut(&mut I) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.classify(RetryIf(predicate))
    }

    /// Sets the classifier (default: retry every `Err`). Closures need their
    /// argument typed: `|r: &Result<T, E>| ...`.
    pub fn classify<C2>(self, classifier: C2) -> AsyncCall<'p, F, I, C2, H> {
        AsyncCall {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier,
            hook: self.hook,
        }
    }

    /// Calls `hook(attempt, delay, &error)` before each sleep that follows an
    /// error (use [`hook`](Self::hook) to also hear of timeouts).
    pub fn on_retry<T, E, Fut, N>(self, hook: N) -> AsyncCall<'p, F, I, C, FnHook<N>>
    where
        F: FnMut(&mut I) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        N: FnMut(u32, Duration, &E),
    {
        self.hook(FnHook(hook))
    }

    /// Sets a [`RetryHook`].
    pub fn hook<H2>(self, hook: H2) -> AsyncCall<'p, F, I, C, H2> {
        AsyncCall {
            policy: self.policy,
            interceptor: self.interceptor,
            op: self.op,
            classifier: self.classifier,
            hook,
        }
    }

    /// Runs the call: the operation's value, or why it gave up.
    ///
    /// Each attempt is limited by the policy's attempt timeout and by the
    /// time left before the deadline. A timed-out attempt is retryable (its
    /// future is dropped); an attempt cut by the deadline ends the call with
    /// [`StopReason::Deadline`]. An `Ok` that the classifier wanted retried
    /// is returned as is when retrying stops.
    pub async fn run<T, E, Fut>(self) -> Result<T, RetryError<E>>
    where
        I: Interceptor,
        F: FnMut(&mut I) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classify<T, E>,
        H: RetryHook<T, E>,
        E: fmt::Display,
    {
        let mut run = RetryRun::new(self.policy, self.interceptor, now);
        let limit = match run.begin_attempt(now) {
            Ok(limit) => limit,
            Err(reason) => return stopped(&run, None, reason),
        };
        let parts = Parts {
            op: self.op,
            classifier: self.classifier,
            hook: self.hook,
        };
        if limit.is_some() {
            return parts.retry_loop(run, Resume::Begun(limit)).await;
        }
        // A first attempt without a time limit needs no timer: the common
        // case, a success at once, stays this small.
        let mut parts = parts;
        let outcome = (parts.op)(run.interceptor_mut()).await;
        match run.end_attempt(parts.classifier.classify(&outcome), now) {
            Step::Done => outcome.map_err(|e| success_err(&run, e)),
            Step::Stop(reason) => stopped(&run, Some(outcome), reason),
            Step::Retry { delay } => {
                let failure = match &outcome {
                    Ok(value) => Failure::Value(value),
                    Err(e) => Failure::Error(e),
                };
                let max = run.policy().max_attempts();
                notify_retry(&mut parts.hook, run.attempts(), max, delay, failure);
                let resume = Resume::Sleep {
                    last: Some(outcome),
                    delay,
                };
                parts.retry_loop(run, resume).await
            }
        }
    }
}

/// Where [`Parts::retry_loop`] picks a call up.
enum Resume<T, E> {
    /// An attempt was begun with this time limit; run it.
    Begun(Option<Duration>),
    /// Sleep `delay`, then begin the next attempt.
    Sleep {
        last: Option<Result<T, E>>,
        delay: Duration,
    },
}

/// The operation, classifier and hook of a call, once it runs.
struct Parts<F, C, H> {
    op: F,
    classifier: C,
    hook: H,
}

impl<F, C, H> Parts<F, C, H> {
    /// The retry loop, from `resume` to the end of the call.
    async fn retry_loop<I, T, E, Fut>(
        mut self,
        mut run: RetryRun<'_, I>,
        resume: Resume<T, E>,
    ) -> Result<T, RetryError<E>>
    where
        I: Interceptor,
        F: FnMut(&mut I) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: Classify<T, E>,
        H: RetryHook<T, E>,
        E: fmt::Display,
    {
        let mut limit = match resume {
            Resume::Begun(limit) => limit,
            Resume::Sleep { last, delay } => {
                tokio::time::sleep(delay).await;
                match run.begin_attempt(now) {
                    Ok(limit) => limit,
                    Err(reason) => return stopped(&run, last, reason),
                }
            }
        };
        // The outcome of the attempt before the current one.
        let mut last;
        loop {
            let attempt = (self.op)(run.interceptor_mut());
            // `None` when the attempt ran out of time.
            let finished = match limit {
                None => Some(attempt.await),
                Some(limit) => tokio::time::timeout(limit, attempt).await.ok(),
            };
            let step = match &finished {
                Some(outcome) => run.end_attempt(self.classifier.classify(outcome), now),
                None => run.end_timed_out_attempt(now),
            };
            let delay = match (step, finished) {
                (Step::Retry { delay }, finished) => {
                    last = finished;
                    delay
                }
                (Step::Done, Some(outcome)) => return outcome.map_err(|e| success_err(&run, e)),
                (Step::Stop(reason), finished) => return stopped(&run, finished, reason),
                // The core never calls a timed-out attempt a success.
                (Step::Done, None) => return stopped(&run, None, StopReason::Exhausted),
            };
            let failure = match &last {
                Some(Ok(value)) => Failure::Value(value),
                Some(Err(e)) => Failure::Error(e),
                None => Failure::TimedOut(limit.unwrap_or_default()),
            };
            let max = run.policy().max_attempts();
            notify_retry(&mut self.hook, run.attempts(), max, delay, failure);
            tokio::time::sleep(delay).await;
            limit = match run.begin_attempt(now) {
                Ok(limit) => limit,
                Err(reason) => return stopped(&run, last, reason),
            };
        }
    }
}
