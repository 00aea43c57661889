//! Configuration: one serde model, loaded from defaults, a TOML file and
//! environment variables (later wins).
//!
//! [`StaunchConfig`] is the model, one table per mechanism (`[retry]`, …).
//! This module also holds the pieces every section shares: the
//! [`ConfigError`] that names the field, the value and what is allowed;
//! duration parsing that accepts seconds as numbers (`1.5`) or strings
//! (`"250ms"`, `"1.5s"`, `"2m"`); and the [`EnvSource`] seam so tests never
//! touch the process environment.

mod duration;
mod env;
mod error;
mod model;

pub use crate::retry::config::{BackoffStrategy, JitterMode};
pub use crate::retry::RetryConfig;
pub use duration::{format_duration, parse_duration, serde_duration, serde_opt_duration};
pub use env::{parse_bool, EnvSource, MapEnv, ProcessEnv};
pub use error::ConfigError;
pub use model::{ConfigSection, StaunchConfig};
