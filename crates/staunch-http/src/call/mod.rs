//! The executor both integrations share: it drives the engine's sans-IO
//! [`RetryRun`] over a [`Transport`], applying the HTTP rules (classifier,
//! idempotency, body replay) and the [`Guard`] (breaker or pool failover,
//! budget, metrics). With a pool, each attempt's request is pointed at the
//! base URL chosen for it ([`Transport::retarget`]) before it is sent.
//!
//! The backoff, the attempt count, the deadline and `Retry-After` handling
//! are the engine's: this loop only sends, times, classifies and sleeps.

mod guard;
mod plan;
mod route;
mod run;

use std::future::Future;
use std::time::Instant;

use http::{HeaderMap, StatusCode};
use staunch::retry::{Step, StopReason};
use tracing::Instrument;

use crate::{BaseUrl, BoxError, Error, ErrorKind, HttpPolicy};
use guard::Guard;
pub(crate) use plan::{endpoint_key, Body, Plan};
pub(crate) use route::Route;
use run::{Call, Resume};

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
    /// Points `request` at `base`: its scheme, host and port become the
    /// base's, its path and query are `route`'s under the base's path, and
    /// a `Host` header, if it has one, names the base. An error is returned
    /// as the attempt's own (nothing is sent).
    fn retarget(
        &self,
        request: &mut Self::Request,
        base: &BaseUrl,
        route: &Route,
    ) -> Result<(), Self::Error>;
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
    let mut call = Call::new(policy, plan, template, guard);
    let limit = match call.begin() {
        Ok(limit) => limit,
        Err(reason) => return stopped::<T>(0, reason, None, None),
    };
    if limit.is_some() {
        return Box::pin(call.rest(transport, Resume::Send(request, limit))).await;
    }
    let started = call.start();
    let outcome = Some(match call.aim(transport, request) {
        Ok(request) => transport.send(request).await,
        Err(error) => Err(error),
    });
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

/// [`execute`] inside the call's `span`; when nobody listens the span
/// wrapper is left out, so that no span is entered and left on every poll.
pub(crate) async fn execute_in_span<T: Transport>(
    span: tracing::Span,
    policy: &HttpPolicy,
    plan: &Plan<'_>,
    transport: &mut T,
    request: T::Request,
) -> Finished<T::Response, T::Error> {
    if span.is_disabled() {
        execute(policy, plan, transport, request).await
    } else {
        execute(policy, plan, transport, request)
            .instrument(span)
            .await
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
