//! A change to the live retry policy, as `PUT /api/v1/retry/policy` sends
//! it: read from JSON field by field, each checked against the admin API's
//! ranges.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use staunch::config::{BackoffStrategy, JitterMode};

use super::policy::{LivePolicy, StatusSet};

/// `max_attempts`: 1 to 10.
pub const MAX_ATTEMPTS: (u32, u32) = (1, 10);
/// `base_delay`: 0.1 to 60 seconds.
pub const BASE_DELAY: (f64, f64) = (0.1, 60.0);
/// `multiplier`: 1.1 to 10.
pub const MULTIPLIER: (f64, f64) = (1.1, 10.0);
/// `max_backoff_delay`: 1 to 300 seconds.
pub const MAX_BACKOFF_DELAY: (f64, f64) = (1.0, 300.0);
/// `timeout`: 0.001 to 300 seconds, or `null` for none.
pub const TIMEOUT: (f64, f64) = (0.001, 300.0);
/// `retry_status_codes`: each 400 to 599.
pub const STATUS_CODES: (u16, u16) = (400, 599);
/// The most entries `retry_status_codes` may have.
const MAX_CODES: usize = 200;

/// The fields a policy change may carry.
pub const FIELDS: [&str; 9] = [
    "max_attempts",
    "backoff_strategy",
    "base_delay",
    "multiplier",
    "max_backoff_delay",
    "jitter",
    "retry_status_codes",
    "timeout",
    "enabled",
];

/// Why a policy change was refused: the field, the value sent and what is
/// allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError {
    /// The field (`max_attempts`), or `""` for the body as a whole.
    pub field: String,
    /// The value as sent.
    pub value: Value,
    /// What is allowed.
    pub allowed: String,
}

impl PolicyError {
    fn new(field: &str, value: &Value, allowed: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            value: value.clone(),
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "invalid body: {} (allowed: {})",
                self.value, self.allowed
            )
        } else {
            write!(
                f,
                "invalid value for `{}`: {} (allowed: {})",
                self.field, self.value, self.allowed
            )
        }
    }
}

impl std::error::Error for PolicyError {}

/// Applies the fields of `body` (a JSON object; fields left out keep their
/// values) to `current`. Unknown fields, wrong types and values out of
/// range are refused with the first bad field.
///
/// ```
/// use serde_json::json;
/// use staunch_gateway::engine::{apply_update, LivePolicy};
/// use staunch_gateway::config::GatewayConfig;
///
/// let live = LivePolicy::from_config(&GatewayConfig::default());
/// let next = apply_update(&live, &json!({ "max_attempts": 5, "base_delay": 0.5 })).unwrap();
/// assert_eq!(next.max_attempts(), 5);
/// let err = apply_update(&live, &json!({ "max_attempts": 11 })).unwrap_err();
/// assert_eq!(err.field, "max_attempts");
/// ```
pub fn apply_update(current: &LivePolicy, body: &Value) -> Result<LivePolicy, PolicyError> {
    let Value::Object(fields) = body else {
        return Err(PolicyError::new(
            "",
            body,
            format!("a JSON object with any of the fields {}", FIELDS.join(", ")),
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(PolicyError::new(
            unknown,
            &fields[unknown],
            format!("no such field; known fields: {}", FIELDS.join(", ")),
        ));
    }
    let mut config = current.config().clone();
    let mut statuses = current.retry_statuses();
    let get = |name: &str| fields.get(name);
    if let Some(v) = get("max_attempts") {
        config.max_attempts = whole(v, "max_attempts", MAX_ATTEMPTS)?;
    }
    if let Some(v) = get("backoff_strategy") {
        config.strategy = strategy(v)?;
    }
    if let Some(v) = get("base_delay") {
        config.base_delay = seconds(v, "base_delay", BASE_DELAY)?;
    }
    if let Some(v) = get("multiplier") {
        config.multiplier = number(v, "multiplier", MULTIPLIER)?;
    }
    if let Some(v) = get("max_backoff_delay") {
        config.max_delay = seconds(v, "max_backoff_delay", MAX_BACKOFF_DELAY)?;
    }
    if let Some(v) = get("jitter") {
        config.jitter = jitter(v)?;
    }
    if let Some(v) = get("retry_status_codes") {
        statuses = status_codes(v)?;
    }
    if let Some(v) = get("timeout") {
        config.deadline = match v {
            Value::Null => None,
            v => Some(seconds(v, "timeout", TIMEOUT)?),
        };
    }
    if let Some(v) = get("enabled") {
        config.enabled = v
            .as_bool()
            .ok_or_else(|| PolicyError::new("enabled", v, "true or false"))?;
    }
    // The admin ranges sit inside the engine's; this only guards the seam.
    config
        .validate()
        .map_err(|e| PolicyError::new("", &Value::from(e.to_string()), "a valid policy"))?;
    Ok(LivePolicy::new(config, statuses))
}

fn range_text<T: fmt::Display>((min, max): (T, T), unit: &str) -> String {
    format!("a number from {min} to {max}{unit}")
}

fn number(v: &Value, field: &str, range: (f64, f64)) -> Result<f64, PolicyError> {
    match v.as_f64() {
        Some(x) if x >= range.0 && x <= range.1 => Ok(x),
        _ => Err(PolicyError::new(field, v, range_text(range, ""))),
    }
}

fn seconds(v: &Value, field: &str, range: (f64, f64)) -> Result<Duration, PolicyError> {
    match v.as_f64() {
        Some(x) if x >= range.0 && x <= range.1 => Ok(Duration::from_secs_f64(x)),
        _ => Err(PolicyError::new(field, v, range_text(range, " seconds"))),
    }
}

fn whole(v: &Value, field: &str, (min, max): (u32, u32)) -> Result<u32, PolicyError> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| PolicyError::new(field, v, format!("a whole number from {min} to {max}")))
}

