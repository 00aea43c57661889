//! Byte sizes as configuration writes them: `1048576`, `"1MiB"`, `"512KiB"`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use staunch::config::ConfigError;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// A number of bytes.
///
/// Reads a plain integer or a string with a unit (`B`, `KB`, `KiB`, `MB`,
/// `MiB`, `GB`, `GiB`, any case); writes the largest exact binary unit.
///
/// ```
/// use staunch_gateway::config::ByteSize;
/// assert_eq!(ByteSize::parse("f", "1MiB").unwrap(), ByteSize(1 << 20));
/// assert_eq!(ByteSize(512 * 1024).to_string(), "512KiB");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `text`, naming `field` in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self, ConfigError> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1000,
            "kib" => KIB,
            "mb" => 1000 * 1000,
            "mib" => MIB,
            "gb" => 1000 * 1000 * 1000,
            "gib" => GIB,
            _ => return Err(bad_size(field, text)),
        };
        let value: u64 = number.parse().map_err(|_| bad_size(field, text))?;
        value
            .checked_mul(scale)
            .map(Self)
            .ok_or_else(|| bad_size(field, text))
    }
}

fn bad_size(field: &str, text: &str) -> ConfigError {
    ConfigError::invalid(
        field,
        format!("{text:?}"),
        "a byte count: an integer, or a string with a unit (512KiB, 1MiB, 2MB)",
    )
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match n {
            0 => write!(f, "0B"),
            _ if n % GIB == 0 => write!(f, "{}GiB", n / GIB),
            _ if n % MIB == 0 => write!(f, "{}MiB", n / MIB),
            _ if n % KIB == 0 => write!(f, "{}KiB", n / KIB),
            _ => write!(f, "{n}B"),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SizeVisitor)
    }
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = ByteSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte count: an integer, or a string with a unit (\"1MiB\")")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
        Ok(ByteSize(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
        u64::try_from(v)
            .map(ByteSize)
            .map_err(|_| E::custom(bad_size("size", &v.to_string())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
        ByteSize::parse("size", v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_by_their_base() {
        let cases = [
            ("0", 0),
            ("1024", 1024),
            ("2KiB", 2048),
            ("2kb", 2000),
            ("1MiB", MIB),
            ("3MB", 3_000_000),
            ("1GiB", GIB),
            (" 7 b ", 7),
        ];
        for (text, want) in cases {
            assert_eq!(
                ByteSize::parse("f", text).unwrap(),
                ByteSize(want),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_sizes_name_field_and_value() {
        for text in ["", "-1", "1.5MiB", "1 parsec", "99999999999999999999GiB"] {
            let err = ByteSize::parse("gateway.max_replay_body", text).unwrap_err();
            assert_eq!(err.field(), Some("gateway.max_replay_body"), "{text}");
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for n in [0, 1, 1000, KIB, 3 * MIB, 5 * GIB, MIB + 1] {
            let shown = ByteSize(n).to_string();
            assert_eq!(
                ByteSize::parse("f", &shown).unwrap(),
                ByteSize(n),
                "{shown}"
            );
        }
    }
}
