//! The [`Interceptor`] side of [`FailoverRun`]: what happens at each step
//! of the retry loop.

use std::sync::Arc;
use std::time::Duration;

use super::FailoverRun;
use crate::metrics::{AttemptOutcome, CallRecord};
use crate::pool::failover::feedback::Feedback;
use crate::pool::failover::report::{call_outcome, unavailable};
use crate::pool::Selected;
use crate::retry::{AttemptRecord, Interceptor, StopReason};

impl<A> Interceptor for FailoverRun<'_, A> {
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        let now = self.shared.pool.clock().now();
        if attempt == 1 {
            self.started = Some(now);
        }
        self.last_end = None;
        self.error_text.clear();
        match self.acquire(attempt, now) {
            Ok(current) => {
                // A call counts as a request for the budget once it is sent:
                // calls refused here earn no retries.
                if self.sent == 0 {
                    if let Some(budget) = &self.shared.budget {
                        budget.deposit();
                    }
                }
                self.sent += 1;
                self.current = Some(current);
                Ok(())
            }
            Err(reason) => {
                let _ = self.emit(attempt, AttemptOutcome::Rejected, None, Duration::ZERO);
                Err(reason)
            }
        }
    }

    fn after_attempt(&mut self, record: &AttemptRecord) {
        let report = self.feedback.map(Feedback::take);
        let Some(current) = self.current.take() else {
            return;
        };
        match report {
            Some(report) => self.settle_reported(current, record, report),
            None => self.settle(current, record.verdict, record.timed_out),
        }
    }

    fn adjust_delay(
        &mut self,
        attempt: u32,
        _delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        let shared = self.shared;
        let Ok(next) = shared.pool.select(&*shared.strategy, &mut self.ctx) else {
            let _ = self.emit(attempt + 1, AttemptOutcome::Rejected, None, Duration::ZERO);
            return Err(unavailable(shared));
        };
        let fresh = !self.ctx.is_excluded(next.id());
        self.planned = Some(next);
        Ok(fresh.then_some(shared.failover_delay))
    }

    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        self.delay_before = delay;
        if let Some(budget) = &self.shared.budget {
            if !budget.try_withdraw() {
                let planned = self.planned.take();
                let _ = self.emit(
                    attempt + 1,
                    AttemptOutcome::BudgetDenied,
                    planned.as_ref().map(Selected::entry),
                    Duration::ZERO,
                );
                return Err(StopReason::BudgetExhausted);
            }
        }
        // The retry goes ahead (deadline and budget allowed it): count it as
        // a failover when it moves to an endpoint not yet tried.
        if let Some(next) = &self.planned {
            if !self.ctx.is_excluded(next.id()) {
                self.failovers += 1;
                tracing::debug!(
                    call_id = self.call_id,
                    attempt,
                    from = self.last.as_ref().map(|e| e.id()),
                    to = next.id(),
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "failing over"
                );
            }
        }
        // A wait follows: the call no longer ends when the last attempt did.
        self.last_end = None;
        Ok(())
    }

    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        let Some(sink) = &self.shared.sink else {
            return;
        };
        let clock = self.shared.pool.clock();
        let _ = attempts;
        // A call that stopped on its last attempt's outcome ended with it:
        // its times are the attempt's, not read again.
        let last_end = self.last_end;
        let wall = last_end
            .and_then(|end| end.wall)
            .unwrap_or_else(|| clock.system_now());
        let mut record = CallRecord::new(self.call_id, self.sent, call_outcome(stop), wall);
        if let Some(started) = self.started {
            let ended = last_end.map_or_else(|| clock.now(), |end| end.at);
            record = record.with_duration(ended.saturating_duration_since(started));
        }
        if let Some(entry) = self.last_endpoint() {
            record = record.with_endpoint(Arc::clone(entry.shared_id()));
        }
        sink.record_call(&record);
    }
}
