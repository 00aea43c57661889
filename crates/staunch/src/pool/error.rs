//! Errors: invalid pool input, and "no endpoint to choose".

use crate::config::ConfigError;

/// An endpoint or pool setting that was refused.
///
/// Like [`ConfigError`], it names the field, the value and what is allowed, so
/// the message can be shown as is:
///
/// ```text
/// invalid value for `pool.endpoints["eu-1"].weight`: NaN (allowed: a finite number greater than 0)
/// ```
///
/// It converts into [`ConfigError`] for configuration loaders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for `{field}`: {value} (allowed: {allowed})")]
pub struct PoolError {
    kind: PoolErrorKind,
    field: String,
    value: String,
    allowed: String,
}

/// What kind of input a [`PoolError`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolErrorKind {
    /// A pool was built without any endpoint.
    Empty,
    /// Two endpoints share an id.
    DuplicateId,
    /// An endpoint id is empty.
    InvalidId,
    /// A weight is 0, negative, NaN or infinite, or the pool's total weight
    /// would overflow.
    InvalidWeight,
    /// A tuning parameter (EWMA alpha, sample size, ...) is out of range.
    InvalidParameter,
}

impl PoolError {
    fn new(
        kind: PoolErrorKind,
        field: impl Into<String>,
        value: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }

    pub(crate) fn empty() -> Self {
        Self::new(
            PoolErrorKind::Empty,
            "pool.endpoints",
            "[] (no endpoints)",
            "at least 1 endpoint, or a pool built with `allow_empty()`",
        )
    }

    pub(crate) fn duplicate_id(id: &str) -> Self {
        Self::new(
            PoolErrorKind::DuplicateId,
            format!("pool.endpoints[{id:?}].id"),
            format!("{id:?}"),
            "an id not already used by another endpoint of the pool",
        )
    }

    pub(crate) fn invalid_id() -> Self {
        Self::new(
            PoolErrorKind::InvalidId,
            "pool.endpoints[].id",
            "\"\"",
            "a non-empty string",
        )
    }

    pub(crate) fn invalid_weight(id: &str, weight: f64) -> Self {
        Self::new(
            PoolErrorKind::InvalidWeight,
            format!("pool.endpoints[{id:?}].weight"),
            weight.to_string(),
            "a finite number greater than 0",
        )
    }

    pub(crate) fn total_weight_overflow(id: &str, weight: f64) -> Self {
        Self::new(
            PoolErrorKind::InvalidWeight,
            format!("pool.endpoints[{id:?}].weight"),
            weight.to_string(),
            "a weight that keeps the pool's total weight finite",
        )
    }

    pub(crate) fn parameter(field: &str, value: impl ToString, allowed: &str) -> Self {
        Self::new(
            PoolErrorKind::InvalidParameter,
            field,
            value.to_string(),
            allowed,
        )
    }

    /// What kind of input was refused.
    pub fn kind(&self) -> PoolErrorKind {
        self.kind
    }

    /// The field, as a configuration path (`pool.endpoints["eu-1"].weight`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The refused value, as text.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What is allowed instead.
    pub fn allowed(&self) -> &str {
        &self.allowed
    }
}

impl From<PoolError> for ConfigError {
    fn from(err: PoolError) -> Self {
        ConfigError::invalid(err.field, err.value, err.allowed)
    }
}

/// Why [`Pool::select`](super::Pool::select) chose no endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NoEndpoint {
    /// The pool has no endpoint at all: add one.
    #[error("the endpoint pool is empty: add an endpoint")]
    Empty,
    /// Every endpoint is unavailable (the caller's availability check, for
    /// example an open breaker, refused each one). Endpoints that were only
    /// excluded as already tried are offered again before this is returned,
    /// so this means nothing can be called right now.
    #[error("all {endpoints} endpoints of the pool are unavailable")]
    AllUnavailable {
        /// How many endpoints the pool held when the selection ran.
        endpoints: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_error_converts_to_config_error_with_same_field() {
        let err = PoolError::invalid_weight("eu-1", f64::NAN);
        assert_eq!(err.kind(), PoolErrorKind::InvalidWeight);
        let config: ConfigError = err.clone().into();
        assert_eq!(config.field(), Some(err.field()));
        assert_eq!(config.to_string(), err.to_string());
    }
}
