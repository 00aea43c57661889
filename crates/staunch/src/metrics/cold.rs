//! The frozen past of one endpoint: a ring of minutes, a ring of hourly
//! sums, and totals since the start.

use super::layout::{Counts, Delta, HourBucket, MinuteBucket};

/// The frozen past of one endpoint.
#[derive(Debug)]
pub(crate) struct Cold {
    minutes: Box<[MinuteBucket]>,
    hours: Box<[HourBucket]>,
    pub(crate) lifetime: Counts,
    pub(crate) late_dropped: u64,
}

impl Cold {
    pub(crate) fn new(retention_hours: u32) -> Self {
        let hours = retention_hours as usize;
        Self {
            minutes: vec![MinuteBucket::EMPTY; hours * 60].into_boxed_slice(),
            // One more hour than kept: the oldest hour of a window is partial.
            hours: vec![HourBucket::EMPTY; hours + 1].into_boxed_slice(),
            lifetime: Counts::ZERO,
            late_dropped: 0,
        }
    }

    fn minute_index(&self, minute: u32) -> usize {
        minute as usize % self.minutes.len()
    }

    fn hour_index(&self, hour: u32) -> usize {
        hour as usize % self.hours.len()
    }

    /// Stores the finished minute `minute`.
    pub(crate) fn freeze(&mut self, minute: u32, counts: &Counts) {
        if counts.is_zero() {
            return;
        }
        self.lifetime.add(counts);
        let index = self.minute_index(minute);
        self.minutes[index] = MinuteBucket::freeze(minute, counts);
        let hour = minute / 60;
        let index = self.hour_index(hour);
        let slot = &mut self.hours[index];
        if slot.hour < hour {
            *slot = HourBucket {
                hour,
                ..HourBucket::EMPTY
            };
        }
        if slot.hour == hour {
            slot.counts.add(counts);
            slot.last_minute = slot.last_minute.max(minute);
        }
    }

    /// Adds a record for a minute already frozen (or skipped). `newest` is
    /// the current minute; records older than the ring only reach the
    /// totals since the start.
    pub(crate) fn add_late(&mut self, minute: u32, newest: u32, delta: &Delta) {
        self.lifetime.apply(delta);
        let in_ring = u64::from(minute) + self.minutes.len() as u64 > u64::from(newest);
        let hour = minute / 60;
        let (m, h) = (self.minute_index(minute), self.hour_index(hour));
        if !in_ring || self.minutes[m].minute > minute || self.hours[h].hour > hour {
            self.late_dropped += 1;
            return;
        }
        if self.minutes[m].minute < minute {
            self.minutes[m] = MinuteBucket {
                minute,
                ..MinuteBucket::EMPTY
            };
        }
        self.minutes[m].apply(delta);
        let slot = &mut self.hours[h];
        if slot.hour < hour {
            *slot = HourBucket {
                hour,
                ..HourBucket::EMPTY
            };
        }
        slot.counts.apply(delta);
        slot.last_minute = slot.last_minute.max(minute);
    }

    /// Adds the frozen figures of minutes `from..=to` to `out`: whole hours
    /// from the hourly sums, partial hours minute by minute.
    pub(crate) fn sum(&self, from: u32, to: u32, out: &mut Counts) {
        if from > to {
            return;
        }
        for hour in from / 60..=to / 60 {
            let slot = &self.hours[self.hour_index(hour)];
            if slot.hour != hour {
                // Nothing of this hour was ever frozen (or it expired).
                continue;
            }
            let first = u64::from(hour) * 60;
            let start = u64::from(from).max(first);
            let end = u64::from(to).min(first + 59);
            if start == first && end >= u64::from(slot.last_minute) {
                out.add(&slot.counts);
            } else {
                for minute in start..=end {
                    let bucket = &self.minutes[minute as usize % self.minutes.len()];
                    if u64::from(bucket.minute) == minute {
                        out.add_minute(bucket);
                    }
                }
            }
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.minutes) + std::mem::size_of_val(&*self.hours)
    }
}
