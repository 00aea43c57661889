use std::time::Duration;

use super::ConfigError;

/// The largest duration a configuration value may hold: one year. Anything
/// longer is almost certainly a unit mistake and would overflow arithmetic.
const MAX_CONFIG_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// Parses a duration as configuration accepts it.
///
/// A bare number is seconds and may have decimals (`"1.5"`); a number with a
/// unit takes `ns`, `us`, `ms`, `s`, `m` or `h` (`"250ms"`, `"1.5s"`, `"2m"`).
/// Negative, NaN, infinite and longer-than-a-year values are refused with an
/// error naming `field`.
///
/// ```
/// use staunch::config::parse_duration;
/// use std::time::Duration;
/// assert_eq!(parse_duration("f", "250ms").unwrap(), Duration::from_millis(250));
/// assert_eq!(parse_duration("f", "1.5").unwrap(), Duration::from_millis(1500));
/// assert!(parse_duration("f", "-1s").is_err());
/// ```
pub fn parse_duration(field: &str, text: &str) -> Result<Duration, ConfigError> {
    let trimmed = text.trim();
    // The number is digits, a sign, a point or an exponent; the unit is
    // what follows (`µs` starts with a non-ASCII letter).
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | ' ')))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let scale = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "ns" => 1e-9,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad_duration(field, text)),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| bad_duration(field, text))?;
    secs_to_duration(field, value * scale, text)
}

/// Converts seconds to a [`Duration`], refusing negative, NaN, infinite and
/// over-long values.
fn secs_to_duration(field: &str, secs: f64, shown: &str) -> Result<Duration, ConfigError> {
    if !secs.is_finite() || !(0.0..=MAX_CONFIG_SECS).contains(&secs) {
        return Err(bad_duration(field, shown));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn bad_duration(field: &str, text: &str) -> ConfigError {
    ConfigError::invalid(
        field,
        format!("{text:?}"),
        "a duration from 0 to 1 year: seconds as a number (1.5) or with a unit (250ms, 1.5s, 2m, 1h)",
    )
}

/// Formats a duration the way [`parse_duration`] reads it back (`"1.5s"`).
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos % 1_000_000_000 == 0 {
        format!("{}s", duration.as_secs())
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

/// `#[serde(with = "staunch::config::serde_duration")]` for [`Duration`]
/// fields: reads numbers as seconds or unit strings, writes unit strings.
pub mod serde_duration {
    use super::*;
    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;
    use std::fmt;

    /// Writes the duration as a string such as `"1.5s"`.
    pub fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*value))
    }

    /// Reads a number of seconds or a string with a unit.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(DurationVisitor)
    }

    pub(super) struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration: seconds as a number (1.5) or a string with a unit (\"250ms\")")
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
            secs_to_duration("duration", v, &v.to_string()).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            self.visit_f64(v as f64)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            self.visit_f64(v as f64)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration("duration", v).map_err(E::custom)
        }
    }
}

/// Like [`serde_duration`] for `Option<Duration>` fields.
pub mod serde_opt_duration {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some` as a unit string; `None` is skipped by the caller's
    /// `skip_serializing_if`, or written as unit.
    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    /// Reads a duration as [`serde_duration`] does.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super::serde_duration")] Duration);
        Ok(Some(Wrapper::deserialize(d)?.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_are_understood() {
        let cases = [
            ("1", 1_000),
            ("0.25", 250),
            ("250ms", 250),
            ("1.5s", 1_500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            (" 3 s ", 3_000),
            ("2000us", 2),
            ("2000µs", 2),
            ("2e3ms", 2_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                parse_duration("f", text).unwrap(),
                Duration::from_millis(millis),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_name_field_and_value() {
        for text in ["-1", "NaN", "inf", "1 fortnight", "", "abc", "1e30"] {
            let err = parse_duration("retry.base_delay", text).unwrap_err();
            assert_eq!(err.field(), Some("retry.base_delay"), "{text}");
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(millis in 0u64..10_000_000) {
            let d = Duration::from_millis(millis);
            prop_assert_eq!(parse_duration("f", &format_duration(d)).unwrap(), d);
        }

        #[test]
        fn parse_never_panics(text in ".{0,20}") {
            let _ = parse_duration("f", &text);
        }
    }
}