fn strategy(v: &Value) -> Result<BackoffStrategy, PolicyError> {
    match v.as_str() {
        Some("exponential") => Ok(BackoffStrategy::Exponential),
        Some("linear") => Ok(BackoffStrategy::Linear),
        Some("fixed") => Ok(BackoffStrategy::Fixed),
        Some("decorrelated") => Ok(BackoffStrategy::Decorrelated),
        _ => Err(PolicyError::new(
            "backoff_strategy",
            v,
            "\"exponential\", \"linear\", \"fixed\" or \"decorrelated\"",
        )),
    }
}

fn jitter(v: &Value) -> Result<JitterMode, PolicyError> {
    match v {
        Value::Bool(true) => Ok(JitterMode::Proportional),
        Value::Bool(false) => Ok(JitterMode::None),
        Value::String(s) if matches!(s.as_str(), "none" | "full" | "equal" | "proportional") => {
            JitterMode::parse("jitter", s).map_err(|_| jitter_error(v))
        }
        _ => Err(jitter_error(v)),
    }
}

fn jitter_error(v: &Value) -> PolicyError {
    PolicyError::new(
        "jitter",
        v,
        "\"none\", \"full\", \"equal\", \"proportional\", or true (proportional, ±20 %) / false (none)",
    )
}

fn status_codes(v: &Value) -> Result<StatusSet, PolicyError> {
    let allowed = format!(
        "an array of at most {MAX_CODES} HTTP status codes from {} to {}",
        STATUS_CODES.0, STATUS_CODES.1
    );
    let Value::Array(items) = v else {
        return Err(PolicyError::new("retry_status_codes", v, allowed));
    };
    if items.len() > MAX_CODES {
        return Err(PolicyError::new(
            "retry_status_codes",
            &Value::from(format!("{} entries", items.len())),
            allowed,
        ));
    }
    let mut codes = Vec::with_capacity(items.len());
    for item in items {
        let code = item
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (STATUS_CODES.0..=STATUS_CODES.1).contains(n))
            .ok_or_else(|| PolicyError::new("retry_status_codes", item, allowed.clone()))?;
        codes.push(code);
    }
    Ok(StatusSet::from_codes(&codes))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::GatewayConfig;

    fn update_object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn live() -> LivePolicy {
        LivePolicy::from_config(&GatewayConfig::default())
    }

    #[test]
    fn fields_left_out_keep_their_values() {
        let next = apply_update(&live(), &json!({ "multiplier": 3 })).unwrap();
        assert_eq!(next.config().multiplier, 3.0);
        assert_eq!(next.config().max_attempts, live().config().max_attempts);
        assert_eq!(next.retry_statuses(), live().retry_statuses());
    }

    #[test]
    fn every_range_limit_is_inclusive() {
        for (field, inside, outside) in [
            ("max_attempts", json!(1), json!(0)),
            ("max_attempts", json!(10), json!(11)),
            ("base_delay", json!(0.1), json!(0.099)),
            ("base_delay", json!(60), json!(60.001)),
            ("multiplier", json!(1.1), json!(1.099)),
            ("multiplier", json!(10), json!(10.01)),
            ("max_backoff_delay", json!(1), json!(0.999)),
            ("max_backoff_delay", json!(300), json!(300.5)),
            ("timeout", json!(0.001), json!(0)),
            ("timeout", json!(300), json!(301)),
            ("retry_status_codes", json!([400, 599]), json!([399])),
            ("retry_status_codes", json!([]), json!([600])),
        ] {
            let body = update_object([(field, inside.clone())]);
            assert!(apply_update(&live(), &body).is_ok(), "{field} = {inside}");
            let body = update_object([(field, outside.clone())]);
            let err = apply_update(&live(), &body).unwrap_err();
            assert_eq!(err.field, field, "{field} = {outside}");
        }
    }

    #[test]
    fn wrong_types_unknown_fields_and_non_objects_are_refused() {
        for (body, field) in [
            (json!({ "max_attempts": "3" }), "max_attempts"),
            (json!({ "max_attempts": 2.5 }), "max_attempts"),
            (json!({ "jitter": "sometimes" }), "jitter"),
            (json!({ "jitter": 1 }), "jitter"),
            (json!({ "retry_status_codes": 503 }), "retry_status_codes"),
            (json!({ "timeout": "1s" }), "timeout"),
            (json!({ "maxAttempts": 3 }), "maxAttempts"),
            (json!([1, 2]), ""),
        ] {
            let err = apply_update(&live(), &body).unwrap_err();
            assert_eq!(err.field, field, "{body}");
            assert!(!err.allowed.is_empty());
        }
    }

    #[test]
    fn jitter_takes_modes_and_booleans_and_timeout_null_clears() {
        let next = apply_update(&live(), &json!({ "jitter": true, "timeout": 2 })).unwrap();
        assert_eq!(next.config().jitter, JitterMode::Proportional);
        assert_eq!(next.timeout(), Some(Duration::from_secs(2)));
        let next = apply_update(&next, &json!({ "jitter": "full", "timeout": null })).unwrap();
        assert_eq!(next.config().jitter, JitterMode::Full);
        assert_eq!(next.timeout(), None);
    }
}
