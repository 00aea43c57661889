//! The counters every bucket holds, as one flat array so that adding two
//! buckets is a loop the compiler vectorises.
//!
//! | fields          | what                                          |
//! |-----------------|-----------------------------------------------|
//! | `CALLS..+6`     | finished calls by [`CallOutcome`]             |
//! | `RETRIES`       | sent attempts with an attempt number above 1  |
//! | `SUCCESS..+11`  | successes at attempt 1..=10, then "more"      |
//! | `FAILURE..+5`   | failed attempts by [`AttemptOutcome`]         |
//! | `HIST..+12`     | sent attempts by latency bucket               |
//!
//! Sent attempts are the successes plus the first three failure reasons;
//! rejected and budget-denied attempts were not sent.

use std::time::Duration;

use super::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord};

pub(crate) const CALLS: usize = 0;
pub(crate) const RETRIES: usize = 6;
pub(crate) const SUCCESS: usize = 7;
/// Attempt numbers with their own success counter; later ones share "more".
pub(crate) const ATTEMPT_SLOTS: usize = 11;
pub(crate) const FAILURE: usize = SUCCESS + ATTEMPT_SLOTS;
pub(crate) const HIST: usize = FAILURE + 5;
pub(crate) const FIELDS: usize = HIST + LATENCY_BUCKETS_SECONDS.len() + 1;

/// Upper bounds of the latency histogram, in seconds (Prometheus' default
/// buckets); a last bucket takes everything slower.
pub const LATENCY_BUCKETS_SECONDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const BOUNDS_NANOS: [u64; 11] = [
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// The histogram bucket of a latency: the first bound it does not exceed.
fn bucket_of(nanos: u64) -> usize {
    BOUNDS_NANOS
        .iter()
        .take_while(|&&bound| nanos > bound)
        .count()
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// What one record adds to a bucket: at most three counters and a latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delta {
    fields: [u8; 3],
    len: u8,
    pub(crate) latency_nanos: u64,
}

impl Delta {
    fn push(&mut self, field: usize) {
        self.fields[usize::from(self.len)] = field as u8;
        self.len += 1;
    }

    /// The counters to add one to.
    pub(crate) fn fields(&self) -> &[u8] {
        &self.fields[..usize::from(self.len)]
    }

    /// The effect of one attempt. Attempt number 0 counts as 1.
    pub(crate) fn attempt(record: &AttemptRecord) -> Self {
        let mut delta = Self {
            fields: [0; 3],
            len: 0,
            latency_nanos: 0,
        };
        let outcome = record.outcome;
        if outcome == AttemptOutcome::Success {
            let slot = (record.attempt.max(1) as usize - 1).min(ATTEMPT_SLOTS - 1);
            delta.push(SUCCESS + slot);
        } else {
            delta.push(FAILURE + outcome.index() - 1);
        }
        if outcome.was_sent() {
            if record.attempt > 1 {
                delta.push(RETRIES);
            }
            delta.latency_nanos = nanos(record.latency);
            delta.push(HIST + bucket_of(delta.latency_nanos));
        }
        delta
    }

    /// The effect of one finished call.
    pub(crate) fn call(record: &CallRecord) -> Self {
        let mut delta = Self {
            fields: [0; 3],
            len: 0,
            latency_nanos: 0,
        };
        delta.push(CALLS + record.outcome.index());
        delta
    }
}

/// A bucket's counters, widened: what queries add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) fields: [u64; FIELDS],
    pub(crate) latency_nanos: u64,
}

impl Counts {
    pub(crate) const ZERO: Self = Self {
        fields: [0; FIELDS],
        latency_nanos: 0,
    };

    pub(crate) fn is_zero(&self) -> bool {
        self.latency_nanos == 0 && self.fields.iter().all(|&v| v == 0)
    }

    pub(crate) fn add(&mut self, other: &Self) {
        for (mine, theirs) in self.fields.iter_mut().zip(&other.fields) {
            *mine = mine.saturating_add(*theirs);
        }
        self.latency_nanos = self.latency_nanos.saturating_add(other.latency_nanos);
    }

    pub(crate) fn add_minute(&mut self, minute: &MinuteBucket) {
        for (mine, theirs) in self.fields.iter_mut().zip(&minute.fields) {
            *mine = mine.saturating_add(u64::from(*theirs));
        }
        self.latency_nanos = self.latency_nanos.saturating_add(minute.latency_nanos);
    }

    pub(crate) fn apply(&mut self, delta: &Delta) {
        for &field in delta.fields() {
            self.fields[usize::from(field)] += 1;
        }
        self.latency_nanos = self.latency_nanos.saturating_add(delta.latency_nanos);
    }

    /// Finished calls.
    pub(crate) fn calls(&self) -> u64 {
        self.fields[CALLS..CALLS + CallOutcome::ALL.len()]
            .iter()
            .sum()
    }

    /// Successful attempts.
    pub(crate) fn successes(&self) -> u64 {
        self.fields[SUCCESS..FAILURE].iter().sum()
    }

