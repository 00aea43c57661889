//! [`StatusSet`]: a set of HTTP status codes, one bit each.

use std::fmt;

/// The largest status code a set can hold (`http` accepts 100 to 999).
const MAX_CODE: u16 = 999;
const WORDS: usize = (MAX_CODE as usize / 64) + 1;

/// A set of HTTP status codes: which answers are retried, or which count as
/// breaker failures. Lookups are one bit test; the set is `Copy`.
///
/// ```
/// use staunch_http::StatusSet;
///
/// let set = StatusSet::from_codes([429, 503]);
/// assert!(set.contains(503));
/// assert!(!set.contains(500));
/// assert_eq!(set.iter().collect::<Vec<_>>(), [429, 503]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusSet {
    bits: [u64; WORDS],
}

impl StatusSet {
    /// The empty set.
    pub const EMPTY: Self = Self { bits: [0; WORDS] };

    /// The statuses retried by default: 429, 500, 502, 503 and 504.
    pub const DEFAULT_RETRY: Self = Self::EMPTY
        .with(429)
        .with(500)
        .with(502)
        .with(503)
        .with(504);

    /// The statuses that count as breaker failures by default: 500, 502, 503
    /// and 504 (a 429 says "slow down", not "broken").
    pub const DEFAULT_BREAKER: Self = Self::EMPTY.with(500).with(502).with(503).with(504);

    /// The set of `codes`; codes above 999 are left out.
    pub fn from_codes(codes: impl IntoIterator<Item = u16>) -> Self {
        codes.into_iter().fold(Self::EMPTY, Self::with)
    }

    /// This set plus `code` (a code above 999 is left out).
    #[must_use]
    pub const fn with(mut self, code: u16) -> Self {
        if code <= MAX_CODE {
            self.bits[code as usize / 64] |= 1 << (code % 64);
        }
        self
    }

    /// This set without `code`.
    #[must_use]
    pub const fn without(mut self, code: u16) -> Self {
        if code <= MAX_CODE {
            self.bits[code as usize / 64] &= !(1 << (code % 64));
        }
        self
    }

    /// Whether `code` is in the set.
    #[inline]
    pub const fn contains(&self, code: u16) -> bool {
        code <= MAX_CODE && self.bits[code as usize / 64] & (1 << (code % 64)) != 0
    }

    /// Whether the set holds no code.
    pub const fn is_empty(&self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.bits[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The codes in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..=MAX_CODE).filter(|&code| self.contains(code))
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<u16> for StatusSet {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        Self::from_codes(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_retry_set_is_429_and_the_four_gateway_errors() {
        let codes: Vec<u16> = StatusSet::DEFAULT_RETRY.iter().collect();
        assert_eq!(codes, [429, 500, 502, 503, 504]);
    }

    #[test]
    fn default_breaker_set_leaves_429_out() {
        assert!(!StatusSet::DEFAULT_BREAKER.contains(429));
        assert!(StatusSet::DEFAULT_BREAKER.contains(503));
    }

    #[test]
    fn codes_past_999_are_ignored_not_panicking() {
        let set = StatusSet::EMPTY.with(1000).with(u16::MAX);
        assert!(set.is_empty());
        assert!(!set.contains(u16::MAX));
    }

    proptest! {
        #[test]
        fn set_agrees_with_a_vector_model(codes in proptest::collection::vec(0u16..1100, 0..40), probe in 0u16..1100) {
            let set = StatusSet::from_codes(codes.iter().copied());
            let expected = probe <= 999 && codes.contains(&probe);
            prop_assert_eq!(set.contains(probe), expected);
            prop_assert!(!set.without(probe).contains(probe));
        }
    }
}
