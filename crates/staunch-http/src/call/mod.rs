//! The executor both integrations share: it drives the engine's sans-IO
//! [`RetryRun`] over a [`Transport`], applying the HTTP rules (classifier,
//! idempotency, body replay) and the [`Guard`] (breaker, budget, metrics).
//!
//! The backoff, the attempt count, the deadline and `Retry-After` handling
//! are the engine's: this loop only sends, times, classifies and sleeps.

mod guard;
mod plan;

use std::future::Future;
use std::time::Instant;

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
pub(crate) async fn execute<T: Transport>(
    policy: &HttpPolicy,
    plan: Plan<'_>,
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
    // With one attempt allowed the policy stops by itself (exhausted).
    let can_resend = template.is_some() || plan.retry.max_attempts() <= 1;
    let guard = Guard::new(policy, breaker.as_ref(), plan.key.as_deref());
    let mut run = RetryRun::new(&plan.retry, guard, now);
    let mut first = Some(request);
    // The outcome of the attempt before the current one, and its kind.
    let mut last: Option<Result<T::Response, T::Error>> = None;
    let mut last_kind = None;
    loop {
        let limit = match run.begin_attempt(now) {
            Ok(limit) => limit,
            Err(reason) => return stopped::<T>(run.attempts(), reason, last, last_kind),
        };
        let attempt = run.attempts();
        let request = match first.take() {
            Some(request) => request,
            None => match template.as_ref().and_then(|t| transport.replay(t)) {
                Some(request) => request,
                None => return stopped::<T>(attempt - 1, StopReason::Fatal, last, last_kind),
            },
        };
        // The previous response is of no use once another attempt is sent.
        drop(last.take());
        let started = now();
        let outcome = match limit {
            None => Some(transport.send(request).await),
            Some(limit) => tokio::time::timeout(limit, transport.send(request)).await.ok(),
        };
        let latency = now().saturating_duration_since(started);
        let judged = match &outcome {
            Some(Ok(response)) => policy.classifier.classify_response(
                T::status(response),
                T::headers(response),
                || policy.clock.system_now(),
            ),
            Some(Err(error)) => policy.classifier.classify_error(T::error_kind(error)),
            None => policy.classifier.classify_error(ErrorKind::Timeout),
        };
        let verdict = plan.gate(judged.verdict, judged.error_kind, can_resend);
        run.interceptor_mut()
            .attempt_ended(attempt, &judged, verdict, latency);
        tracing::debug!(
            attempt,
            status = judged.status,
            error_kind = judged.error_kind.map(ErrorKind::as_str),
            latency_ms = latency.as_secs_f64() * 1e3,
            retry = verdict.is_retry(),
            "attempt finished"
        );
        let step = match (&outcome, verdict) {
            (None, Verdict::Retry { .. }) => run.end_timed_out_attempt(now),
            _ => run.end_attempt(verdict, now),
        };
        match step {
            Step::Done => {
                return match outcome {
                    Some(Ok(response)) => Finished::Response(response),
                    Some(Err(error)) => Finished::Failed(error),
                    None => stopped::<T>(attempt, StopReason::Exhausted, None, judged.error_kind),
                }
            }
            Step::Stop(reason) => return stopped::<T>(attempt, reason, outcome, judged.error_kind),
            Step::Retry { delay } => {
                tracing::info!(
                    attempt,
                    max_attempts = plan.retry.max_attempts(),
                    delay_ms = delay.as_secs_f64() * 1e3,
                    status = judged.status,
                    error_kind = judged.error_kind.map(ErrorKind::as_str),
                    "attempt failed, retrying"
                );
                last = outcome;
                last_kind = judged.error_kind;
                tokio::time::sleep(delay).await;
            }
        }
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
