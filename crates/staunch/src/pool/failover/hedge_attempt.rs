//! One hedged attempt: the first leg, plus hedges started on other
//! endpoints while no leg has answered.

use std::fmt::{self, Write as _};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::failover::Shared;
use super::feedback::Feedback;
use super::report::{emit_attempt, settle, try_begin, AttemptReport};
use super::target::Target;
use crate::breaker::OwnedPermit;
use crate::pool::{EndpointEntry, InFlight, SelectContext};
use crate::retry::Classify;

/// What a hedged attempt needs from its call.
pub(crate) struct HedgeEnv<'a, A, F, C> {
    pub(crate) shared: &'a Shared<A>,
    pub(crate) op: &'a F,
    pub(crate) classifier: &'a C,
    pub(crate) feedback: &'a Feedback<A>,
    pub(crate) call_id: u64,
    /// Endpoints a hedge must not go to: failed in the call, or in flight.
    pub(crate) busy: Vec<Arc<str>>,
}

/// A failed leg's outcome, and the hedge it came from (`None`: the first leg).
type Failure<A, T, E> = (Result<T, E>, Option<Arc<EndpointEntry<A>>>);

/// A hedge in flight (or finished: `future` is `None`).
struct Leg<A, Fut> {
    future: Option<Pin<Box<Fut>>>,
    target: Target<A>,
    held: Option<(InFlight<A>, OwnedPermit)>,
    delay_before: Duration,
}

/// Runs the attempt on `first`; when hedging is on and `first` has not
/// answered after the hedge delay, starts a hedge on another endpoint (one
/// more every hedge delay, up to the maximum), each paid for by the retry
/// budget. The first success or fatal outcome wins and the other legs are
/// dropped (cancelled). When every leg failed, the last failure is returned.
///
/// The first leg's breaker permit and guard belong to the call's run, which
/// records it from the [`Feedback`]; hedges are recorded here.
pub(crate) async fn hedged_attempt<A, T, E, F, Fut, C>(
    env: HedgeEnv<'_, A, F, C>,
    first: Target<A>,
) -> Result<T, E>
where
    F: Fn(Target<A>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<T, E>,
    E: fmt::Display,
{
    let hedging = env.shared.hedging;
    let Some(delay) = hedging.delay() else {
        let outcome = (env.op)(first).await;
        if let Err(error) = &outcome {
            env.feedback.note_error(error);
        }
        return outcome;
    };
    let attempt = first.attempt();
    let mut first_leg = pin!((env.op)(first));
    let mut first_done = false;
    let mut legs: Vec<Leg<A, Fut>> = Vec::new();
    let mut timer = pin!(tokio::time::sleep(delay));
    let mut hedges_left = hedging.max_hedges();
    // The latest failure, and the hedge it came from.
    let mut last: Option<Failure<A, T, E>> = None;
    let mut selector: Option<SelectContext<'_, A>> = None;
    poll_fn(|cx| loop {
        if !first_done {
            if let Poll::Ready(outcome) = first_leg.as_mut().poll(cx) {
                first_done = true;
                let verdict = env.classifier.classify(&outcome);
                env.feedback.update(|report| {
                    report.primary = Some(verdict);
                    if let Err(error) = &outcome {
                        report.error_text.clear();
                        let _ = write!(report.error_text, "{error}");
                    }
                });
                if !verdict.is_retry() {
                    return Poll::Ready(outcome);
                }
                last = Some((outcome, None));
            }
        }
        for leg in &mut legs {
            let Some(future) = leg.future.as_mut() else {
                continue;
            };
            let Poll::Ready(outcome) = future.as_mut().poll(cx) else {
                continue;
            };
            leg.future = None;
            let verdict = env.classifier.classify(&outcome);
            if let Some((guard, permit)) = leg.held.take() {
                let error = outcome.as_ref().err().map(|e| e as &dyn fmt::Display);
                let settled = settle(guard, permit, verdict, false, error, None);
                emit_attempt(
                    env.shared,
                    AttemptReport {
                        call_id: env.call_id,
                        attempt,
                        outcome: settled.outcome,
                        endpoint: Some(leg.target.entry().shared_id()),
                        delay_before: leg.delay_before,
                        latency: settled.latency,
                    },
                );
            }
            let entry = Arc::clone(leg.target.entry());
            if !verdict.is_retry() {
                env.feedback
                    .update(|report| report.decided_by = Some(entry));
                return Poll::Ready(outcome);
            }
            env.feedback
                .update(|report| report.failed.push(Arc::clone(&entry)));
            last = Some((outcome, Some(entry)));
        }
        let running = !first_done || legs.iter().any(|leg| leg.future.is_some());
        if !running {
            let Some((outcome, from)) = last.take() else {
                return Poll::Pending;
            };
            if from.is_some() {
                env.feedback.update(|report| report.decided_by = from);
            }
            return Poll::Ready(outcome);
        }
        if hedges_left == 0 || timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        hedges_left -= 1;
        let number = hedging.max_hedges() - hedges_left;
        timer.as_mut().reset(tokio::time::Instant::now() + delay);
        let ctx = selector.get_or_insert_with(|| hedge_context(&env, attempt));
        match start_hedge(&env, ctx, attempt, number, delay.saturating_mul(number)) {
            Some(leg) => legs.push(leg),
            None => hedges_left = 0,
        }
        // Loop: poll the new hedge once, and the timer again.
    })
    .await
}

/// The selection context of a hedge: the call's failures and the leg in
/// flight excluded.
fn hedge_context<'a, A, F, C>(env: &HedgeEnv<'a, A, F, C>, attempt: u32) -> SelectContext<'a, A> {
    let shared = env.shared;
    let mut ctx = SelectContext::from_rng(shared.hedge_rng(env.call_id, attempt))
        .with_available(shared.available_fn());
    for id in &env.busy {
        ctx.exclude(Arc::clone(id));
    }
    ctx
}

/// Starts hedge `number` on an endpoint neither failed in the call nor in
/// flight, if one is available and the retry budget pays for it.
fn start_hedge<A, T, E, F, Fut, C>(
    env: &HedgeEnv<'_, A, F, C>,
    ctx: &mut SelectContext<'_, A>,
    attempt: u32,
    number: u32,
    delay_before: Duration,
) -> Option<Leg<A, Fut>>
where
    F: Fn(Target<A>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let shared = env.shared;
    let selected = shared.pool.select(&*shared.strategy, ctx).ok()?;
    if ctx.is_excluded(selected.id()) {
        tracing::debug!(
            call_id = env.call_id,
            attempt,
            "no endpoint left to hedge on"
        );
        return None;
    }
    if let Some(budget) = &shared.budget {
        if !budget.try_withdraw() {
            tracing::debug!(
                call_id = env.call_id,
                attempt,
                "hedge refused by the retry budget"
            );
            return None;
        }
    }
    let (permit, guard) = try_begin(shared, selected.entry(), shared.pool.clock().now())?;
    ctx.exclude(Arc::clone(selected.entry().shared_id()));
    tracing::debug!(
        call_id = env.call_id,
        attempt,
        hedge = number,
        endpoint = selected.id(),
        "starting a hedge"
    );
    let target = Target::new(selected.into_entry(), attempt, number);
    Some(Leg {
        future: Some(Box::pin((env.op)(target.clone()))),
        target,
        held: Some((guard, permit)),
        delay_before,
    })
}
