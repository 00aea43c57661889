//! The packed state word: state, probes in flight, probe successes and a
//! generation, in one `u64` so admission and outcomes are single atomic
//! operations.
//!
//! Layout, low bits first: state (2 bits), probes in flight (16), probe
//! successes in this half-open period (16), generation (30). The generation
//! changes on every state change, so an outcome reported by a permit from an
//! earlier state is recognised and ignored, and a transition only happens if
//! the state it starts from is still current.

use super::CircuitState;

const STATE_MASK: u64 = 0b11;
const FIELD_MASK: u64 = 0xFFFF;
const IN_FLIGHT_SHIFT: u32 = 2;
const SUCCESSES_SHIFT: u32 = 18;
const GENERATION_SHIFT: u32 = 34;
const GENERATION_MASK: u64 = (1 << 30) - 1;

/// One value of the packed state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(pub(crate) u64);

impl Word {
    /// Closed, generation 0, nothing in flight.
    pub(crate) const INITIAL: Self = Self(0);

    /// The breaker's state.
    pub(crate) const fn state(self) -> CircuitState {
        match self.0 & STATE_MASK {
            0 => CircuitState::Closed,
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            _ => CircuitState::Isolated,
        }
    }

    /// Probe permits that have not finished yet (from any half-open period).
    pub(crate) const fn in_flight(self) -> u32 {
        ((self.0 >> IN_FLIGHT_SHIFT) & FIELD_MASK) as u32
    }

    /// Probe successes in the current half-open period.
    pub(crate) const fn successes(self) -> u32 {
        ((self.0 >> SUCCESSES_SHIFT) & FIELD_MASK) as u32
    }

    /// Changes on every state change (wraps after 2^30).
    pub(crate) const fn generation(self) -> u32 {
        ((self.0 >> GENERATION_SHIFT) & GENERATION_MASK) as u32
    }

    /// The word after a change to `to`: next generation, no probe successes,
    /// probes in flight kept (they still hold their slots).
    pub(crate) const fn advanced(self, to: CircuitState) -> Self {
        let generation = (self.generation() as u64 + 1) & GENERATION_MASK;
        let state = match to {
            CircuitState::Closed => 0,
            CircuitState::Open => 1,
            CircuitState::HalfOpen => 2,
            CircuitState::Isolated => 3,
        };
        Self(
            (generation << GENERATION_SHIFT)
                | ((self.in_flight() as u64) << IN_FLIGHT_SHIFT)
                | state,
        )
    }

    /// The same word with `n` probes in flight (saturating at the field's
    /// width, which configuration limits keep far away).
    pub(crate) const fn with_in_flight(self, n: u32) -> Self {
        let n = if n as u64 > FIELD_MASK {
            FIELD_MASK
        } else {
            n as u64
        };
        Self((self.0 & !(FIELD_MASK << IN_FLIGHT_SHIFT)) | (n << IN_FLIGHT_SHIFT))
    }

    /// The same word with `n` probe successes (saturating).
    pub(crate) const fn with_successes(self, n: u32) -> Self {
        let n = if n as u64 > FIELD_MASK {
            FIELD_MASK
        } else {
            n as u64
        };
        Self((self.0 & !(FIELD_MASK << SUCCESSES_SHIFT)) | (n << SUCCESSES_SHIFT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STATES: [CircuitState; 4] = [
        CircuitState::Closed,
        CircuitState::Open,
        CircuitState::HalfOpen,
        CircuitState::Isolated,
    ];

    #[test]
    fn initial_word_is_closed_and_empty() {
        let w = Word::INITIAL;
        assert_eq!(w.state(), CircuitState::Closed);
        assert_eq!((w.in_flight(), w.successes(), w.generation()), (0, 0, 0));
    }

    proptest! {
        #[test]
        fn fields_round_trip_independently(
            state in 0usize..4, in_flight in 0u32..=0xFFFF, successes in 0u32..=0xFFFF, steps in 0u32..5
        ) {
            let mut w = Word::INITIAL;
            for _ in 0..steps {
                w = w.advanced(CircuitState::Open);
            }
            let w = w.advanced(STATES[state]).with_in_flight(in_flight).with_successes(successes);
            prop_assert_eq!(w.state(), STATES[state]);
            prop_assert_eq!(w.in_flight(), in_flight);
            prop_assert_eq!(w.successes(), successes);
            prop_assert_eq!(w.generation(), steps + 1);
        }

        #[test]
        fn advancing_keeps_in_flight_and_clears_successes(in_flight in 0u32..=0xFFFF, to in 0usize..4) {
            let w = Word::INITIAL.with_in_flight(in_flight).with_successes(7);
            let next = w.advanced(STATES[to]);
            prop_assert_eq!(next.in_flight(), in_flight);
            prop_assert_eq!(next.successes(), 0);
            prop_assert_ne!(next.generation(), w.generation());
        }
    }

    #[test]
    fn generation_wraps_without_touching_other_fields() {
        let mut w = Word(GENERATION_MASK << GENERATION_SHIFT).with_in_flight(3);
        w = w.advanced(CircuitState::HalfOpen);
        assert_eq!(w.generation(), 0);
        assert_eq!(w.in_flight(), 3);
        assert_eq!(w.state(), CircuitState::HalfOpen);
    }

    #[test]
    fn oversized_counts_saturate() {
        let w = Word::INITIAL
            .with_in_flight(u32::MAX)
            .with_successes(u32::MAX);
        assert_eq!((w.in_flight(), w.successes()), (0xFFFF, 0xFFFF));
        assert_eq!(w.state(), CircuitState::Closed);
        assert_eq!(w.generation(), 0);
    }
}
