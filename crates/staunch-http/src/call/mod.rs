//! The executor both integrations share: it drives the engine's sans-IO
//! [`RetryRun`] over a [`Transport`], applying the HTTP rules (classifier,
//! idempotency, body replay) and the [`Guard`] (breaker, budget, metrics).
//!
//! The backoff, the attempt count, the deadline and `Retry-After` handling
//! are the engine's: this loop only sends, times, classifies and sleeps.

mod guard;
mod plan;

use std::future::Future;
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use staunch::retry::{RetryRun, Step, StopReason, Verdict};

use crate::{BoxError, Error, ErrorKind, HttpPolicy};
use guard::Guard;
pub(crate) use plan::{endpoint_key, Body, Plan};

/// Now, on tokio's clock (which tests pause and advance).
#[inline]
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// What sends one attempt: `reqwest-middleware`'s next middleware, or a
/// `tower` service.
pub(crate) trait Transport {
    /// The request sent.
    type Request;
    /// The response received.
    type Response;
    /// The failure of an attempt.
    type Error;

    /// A response's status.
    fn status(response: &Self::Response) -> StatusCode;
    /// A response's headers.
    fn headers(response: &Self::Response) -> &HeaderMap;
    /// What kind of failure `error` is.
    fn error_kind(error: &Self::Error) -> ErrorKind;
    /// `error`, boxed, for [`Error`]'s source.
    fn into_box(error: Self::Error) -> BoxError;
    /// A copy of `request` to send again, if it can be copied.
    fn replay(&self, request: &Self::Request) -> Option<Self::Request>;
    /// Sends one attempt.
    fn send(
        &mut self,
        request: Self::Request,
    ) -> impl Future<Output = Result<Self::Response, Self::Error>> + Send + '_;
}

/// How a call ended.
pub(crate) enum Finished<R, E> {
    /// A response to hand to the caller: a success, a final status, or the
    /// last retryable status when retrying stopped.
    Response(R),
    /// The one attempt's own error, returned as it came.
    Failed(E),
    /// Retrying stopped without a response.
    GaveUp(Error),
}

/// Runs one call: sends `request` through `transport` until the policy, the
/// classifier or the guard says stop.
///
/// The common case, a first attempt without a time limit that succeeds,
/// stays in this small future; a call that needs a timer (a time limit or a
/// retry) continues in [`Call::rest`], boxed, so that its state does not
/// weigh on every call.
pub(crate) async fn execute<T: Transport>(
    policy: &HttpPolicy,
    plan: &Plan<'_>,
    transport: &mut T,
    request: T::Request,
) -> Finished<T::Response, T::Error> {
    let breaker = match (&policy.breakers, &plan.key) {
        (Some(registry), Some(key)) => Some(registry.get(key.as_str())),
        _ => None,
    };
    let template = if plan.may_resend() {
        transport.replay(&request)
    } else {
        None
    };
    let guard = Guard::new(policy, breaker.as_ref(), plan.key.as_deref());
    let mut call = Call {
        policy,
        plan,
        // With one attempt allowed the policy stops by itself (exhausted).
        can_resend: template.is_some() || plan.retry.max_attempts() <= 1,
        template,
        run: RetryRun::new(&plan.retry, guard, now),
        timed: policy.metrics.is_some() || tracing::enabled!(tracing::Level::DEBUG),
    };
    let limit = match call.run.begin_attempt(now) {
        Ok(limit) => limit,
        Err(reason) => return stopped::<T>(0, reason, None, None),
    };
    if limit.is_some() {
        return Box::pin(call.rest(transport, Resume::Send(request, limit))).await;
    }
    let started = call.start();
    let outcome = Some(transport.send(request).await);
    let (step, kind) = call.judge(&outcome, started);
    match step {
        Step::Done => finished::<T>(outcome),
        Step::Stop(reason) => stopped::<T>(1, reason, outcome, kind),
        Step::Retry { delay } => {
            call.will_retry(delay, &outcome, kind);
            let resume = Resume::Sleep {
                last: outcome,
                kind,
                delay,
            };
            Box::pin(call.rest(transport, resume)).await
        }
    }
}

/// Where [`Call::rest`] picks a call up.
enum Resume<Req, R, E> {
    /// Send this first request within this time limit.
    Send(Req, Option<Duration>),
    /// Sleep `delay` after an attempt that ended with `last`, of `kind`.
    Sleep {
        last: Option<Result<R, E>>,
        kind: Option<ErrorKind>,
        delay: Duration,
    },
}

/// One call's state once it runs: its engine run, and what it needs to
/// send the request again.
struct Call<'a, T: Transport> {
    policy: &'a HttpPolicy,
    plan: &'a Plan<'a>,
    template: Option<T::Request>,
    can_resend: bool,
    run: RetryRun<'a, Guard<'a>>,
    /// Whether attempt latencies are measured (for metrics or logs).
    timed: bool,
}

impl<'a, T: Transport> Call<'a, T> {
    /// When an attempt starts, if latencies are measured.
    #[inline]
    fn start(&self) -> Option<Instant> {
        self.timed.then(now)
    }

