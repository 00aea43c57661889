//! The sliding window behind [`RetryBudget`](super::RetryBudget): ten
//! one-second slots, each holding a deposit count and a withdrawal count.
//!
//! Every count lives in one `AtomicU64` together with the second it belongs
//! to (`second << 32 | count`), so a slot is moved to a new second and
//! incremented by the same compare-and-swap: no lock, no separate reset step
//! that could race with an increment.
//!
//! The nine finished seconds hardly change once their second is over, so
//! their sums are kept, stamped with the second they were made for, and
//! reused by every refusal check of that second ([`Window::quick_tally`]).
//! Decisions to allow always read every slot ([`Window::tally`]).

use std::sync::atomic::{AtomicU64, Ordering};

/// Number of slots; each covers one second.
pub(crate) const SLOTS: u32 = 10;

/// A count stamped with the second it belongs to.
#[derive(Debug, Default)]
struct Stamped(AtomicU64);

const fn pack(second: u32, count: u32) -> u64 {
    ((second as u64) << 32) | count as u64
}

const fn unpack(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

impl Stamped {
    /// Adds one for `second` and returns the second the unit was counted in
    /// with the new count. A slot already at a later second (a caller that
    /// read the clock late) keeps its second: the unit lands there.
    fn bump(&self, second: u32) -> (u32, u32) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let (at, count) = unpack(current);
            let next = if at >= second {
                (at, count.saturating_add(1))
            } else {
                (second, 1)
            };
            match self.0.compare_exchange_weak(
                current,
                pack(next.0, next.1),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds one for `second` with a single `fetch_add` (the deposit path),
    /// returning the count the slot dropped if it had to move on to `second`.
    ///
    /// The unit is added before the slot's second is known; when the slot
    /// turns out to hold an older second it is moved on, carrying the units
    /// added since this caller's (its own included) and dropping the rest.
    /// Whatever happens, every unit ends up either in a slot or in the
    /// dropped count. A count cannot reach 2^32 in one second, so the add
    /// never spills into the second.
    fn add(&self, second: u32) -> u32 {
        let (at, base) = unpack(self.0.fetch_add(1, Ordering::AcqRel));
        if at >= second {
            return 0;
        }
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let (now_at, count) = unpack(current);
            if now_at >= second {
                return 0;
            }
            let carried = if now_at == at {
                count.saturating_sub(base)
            } else {
                0
            };
            match self.0.compare_exchange_weak(
                current,
                pack(second, carried),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return count - carried,
                Err(actual) => current = actual,
            }
        }
    }

    /// Takes back one unit counted in `second`; a no-op once the slot has
    /// moved on (the unit expired with it).
    fn unbump(&self, second: u32) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |word| {
                let (at, count) = unpack(word);
                (at == second && count > 0).then(|| pack(at, count - 1))
            });
    }

    /// The count, whatever its second.
    fn count(&self) -> u32 {
        unpack(self.0.load(Ordering::Acquire)).1
    }

    /// The count if the slot's second is `oldest` or later.
    #[inline]
    fn live(&self, oldest: u32) -> u32 {
        let (at, count) = unpack(self.0.load(Ordering::Acquire));
        // Branch-free: this runs twenty times per withdrawal.
        count * u32::from(at >= oldest)
    }
}

#[derive(Debug, Default)]
struct Slot {
    deposits: Stamped,
    withdrawals: Stamped,
}

/// What the window holds at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Requests deposited in the window.
    pub(crate) deposits: u64,
    /// Withdrawals in the window beyond each second's floor.
    pub(crate) excess: u64,
    /// Withdrawals in the current second.
    pub(crate) current: u64,
}

/// Sums of the finished seconds of the window, each stamped with the second
/// they were made for.
#[derive(Debug, Default)]
struct PastSums {
    deposits: AtomicU64,
    excess: AtomicU64,
}

/// Ten one-second slots of deposits and withdrawals.
#[derive(Debug, Default)]
pub(crate) struct Window {
    slots: [Slot; SLOTS as usize],
    past: PastSums,
    /// Deposits dropped by slots moving on to a new second, so that the
    /// total needs no counter of its own on the deposit path.
    retired_deposits: AtomicU64,
}

impl Window {
    fn slot(&self, second: u32) -> &Slot {
        &self.slots[(second % SLOTS) as usize]
    }

    /// Counts one request in `second`.
    pub(crate) fn deposit(&self, second: u32) {
        let dropped = self.slot(second).deposits.add(second);
        if dropped > 0 {
            self.retired_deposits
                .fetch_add(u64::from(dropped), Ordering::Relaxed);
        }
    }

    /// Every deposit ever made. A deposit racing with its slot moving on may
    /// be missed for that instant.
    pub(crate) fn deposits_total(&self) -> u64 {
        let retired = self.retired_deposits.load(Ordering::Relaxed);
        self.slots
            .iter()
            .fold(retired, |sum, slot| sum + u64::from(slot.deposits.count()))
    }

    /// Counts one withdrawal in `second`, returning the second it was
    /// counted in and the withdrawals of that second including this one.
    pub(crate) fn withdraw(&self, second: u32) -> (u32, u32) {
        self.slot(second).withdrawals.bump(second)
    }

    /// Cancels a withdrawal made by [`withdraw`](Self::withdraw).
    pub(crate) fn cancel(&self, counted_in: u32) {
        self.slot(counted_in).withdrawals.unbump(counted_in);
    }

