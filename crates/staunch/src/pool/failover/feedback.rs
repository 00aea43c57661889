//! What an async attempt tells the call's [`FailoverRun`](super::FailoverRun)
//! once it is over: the error text, and for a hedged attempt which legs
//! answered.
//!
//! The attempt's future cannot borrow the run (the executor holds it), so
//! they share this small slot, locked once per failed or hedged attempt.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use crate::pool::EndpointEntry;
use crate::retry::Verdict;

/// The slot shared by one call's attempts and its run.
pub(crate) struct Feedback<A> {
    report: Mutex<Report<A>>,
}

/// What one attempt reported.
pub(crate) struct Report<A> {
    /// The message of the first leg's error, if it failed with one.
    pub(crate) error_text: String,
    /// The first leg's verdict, when a hedged attempt saw it answer.
    pub(crate) primary: Option<Verdict>,
    /// The hedge whose outcome the attempt returned (the first leg was then
    /// cancelled unless it had answered).
    pub(crate) decided_by: Option<Arc<EndpointEntry<A>>>,
    /// Hedges that failed (already recorded on their breakers and stats).
    pub(crate) failed: Vec<Arc<EndpointEntry<A>>>,
}

impl<A> Report<A> {
    pub(crate) const fn new() -> Self {
        Self {
            error_text: String::new(),
            primary: None,
            decided_by: None,
            failed: Vec::new(),
        }
    }
}

impl<A> Feedback<A> {
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) const fn new() -> Self {
        Self {
            report: Mutex::new(Report::new()),
        }
    }

    /// Changes the report.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut Report<A>) -> R) -> R {
        f(&mut self.report.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Keeps `error`'s message as the first leg's error text.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn note_error(&self, error: &dyn fmt::Display) {
        self.update(|report| {
            report.error_text.clear();
            let _ = write!(report.error_text, "{error}");
        });
    }

    /// Takes the report, leaving an empty one for the next attempt.
    pub(crate) fn take(&self) -> Report<A> {
        self.update(|report| std::mem::replace(report, Report::new()))
    }
}