    /// Judges the attempt that started at `started` and ended with
    /// `outcome` (`None`: it ran out of time): tells the guard and the log,
    /// and asks the engine what comes next.
    fn judge(
        &mut self,
        outcome: &Option<Result<T::Response, T::Error>>,
        started: Option<Instant>,
    ) -> (Step, Option<ErrorKind>) {
        let latency = started.map_or(Duration::ZERO, |s| now().saturating_duration_since(s));
        let classifier = &self.policy.classifier;
        let judged = match outcome {
            Some(Ok(response)) => {
                classifier.classify_response(T::status(response), T::headers(response), || {
                    self.policy.clock.system_now()
                })
            }
            Some(Err(error)) => classifier.classify_error(T::error_kind(error)),
            None => classifier.classify_error(ErrorKind::Timeout),
        };
        let verdict = self
            .plan
            .gate(judged.verdict, judged.error_kind, self.can_resend);
        let attempt = self.run.attempts();
        self.run
            .interceptor_mut()
            .attempt_ended(attempt, &judged, verdict, latency);
        tracing::debug!(
            attempt,
            status = judged.status,
            error_kind = judged.error_kind.map(ErrorKind::as_str),
            latency_ms = latency.as_secs_f64() * 1e3,
            retry = verdict.is_retry(),
            "attempt finished"
        );
        let step = match (outcome, verdict) {
            (None, Verdict::Retry { .. }) => self.run.end_timed_out_attempt(now),
            _ => self.run.end_attempt(verdict, now),
        };
        (step, judged.error_kind)
    }

    /// Logs a retry after `outcome`.
    fn will_retry(
        &self,
        delay: Duration,
        outcome: &Option<Result<T::Response, T::Error>>,
        kind: Option<ErrorKind>,
    ) {
        let status = match outcome {
            Some(Ok(response)) => Some(T::status(response).as_u16()),
            _ => None,
        };
        tracing::info!(
            attempt = self.run.attempts(),
            max_attempts = self.plan.retry.max_attempts(),
            delay_ms = delay.as_secs_f64() * 1e3,
            status,
            error_kind = kind.map(ErrorKind::as_str),
            "attempt failed, retrying"
        );
    }

    /// The rest of a call, from `resume` to its end.
    async fn rest(
        mut self,
        transport: &mut T,
        resume: Resume<T::Request, T::Response, T::Error>,
    ) -> Finished<T::Response, T::Error> {
        // The outcome of the attempt before the current one, and its kind.
        let (mut request, mut limit, mut last, mut last_kind) = match resume {
            Resume::Send(request, limit) => (Some(request), limit, None, None),
            Resume::Sleep { last, kind, delay } => {
                tokio::time::sleep(delay).await;
                match self.run.begin_attempt(now) {
                    Ok(limit) => (None, limit, last, kind),
                    Err(reason) => return stopped::<T>(self.run.attempts(), reason, last, kind),
                }
            }
        };
        loop {
            let attempt = self.run.attempts();
            let Some(request) = request
                .take()
                .or_else(|| self.template.as_ref().and_then(|t| transport.replay(t)))
            else {
                // Cannot happen: retries need a copy to send.
                return stopped::<T>(attempt - 1, StopReason::Fatal, last, last_kind);
            };
            // The previous response is of no use once another attempt is sent.
            drop(last.take());
            let started = self.start();
            let outcome = match limit {
                None => Some(transport.send(request).await),
                Some(limit) => tokio::time::timeout(limit, transport.send(request))
                    .await
                    .ok(),
            };
            let (step, kind) = self.judge(&outcome, started);
            match step {
                Step::Done => return finished::<T>(outcome),
                Step::Stop(reason) => return stopped::<T>(attempt, reason, outcome, kind),
                Step::Retry { delay } => {
                    self.will_retry(delay, &outcome, kind);
                    last = outcome;
                    last_kind = kind;
                    tokio::time::sleep(delay).await;
                }
            }
            limit = match self.run.begin_attempt(now) {
                Ok(limit) => limit,
                Err(reason) => return stopped::<T>(self.run.attempts(), reason, last, last_kind),
            };
        }
    }
}

/// The end of a call whose last attempt succeeded with `outcome`.
#[inline]
fn finished<T: Transport>(
    outcome: Option<Result<T::Response, T::Error>>,
) -> Finished<T::Response, T::Error> {
    match outcome {
        Some(Ok(response)) => Finished::Response(response),
        Some(Err(error)) => Finished::Failed(error),
        // The engine never calls a timed-out attempt a success.
        None => stopped::<T>(1, StopReason::Exhausted, None, Some(ErrorKind::Timeout)),
    }
}

/// The end of a call that stopped for `reason` after `attempts` attempts,
/// the last of which ended with `last` (`None`: timed out, or none sent).
#[cold]
fn stopped<T: Transport>(
    attempts: u32,
    reason: StopReason,
    last: Option<Result<T::Response, T::Error>>,
    kind: Option<ErrorKind>,
) -> Finished<T::Response, T::Error> {
    if reason == StopReason::Fatal {
        tracing::debug!(attempts, %reason, "not retried");
    } else {
        tracing::warn!(attempts, %reason, error_kind = kind.map(ErrorKind::as_str), "giving up");
    }
    match last {
        Some(Ok(response)) => Finished::Response(response),
        // The single attempt's own failure, which nothing of ours changed.
        Some(Err(error))
            if attempts == 1 && matches!(reason, StopReason::Fatal | StopReason::Exhausted) =>
        {
            Finished::Failed(error)
        }
        Some(Err(error)) => {
            Finished::GaveUp(Error::new(reason, attempts, Some(T::into_box(error)), kind))
        }
        None => Finished::GaveUp(Error::new(reason, attempts, None, kind)),
    }
}