    /// Sums the live slots at `now`; `floor` withdrawals of every second are
    /// left out of `excess`. Exact: reads every slot.
    pub(crate) fn tally(&self, now: u32, floor: u32) -> Tally {
        let oldest = now.saturating_sub(SLOTS - 1);
        let mut deposits = 0;
        let mut excess = 0;
        for slot in &self.slots {
            deposits += u64::from(slot.deposits.live(oldest));
            excess += u64::from(slot.withdrawals.live(oldest).saturating_sub(floor));
        }
        Tally {
            deposits,
            excess,
            current: u64::from(self.slot(now).withdrawals.live(oldest)),
        }
    }

    /// Like [`tally`](Self::tally), but the nine finished seconds come from
    /// sums made once per second. A deposit or withdrawal landing in a
    /// finished second after its sum was made (a caller that read the clock
    /// just before the second turned) is missed until the next second.
    pub(crate) fn quick_tally(&self, now: u32, floor: u32) -> Tally {
        let oldest = now.saturating_sub(SLOTS - 1);
        let (d_at, past_deposits) = unpack(self.past.deposits.load(Ordering::Acquire));
        let (e_at, past_excess) = unpack(self.past.excess.load(Ordering::Acquire));
        let (past_deposits, past_excess) = if d_at == now && e_at == now {
            (u64::from(past_deposits), u64::from(past_excess))
        } else {
            self.sum_past(now, floor)
        };
        let slot = self.slot(now);
        let current = slot.withdrawals.live(oldest);
        Tally {
            deposits: past_deposits + u64::from(slot.deposits.live(oldest)),
            excess: past_excess + u64::from(current.saturating_sub(floor)),
            current: u64::from(current),
        }
    }

    /// Sums the finished seconds of the window ending at `now` and keeps the
    /// sums for the rest of that second.
    #[cold]
    fn sum_past(&self, now: u32, floor: u32) -> (u64, u64) {
        let oldest = now.saturating_sub(SLOTS - 1);
        let current = (now % SLOTS) as usize;
        let mut deposits = 0u64;
        let mut excess = 0u64;
        for (_, slot) in self.slots.iter().enumerate().filter(|(i, _)| *i != current) {
            deposits += u64::from(slot.deposits.live(oldest));
            excess += u64::from(slot.withdrawals.live(oldest).saturating_sub(floor));
        }
        let clamp = |sum: u64| u32::try_from(sum).unwrap_or(u32::MAX);
        self.past
            .deposits
            .store(pack(now, clamp(deposits)), Ordering::Release);
        self.past
            .excess
            .store(pack(now, clamp(excess)), Ordering::Release);
        // Clamped the same way as the stored copy, so that every reader of
        // this second sees the same figures.
        (u64::from(clamp(deposits)), u64::from(clamp(excess)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_restarts_when_its_second_comes_round_again() {
        let window = Window::default();
        window.deposit(3);
        window.deposit(3);
        window.deposit(13);
        assert_eq!(window.tally(13, 0).deposits, 1);
        assert_eq!(window.deposits_total(), 3);
    }

    #[test]
    fn slots_older_than_the_window_are_not_counted() {
        let window = Window::default();
        window.deposit(0);
        window.deposit(9);
        assert_eq!(window.tally(9, 0).deposits, 2);
        assert_eq!(window.tally(10, 0).deposits, 1);
        assert_eq!(window.tally(19, 0).deposits, 0);
    }

    #[test]
    fn cancel_only_undoes_the_same_second() {
        let window = Window::default();
        let (second, count) = window.withdraw(4);
        assert_eq!((second, count), (4, 1));
        window.withdraw(14);
        window.cancel(4);
        assert_eq!(window.tally(14, 0).current, 1);
        window.cancel(14);
        assert_eq!(window.tally(14, 0).current, 0);
    }

    #[test]
    fn late_caller_counts_in_the_newer_second() {
        let window = Window::default();
        window.withdraw(15);
        assert_eq!(window.withdraw(5), (15, 2));
    }

    #[test]
    fn deposit_moving_a_slot_on_retires_the_old_count() {
        let window = Window::default();
        for _ in 0..4 {
            window.deposit(2);
        }
        window.deposit(12);
        window.deposit(12);
        assert_eq!(window.tally(12, 0).deposits, 2);
        assert_eq!(window.deposits_total(), 6);
        window.deposit(2);
        assert_eq!(
            window.tally(12, 0).deposits,
            3,
            "a late deposit lands in the newer second"
        );
        assert_eq!(window.deposits_total(), 7);
    }

    #[test]
    fn quick_tally_matches_tally_when_nothing_races() {
        let window = Window::default();
        for second in 0..25 {
            for _ in 0..(second % 4) {
                window.deposit(second);
            }
            for _ in 0..(second % 3) {
                window.withdraw(second);
            }
            assert_eq!(window.quick_tally(second, 1), window.tally(second, 1));
            window.deposit(second);
            window.withdraw(second);
            assert_eq!(window.quick_tally(second, 1), window.tally(second, 1));
        }
    }

    #[test]
    fn floor_withdrawals_are_not_excess() {
        let window = Window::default();
        for _ in 0..7 {
            window.withdraw(1);
        }
        for _ in 0..2 {
            window.withdraw(2);
        }
        let tally = window.tally(2, 3);
        assert_eq!(tally.excess, 4);
        assert_eq!(tally.current, 2);
    }
}
