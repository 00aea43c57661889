//! The shape of the delays before jitter and cap: exponential, linear, fixed,
//! decorrelated.

use std::time::Duration;

use rand::Rng;

/// How the delay before retry *n* (n = 1, 2, …) grows, before jitter and cap.
///
/// | schedule | delay before retry *n* | with `base` = 1 s |
/// |---|---|---|
/// | [`Exponential`](Schedule::Exponential) | `base * multiplier^(n-1)` | 1 s, 2 s, 4 s (× 2) |
/// | [`Linear`](Schedule::Linear) | `base * n` | 1 s, 2 s, 3 s |
/// | [`Fixed`](Schedule::Fixed) | `base` | 1 s, 1 s, 1 s |
/// | [`Decorrelated`](Schedule::Decorrelated) | random; retry *n* happens near `base * 2^(n-1)` after the first failure | ≈ 1 s, 1 s, 2 s, 4 s |
///
/// Every schedule is total: no parameter (zero, huge, NaN or infinite
/// multiplier, attempt 4 billion) makes it panic or overflow; see
/// [`Backoff`](super::Backoff) for the cap that bounds the result.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Schedule {
    /// `base * multiplier^(n-1)`. A multiplier below 1 (or NaN) counts as 1,
    /// so delays never shrink.
    Exponential {
        /// The delay before the first retry.
        base: Duration,
        /// The growth factor between two retries.
        multiplier: f64,
    },
    /// `base * n`.
    Linear {
        /// The delay before the first retry, and the step between two retries.
        base: Duration,
    },
    /// `base` before every retry.
    Fixed {
        /// The delay before every retry.
        base: Duration,
    },
    /// Polly v8's "decorrelated jitter V2": a random, smoothly spread
    /// exponential schedule. Retry *n* happens, in median, about
    /// `base * 2^(n-1)` after the first failure (so the delays themselves are
    /// near 1, 1, 2, 4… × `base`), without the clusters plain jitter leaves.
    /// It is random by itself, so [`Jitter::None`](super::Jitter::None) is the
    /// usual choice with it.
    Decorrelated {
        /// The median delay aimed at for the first retry.
        base: Duration,
    },
}

impl Schedule {
    /// [`Schedule::Exponential`].
    pub const fn exponential(base: Duration, multiplier: f64) -> Self {
        Self::Exponential { base, multiplier }
    }

    /// [`Schedule::Linear`].
    pub const fn linear(base: Duration) -> Self {
        Self::Linear { base }
    }

    /// [`Schedule::Fixed`].
    pub const fn fixed(base: Duration) -> Self {
        Self::Fixed { base }
    }

    /// [`Schedule::Decorrelated`].
    pub const fn decorrelated(base: Duration) -> Self {
        Self::Decorrelated { base }
    }

    /// The base delay of any schedule.
    pub const fn base(&self) -> Duration {
        match *self {
            Self::Exponential { base, .. }
            | Self::Linear { base }
            | Self::Fixed { base }
            | Self::Decorrelated { base } => base,
        }
    }

    /// Whether computing a delay draws random numbers.
    pub(crate) const fn is_random(&self) -> bool {
        matches!(self, Self::Decorrelated { .. })
    }

    /// The delay before retry `retry` (1-based; 0 is read as 1) in
    /// nanoseconds, possibly huge or infinite but never NaN or negative.
    pub(crate) fn raw_nanos<R: Rng + ?Sized>(
        &self,
        retry: u32,
        prev: &mut f64,
        rng: &mut R,
    ) -> f64 {
        let n = retry.max(1);
        let nanos = match *self {
            Self::Exponential { base, multiplier } => {
                let base = nanos_of(base);
                if base == 0.0 {
                    0.0
                } else {
                    let m = if multiplier >= 1.0 { multiplier } else { 1.0 };
                    let exp = i32::try_from(n - 1).unwrap_or(i32::MAX);
                    base * m.powi(exp)
                }
            }
            Self::Linear { base } => nanos_of(base) * f64::from(n),
            Self::Fixed { base } => nanos_of(base),
            Self::Decorrelated { base } => decorrelated_nanos(nanos_of(base), n, prev, rng),
        };
        if nanos.is_nan() || nanos < 0.0 {
            0.0
        } else {
            nanos
        }
    }
}

/// A duration as (possibly fractional) nanoseconds.
pub(crate) fn nanos_of(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// Polly v8's `DecorrelatedJitterBackoffV2`, by George Polevoy: the delay is
/// the growth of `2^t * tanh(sqrt(p * t))` between two consecutive random
/// points `t = attempt + U[0, 1)`, scaled so the median time of each retry
/// lands near a whole power of two times `base`.
///
/// `prev` carries the previous value of the formula between retries of one
/// call. The result is infinite once the formula overflows (about attempt
/// 1024); the caller caps it.
fn decorrelated_nanos<R: Rng + ?Sized>(base: f64, retry: u32, prev: &mut f64, rng: &mut R) -> f64 {
    /// Smooths the first delay.
    const P_FACTOR: f64 = 4.0;
    /// Brings medians to about 1, 2, 4 × base instead of 1.4, 2.8, 5.6.
    const RP_SCALING: f64 = 1.0 / 1.4;

    let t = f64::from(retry - 1) + rng.random::<f64>();
    let next = t.exp2() * (P_FACTOR * t).sqrt().tanh();
    if next.is_infinite() {
        *prev = next;
        return f64::INFINITY;
    }
    let growth = next - *prev;
    *prev = next;
    if base == 0.0 {
        return 0.0;
    }
    growth * RP_SCALING * base
}
