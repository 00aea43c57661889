//! The executor both integrations share: it drives the engine's sans-IO
//! [`RetryRun`] over a [`Transport`], applying the HTTP rules (classifier,
//! idempotency, body replay) and the [`Guard`] (breaker or pool failover,
//! budget, metrics). With a pool, each attempt's request is pointed at the
//! base URL chosen for it ([`Transport::retarget`]) before it is sent.
//!
//! The backoff, the attempt count, the deadline and `Retry-After` handling
//! are the engine's: this loop only sends, times, classifies and sleeps.

mod guard;
mod host;
mod plan;
mod route;
mod run;

use std::future::Future;
use std::ops::Deref;
use std::time::Instant;

use http::{HeaderMap, StatusCode};
use staunch::retry::{Step, StopReason};

use crate::{BaseUrl, BoxError, Error, ErrorKind, HttpPolicy};
use guard::Guard;
pub(crate) use host::{Host, HostLookup};
pub(crate) use plan::{Body, Plan};
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
    /// What a call returns to the integration's caller.
    type Output;

    /// A response's status.
    fn status(response: &Self::Response) -> StatusCode;
    /// A response's headers.
    fn headers(response: &Self::Response) -> &HeaderMap;
    /// What kind of failure `error` is.
    fn error_kind(error: &Self::Error) -> ErrorKind;
    /// `error`, boxed, for [`Error`]'s source.
    fn into_box(error: Self::Error) -> BoxError;
    /// What is kept of a request to send it again.
    type Kept;

    /// What to keep of `request` to send it again, if it can be copied.
    fn keep(&self, request: &Self::Request) -> Option<Self::Kept>;
    /// A request made from `copy`, to send again.
    fn replay(&self, copy: &Self::Kept) -> Option<Self::Request>;
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
    /// A finished call as the integration returns it.
    fn output(finished: Finished<Self::Response, Self::Error>) -> Self::Output;
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

/// `$future` boxed, as both integrations return it, inside `$span`; when
/// nobody listens to the span, without the span's wrapper, which would
/// enter and leave a disabled span on every poll. A macro rather than a
/// function, so that the future is made in place in each branch instead of
/// being copied once more through an argument.
macro_rules! boxed_in {
    ($span:expr, $future:expr) => {{
        let span: ::tracing::Span = $span;
        if span.is_disabled() {
            ::std::boxed::Box::pin($future)
        } else {
            ::std::boxed::Box::pin(::tracing::Instrument::instrument($future, span))
        }
    }};
}
pub(crate) use boxed_in;

/// Runs one call: sends `request` through `transport` until the policy, the
/// classifier or the guard says stop.
///
/// The common case, a first attempt without a time limit that succeeds,
/// stays in this future; a call that needs a timer (a time limit or a
/// retry) continues in [`Call::rest`], boxed, so that its state does not
/// weigh on every call.
///
/// The integrations box this future on every request, so its size decides
/// what that allocation and its copies cost; it is kept small on purpose.
/// It owns its policy (a reference or an `Arc`), plan and transport, so
/// that the integration needs no future of its own around it, and it is an
/// `async` block rather than an `async fn`, which would keep a second slot
/// for each argument. A value that is borrowed stays in the future until
/// its scope ends, so the request is aimed and sent by [`send_first`] and
/// the outcome of the first attempt has its own scope.
// An `async fn` would keep a second slot for each argument (see above).
#[allow(clippy::manual_async_fn)]
pub(crate) fn execute<'a, T, P>(
    policy: P,
    plan: Plan,
    mut transport: T,
    request: T::Request,
) -> impl Future<Output = T::Output> + 'a
where
    T: Transport + 'a,
    P: Deref<Target = HttpPolicy> + 'a,
{
    async move {
        let policy = &*policy;
        let plan = &plan;
        let template = if plan.may_resend(policy) {
            transport.keep(&request)
        } else {
            None
        };
        let guard = Guard::new(policy, plan.host.breaker.as_ref(), plan.host.key.as_ref());
        let mut call = Call::new(policy, plan, template, guard);
        let limit = match call.begin() {
            Ok(limit) => limit,
            Err(reason) => return T::output(stopped::<T>(0, reason, None, None)),
        };
        let resume = if limit.is_some() {
            Resume::Send(request, limit)
        } else {
            let started = call.start();
            let outcome = Some(match send_first(&call, &mut transport, request) {
                Ok(sending) => sending.await,
                Err(error) => Err(error),
            });
            let (step, kind) = call.judge(&outcome, started);
            match step {
                Step::Done => return T::output(finished::<T>(outcome)),
                Step::Stop(reason) => return T::output(stopped::<T>(1, reason, outcome, kind)),
                Step::Retry { delay } => {
                    call.will_retry(delay, &outcome, kind);
                    Resume::Sleep {
                        last: outcome,
                        kind,
                        delay,
                    }
                }
            }
        };
        T::output(Box::pin(call.rest(&mut transport, resume)).await)
    }
}

/// The first attempt's send, with `request` aimed at its base URL: a plain
/// function, so that the request does not stay in the caller's future
/// while the response is awaited.
#[inline]
fn send_first<'t, T: Transport>(
    call: &Call<'_, T>,
    transport: &'t mut T,
    request: T::Request,
) -> Result<impl Future<Output = Result<T::Response, T::Error>> + Send + 't, T::Error> {
    let request = call.aim(transport, request)?;
    Ok(transport.send(request))
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