    /// Failed attempts of one reason.
    pub(crate) fn failures_of(&self, outcome: AttemptOutcome) -> u64 {
        match outcome {
            AttemptOutcome::Success => 0,
            other => self.fields[FAILURE + other.index() - 1],
        }
    }

    /// Attempts sent, by outcome.
    pub(crate) fn of_outcome(&self, outcome: AttemptOutcome) -> u64 {
        match outcome {
            AttemptOutcome::Success => self.successes(),
            other => self.failures_of(other),
        }
    }

    /// Attempts that reached the endpoint.
    pub(crate) fn sent(&self) -> u64 {
        self.fields[HIST..FIELDS].iter().sum()
    }

    /// The latency histogram, one count per bucket (not cumulative).
    pub(crate) fn histogram(&self) -> &[u64] {
        &self.fields[HIST..FIELDS]
    }
}

/// One frozen minute as kept in the ring: narrow counters (a minute of one
/// endpoint never sees 2^32 of anything), tagged with its minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MinuteBucket {
    pub(crate) fields: [u32; FIELDS],
    pub(crate) minute: u32,
    pub(crate) latency_nanos: u64,
}

impl MinuteBucket {
    pub(crate) const EMPTY: Self = Self {
        fields: [0; FIELDS],
        minute: 0,
        latency_nanos: 0,
    };

    /// Narrows `counts`, saturating.
    pub(crate) fn freeze(minute: u32, counts: &Counts) -> Self {
        let mut bucket = Self {
            minute,
            latency_nanos: counts.latency_nanos,
            ..Self::EMPTY
        };
        for (slot, &value) in bucket.fields.iter_mut().zip(&counts.fields) {
            *slot = u32::try_from(value).unwrap_or(u32::MAX);
        }
        bucket
    }

    /// Adds one record, saturating.
    pub(crate) fn apply(&mut self, delta: &Delta) {
        for &field in delta.fields() {
            let slot = &mut self.fields[usize::from(field)];
            *slot = slot.saturating_add(1);
        }
        self.latency_nanos = self.latency_nanos.saturating_add(delta.latency_nanos);
    }
}

/// The sum of the frozen minutes of one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HourBucket {
    pub(crate) counts: Counts,
    pub(crate) hour: u32,
    /// The latest minute added, so a query knows whether the whole hour
    /// lies inside its window.
    pub(crate) last_minute: u32,
}

impl HourBucket {
    pub(crate) const EMPTY: Self = Self {
        counts: Counts::ZERO,
        hour: 0,
        last_minute: 0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn latency_lands_in_first_bucket_not_below_it() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(5_000_000), 0, "le is inclusive");
        assert_eq!(bucket_of(5_000_001), 1);
        assert_eq!(bucket_of(10_000_000_000), 10);
        assert_eq!(bucket_of(10_000_000_001), 11);
        assert_eq!(bucket_of(u64::MAX), 11);
        for (bound, secs) in BOUNDS_NANOS.iter().zip(LATENCY_BUCKETS_SECONDS) {
            assert_eq!(*bound, (secs * 1e9).round() as u64);
        }
    }

    #[test]
    fn layout_has_no_overlap() {
        assert_eq!(RETRIES, CALLS + CallOutcome::ALL.len());
        assert_eq!(SUCCESS, RETRIES + 1);
        assert_eq!(HIST, FAILURE + AttemptOutcome::ALL.len() - 1);
        assert_eq!(FIELDS, 35);
    }

    #[test]
    fn retry_success_counts_attempt_retry_and_latency() {
        let record = AttemptRecord::new(1, 3, AttemptOutcome::Success, SystemTime::UNIX_EPOCH)
            .with_latency(Duration::from_millis(30));
        let delta = Delta::attempt(&record);
        assert_eq!(
            delta.fields(),
            [SUCCESS as u8 + 2, RETRIES as u8, HIST as u8 + 3]
        );
        assert_eq!(delta.latency_nanos, 30_000_000);
    }

    #[test]
    fn late_attempts_share_the_more_slot() {
        let record = AttemptRecord::new(1, 99, AttemptOutcome::Success, SystemTime::UNIX_EPOCH);
        assert_eq!(Delta::attempt(&record).fields()[0], (FAILURE - 1) as u8);
    }

    #[test]
    fn unsent_attempts_count_only_as_failures() {
        let record = AttemptRecord::new(1, 2, AttemptOutcome::BudgetDenied, SystemTime::UNIX_EPOCH)
            .with_latency(Duration::from_secs(1));
        let delta = Delta::attempt(&record);
        assert_eq!(delta.fields(), [FAILURE as u8 + 4]);
        assert_eq!(delta.latency_nanos, 0);
    }

    #[test]
    fn freezing_saturates_instead_of_wrapping() {
        let mut counts = Counts::ZERO;
        counts.fields[RETRIES] = u64::from(u32::MAX) + 5;
        let bucket = MinuteBucket::freeze(7, &counts);
        assert_eq!(bucket.fields[RETRIES], u32::MAX);
    }
}
