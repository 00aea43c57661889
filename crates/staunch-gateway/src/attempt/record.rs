//! The records one request's attempts leave in the metrics store.

use std::time::Duration;

use staunch::metrics::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, EndpointId};
use tokio::time::Instant;

use crate::endpoint::Endpoint;
use crate::engine::Engine;

/// Files an [`AttemptRecord`] per attempt (sent or not) and a
/// [`CallRecord`] when the request ends, all under one call id.
pub(crate) struct CallLog<'a> {
    engine: &'a Engine,
    call_id: u64,
    started: Instant,
    last_endpoint: Option<EndpointId>,
}

impl<'a> CallLog<'a> {
    pub(crate) fn new(engine: &'a Engine) -> Self {
        Self {
            engine,
            call_id: engine.next_call_id(),
            started: Instant::now(),
            last_endpoint: None,
        }
    }

    /// An attempt not sent: `outcome` is `Rejected` or `BudgetDenied`.
    pub(crate) fn not_sent(&mut self, endpoint: &Endpoint, attempt: u32, outcome: AttemptOutcome) {
        let record = AttemptRecord::new(self.call_id, attempt, outcome, self.engine.now())
            .with_endpoint(endpoint.metrics_id().clone());
        self.engine.metrics().record_attempt(&record);
    }

    /// A sent attempt and how it ended.
    pub(crate) fn sent(
        &mut self,
        endpoint: &Endpoint,
        attempt: u32,
        outcome: AttemptOutcome,
        status: Option<u16>,
        error_kind: Option<&'static str>,
        latency: Duration,
    ) {
        let id = endpoint.metrics_id().clone();
        let mut record = AttemptRecord::new(self.call_id, attempt, outcome, self.engine.now())
            .with_endpoint(id.clone())
            .with_latency(latency);
        record.status = status;
        record.error_kind = error_kind;
        self.engine.metrics().record_attempt(&record);
        self.last_endpoint = Some(id);
    }

    /// The request ended after `attempts` sent attempts.
    pub(crate) fn finish(self, attempts: u32, outcome: CallOutcome) {
        let mut record = CallRecord::new(self.call_id, attempts, outcome, self.engine.now())
            .with_duration(self.started.elapsed());
        record.endpoint = self.last_endpoint;
        self.engine.metrics().record_call(&record);
    }
}
