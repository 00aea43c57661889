//! Random spread applied to each delay so that many clients retrying the same
//! failure do not come back at the same instant.

use rand::Rng;

/// How a delay `d` is spread at random. A fresh draw is made for every delay.
///
/// The default is [`Jitter::None`], so the documented schedules (1 s, 2 s,
/// 4 s) hold exactly.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// `d`, unchanged.
    #[default]
    None,
    /// Uniform in `[0, d]` ("full jitter"): the widest spread.
    Full,
    /// Uniform in `[d/2, d]` ("equal jitter"): spread, but never shorter than
    /// half the delay.
    Equal,
    /// `d * U[1 - f, 1 + f]`: `Proportional(0.2)` is ±20 %. `f` is clamped to
    /// `[0, 1]`; NaN counts as 0.
    Proportional(f64),
}

impl Jitter {
    /// Whether applying this jitter draws random numbers.
    pub(crate) const fn is_random(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// The jittered value of `nanos` (finite, non-negative); the result is in
    /// `[0, 2 * nanos]`.
    pub(crate) fn apply<R: Rng + ?Sized>(&self, nanos: f64, rng: &mut R) -> f64 {
        match *self {
            Self::None => nanos,
            Self::Full => nanos * rng.random::<f64>(),
            Self::Equal => nanos / 2.0 + nanos / 2.0 * rng.random::<f64>(),
            Self::Proportional(f) => {
                let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
                if f == 0.0 {
                    return nanos;
                }
                nanos * (1.0 - f + 2.0 * f * rng.random::<f64>())
            }
        }
    }

    /// The factor of [`Jitter::Proportional`], or `None`.
    pub const fn proportional_factor(&self) -> Option<f64> {
        match *self {
            Self::Proportional(f) => Some(f),
            _ => None,
        }
    }
}
