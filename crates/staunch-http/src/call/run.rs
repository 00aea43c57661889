//! [`Call`]: one call's state once it runs, and the retry loop that needs
//! timers.

use std::time::{Duration, Instant};

use staunch::retry::{RetryRun, Step, StopReason, Verdict};

use super::guard::Guard;
use super::{finished, now, stopped, Finished, Plan, Transport};
use crate::{ErrorKind, HttpPolicy};

/// Where [`Call::rest`] picks a call up.
pub(super) enum Resume<Req, R, E> {
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
pub(super) struct Call<'a, T: Transport> {
    policy: &'a HttpPolicy,
    plan: &'a Plan,
    template: Option<T::Kept>,
    can_resend: bool,
    run: RetryRun<'a, Guard<'a>>,
    /// Whether attempt latencies are measured (for metrics or logs).
    timed: bool,
}

impl<'a, T: Transport> Call<'a, T> {
    /// The call of `plan` under `policy`, with a copy of its request to send
    /// again (if it can be sent again) and its guard.
    pub(super) fn new(
        policy: &'a HttpPolicy,
        plan: &'a Plan,
        template: Option<T::Kept>,
        guard: Guard<'a>,
    ) -> Self {
        Self {
            policy,
            plan,
            // With one attempt allowed the policy stops by itself (exhausted).
            can_resend: template.is_some() || plan.retry(policy).max_attempts() <= 1,
            template,
            run: RetryRun::new(plan.retry(policy), guard, now),
            timed: policy.metrics.is_some() || tracing::enabled!(tracing::Level::DEBUG),
        }
    }

    /// Starts the next attempt: its time limit, or why it must not start.
    #[inline]
    pub(super) fn begin(&mut self) -> Result<Option<Duration>, StopReason> {
        self.run.begin_attempt(now)
    }

    /// `request`, pointed at the base URL of the attempt just begun when
    /// the call goes through a pool.
    #[inline]
    pub(super) fn aim(
        &self,
        transport: &T,
        mut request: T::Request,
    ) -> Result<T::Request, T::Error> {
        if let (Some(route), Some(base)) = (&self.plan.route, self.run.interceptor().base()) {
            transport.retarget(&mut request, base, route)?;
        }
        Ok(request)
    }

    /// When an attempt starts, if latencies are measured.
    #[inline]
    pub(super) fn start(&self) -> Option<Instant> {
        self.timed.then(now)
    }

    /// Judges the attempt that started at `started` and ended with
    /// `outcome` (`None`: it ran out of time): tells the guard and the log,
    /// and asks the engine what comes next.
    pub(super) fn judge(
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
    pub(super) fn will_retry(
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
            max_attempts = self.plan.retry(self.policy).max_attempts(),
            delay_ms = delay.as_secs_f64() * 1e3,
            status,
            error_kind = kind.map(ErrorKind::as_str),
            "attempt failed, retrying"
        );
    }

    /// The rest of a call, from `resume` to its end.
    pub(super) async fn rest(
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
            let outcome = match (self.aim(transport, request), limit) {
                (Err(error), _) => Some(Err(error)),
                (Ok(request), None) => Some(transport.send(request).await),
                (Ok(request), Some(limit)) => tokio::time::timeout(limit, transport.send(request))
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
