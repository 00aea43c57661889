use std::collections::HashMap;

use super::ConfigError;

/// Where environment variables come from.
///
/// [`ProcessEnv`] reads the real environment; [`MapEnv`] is a fixed map for
/// tests and for embedding programs that keep their settings elsewhere.
pub trait EnvSource {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables.
///
/// ```
/// use staunch::config::{EnvSource, MapEnv};
/// let env = MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "5")]);
/// assert_eq!(env.var("RETRY_MAX_ATTEMPTS").as_deref(), Some("5"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MapEnv(HashMap<String, String>);

impl MapEnv {
    /// Builds the map from `(name, value)` pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl EnvSource for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// Parses a boolean the way the documented variables accept it:
/// `true`/`false`/`1`/`0` (also `yes`/`no`/`on`/`off`, any case).
pub fn parse_bool(field: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(
            field,
            format!("{value:?}"),
            "true, false, 1 or 0",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_documented_spellings() {
        for (text, want) in [("true", true), ("1", true), ("FALSE", false), ("0", false)] {
            assert_eq!(parse_bool("X", text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn bad_boolean_names_field_and_value() {
        let err = parse_bool("RESILIENCE_ENABLED", "maybe").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("RESILIENCE_ENABLED"), "{text}");
        assert!(text.contains("maybe"), "{text}");
        assert!(text.contains("true, false, 1 or 0"), "{text}");
    }
}
