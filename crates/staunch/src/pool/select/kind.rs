//! Strategies by name, for configuration.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, MapAccess, Unexpected, Visitor};
use serde::ser::SerializeStructVariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    LeastInFlight, PerformanceScore, PowerOfTwoChoices, Random, RegionAffinity, RoundRobin,
    Strategy, Weighted, DEFAULT_AFFINITY_TAG,
};
use crate::config::ConfigError;

/// A selection strategy as configuration names it.
///
/// In TOML or JSON a strategy is its name; region affinity may also be a
/// table with its tag key and inner strategy (defaults: `region` and
/// `performance`):
///
/// ```toml
/// strategy = "p2c"
/// # or
/// strategy = { region_affinity = { tag = "zone", inner = "least_in_flight" } }
/// ```
///
/// The default is [`StrategyKind::Performance`].
///
/// ```
/// use staunch::pool::StrategyKind;
///
/// let kind: StrategyKind = "least_in_flight".parse().unwrap();
/// let strategy = kind.build::<String>();
/// assert_eq!(kind.name(), "least_in_flight");
/// # let _ = strategy;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StrategyKind {
    /// [`RoundRobin`].
    RoundRobin,
    /// [`Random`].
    Random,
    /// [`Weighted`].
    Weighted,
    /// [`LeastInFlight`].
    LeastInFlight,
    /// [`PowerOfTwoChoices`].
    P2c,
    /// [`PerformanceScore`].
    #[default]
    Performance,
    /// [`RegionAffinity`] around another strategy.
    RegionAffinity {
        /// The tag key compared (default `region`).
        tag: String,
        /// The strategy used within and across regions.
        inner: Box<StrategyKind>,
    },
}

/// Every accepted name, in the order of the variants.
const NAMES: &[&str] = &[
    "round_robin",
    "random",
    "weighted",
    "least_in_flight",
    "p2c",
    "performance",
    "region_affinity",
];

impl StrategyKind {
    /// Region affinity on `tag` around `inner`.
    pub fn region_affinity(tag: impl Into<String>, inner: StrategyKind) -> Self {
        Self::RegionAffinity {
            tag: tag.into(),
            inner: Box::new(inner),
        }
    }

    /// The configuration name (`round_robin`, `p2c`, ...).
    pub fn name(&self) -> &'static str {
        NAMES[self.position()]
    }

    fn position(&self) -> usize {
        match self {
            Self::RoundRobin => 0,
            Self::Random => 1,
            Self::Weighted => 2,
            Self::LeastInFlight => 3,
            Self::P2c => 4,
            Self::Performance => 5,
            Self::RegionAffinity { .. } => 6,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "round_robin" => Self::RoundRobin,
            "random" => Self::Random,
            "weighted" => Self::Weighted,
            "least_in_flight" => Self::LeastInFlight,
            "p2c" => Self::P2c,
            "performance" => Self::Performance,
            "region_affinity" => {
                Self::region_affinity(DEFAULT_AFFINITY_TAG, StrategyKind::default())
            }
            _ => return None,
        })
    }

    /// Builds the strategy with its documented defaults.
    pub fn build<A: 'static>(&self) -> Box<dyn Strategy<A>> {
        match self {
            Self::RoundRobin => Box::new(RoundRobin::new()),
            Self::Random => Box::new(Random::new()),
            Self::Weighted => Box::new(Weighted::new()),
            Self::LeastInFlight => Box::new(LeastInFlight::new()),
            Self::P2c => Box::new(PowerOfTwoChoices::new()),
            Self::Performance => Box::new(PerformanceScore::new()),
            Self::RegionAffinity { tag, inner } => {
                Box::new(RegionAffinity::new(inner.build::<A>()).with_tag_key(tag.as_str()))
            }
        }
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StrategyKind {
    type Err = ConfigError;

    /// Parses a name; region affinity gets its defaults.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_name(text.trim()).ok_or_else(|| {
            ConfigError::invalid(
                "pool.strategy",
                text,
                format!("one of {}", NAMES.join(", ")),
            )
        })
    }
}

impl Serialize for StrategyKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Variant indices are below 7, so the cast cannot truncate.
        let index = self.position() as u32;
        match self {
            Self::RegionAffinity { tag, inner } => {
                let mut s =
                    serializer.serialize_struct_variant("StrategyKind", index, self.name(), 2)?;
                s.serialize_field("tag", tag)?;
                s.serialize_field("inner", inner)?;
                s.end()
            }
            _ => serializer.serialize_unit_variant("StrategyKind", index, self.name()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionParams {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    inner: Option<StrategyKind>,
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = StrategyKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a strategy name (one of {}) or a `region_affinity` table",
            NAMES.join(", ")
        )
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<StrategyKind, E> {
        StrategyKind::from_name(name).ok_or_else(|| E::unknown_variant(name, NAMES))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<StrategyKind, M::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if name != "region_affinity" {
            return Err(match StrategyKind::from_name(&name) {
                Some(_) => de::Error::custom(format!(
                    "strategy `{name}` takes no parameters: write it as the string \"{name}\""
                )),
                None => de::Error::unknown_variant(&name, NAMES),
            });
        }
        let params: RegionParams = map.next_value()?;
        if map.next_key::<String>()?.is_some() {
            return Err(de::Error::custom(
                "a strategy table holds exactly one strategy",
            ));
        }
        let tag = params
            .tag
            .unwrap_or_else(|| DEFAULT_AFFINITY_TAG.to_owned());
        if tag.trim().is_empty() {
            return Err(de::Error::invalid_value(
                Unexpected::Str(&tag),
                &"a non-empty tag key such as \"region\"",
            ));
        }
        Ok(StrategyKind::region_affinity(
            tag,
            params.inner.unwrap_or_default(),
        ))
    }
}

impl<'de> Deserialize<'de> for StrategyKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}
