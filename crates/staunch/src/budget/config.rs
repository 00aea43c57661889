use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// The largest `min_per_sec` accepted: far above any sane retry floor, low
/// enough that window arithmetic can never overflow.
pub const MAX_MIN_PER_SEC: u32 = 1_000_000;

/// Settings of a [`RetryBudget`](super::RetryBudget); section `budget` of the
/// configuration file.
///
/// | field         | default | allowed          |
/// |---------------|---------|------------------|
/// | `ratio`       | `0.2`   | 0.0 to 1.0       |
/// | `min_per_sec` | `10`    | 0 to 1 000 000   |
///
/// ```
/// use staunch::budget::BudgetConfig;
///
/// let config = BudgetConfig::default().with_ratio(0.1).with_min_per_sec(5);
/// assert!(config.validate().is_ok());
///
/// let parsed: BudgetConfig = toml::from_str("ratio = 0.5").unwrap();
/// assert_eq!(parsed.ratio, 0.5);
/// assert_eq!(parsed.min_per_sec, 10);
///
/// let err = BudgetConfig::default().with_ratio(1.5).validate().unwrap_err();
/// assert_eq!(err.field(), Some("budget.ratio"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Retries allowed per request over the sliding window, beyond the floor:
    /// `0.2` lets 2 retries through for every 10 requests.
    pub ratio: f64,
    /// Retries always allowed in every second, whatever the request count,
    /// so that a client sending few requests can still retry.
    pub min_per_sec: u32,
}

impl BudgetConfig {
    /// The defaults: `ratio = 0.2`, `min_per_sec = 10`.
    pub const DEFAULT: Self = Self {
        ratio: 0.2,
        min_per_sec: 10,
    };

    /// Sets [`ratio`](Self::ratio).
    #[must_use]
    pub const fn with_ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// Sets [`min_per_sec`](Self::min_per_sec).
    #[must_use]
    pub const fn with_min_per_sec(mut self, min_per_sec: u32) -> Self {
        self.min_per_sec = min_per_sec;
        self
    }

    /// Checks every field, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.ratio.is_finite() && (0.0..=1.0).contains(&self.ratio)) {
            return Err(ConfigError::invalid(
                "budget.ratio",
                self.ratio,
                "a number from 0.0 to 1.0",
            ));
        }
        if self.min_per_sec > MAX_MIN_PER_SEC {
            return Err(ConfigError::invalid(
                "budget.min_per_sec",
                self.min_per_sec,
                "an integer from 0 to 1000000",
            ));
        }
        Ok(())
    }

    /// The ratio in millionths, the unit the window's integer arithmetic uses.
    pub(crate) fn ratio_ppm(&self) -> u64 {
        // Validated to 0.0..=1.0, so the product is within 0..=1e6.
        (self.ratio * 1e6).round() as u64
    }
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_outside_zero_to_one_is_refused() {
        for bad in [-0.1, 1.01, f64::NAN, f64::INFINITY] {
            let err = BudgetConfig::default()
                .with_ratio(bad)
                .validate()
                .unwrap_err();
            assert_eq!(err.field(), Some("budget.ratio"), "{bad}");
            assert!(err.to_string().contains("0.0 to 1.0"), "{err}");
        }
    }

    #[test]
    fn min_per_sec_above_limit_is_refused() {
        let err = BudgetConfig::default()
            .with_min_per_sec(MAX_MIN_PER_SEC + 1)
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("budget.min_per_sec"));
        assert!(err.to_string().contains("1000001"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<BudgetConfig>("ratio = 0.2\nratoi = 1").unwrap_err();
        assert!(err.to_string().contains("ratoi"), "{err}");
    }

    #[test]
    fn ratio_converts_to_millionths() {
        assert_eq!(BudgetConfig::default().ratio_ppm(), 200_000);
        assert_eq!(
            BudgetConfig::default().with_ratio(1.0).ratio_ppm(),
            1_000_000
        );
        assert_eq!(BudgetConfig::default().with_ratio(0.0).ratio_ppm(), 0);
    }
}
