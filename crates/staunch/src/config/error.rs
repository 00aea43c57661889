use std::fmt;

/// A configuration value that was refused, or a file that could not be read.
///
/// Every rejection names the field (as written in TOML or the environment
/// variable), the value that was given and what is allowed, so the message can
/// be shown to a user as is:
///
/// ```text
/// invalid value for `retry.max_attempts`: 0 (allowed: 1 to 100)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value outside its allowed range or of the wrong shape.
    #[error("invalid value for `{field}`: {value} (allowed: {allowed})")]
    Invalid {
        /// The field or environment variable name.
        field: String,
        /// The value as given.
        value: String,
        /// A human description of what is accepted.
        allowed: String,
    },
    /// The TOML text could not be parsed or had unknown keys.
    #[error("invalid configuration file: {message}")]
    Parse {
        /// The parser's message, including the line and the offending key.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read configuration file `{path}`: {message}")]
    Io {
        /// The path that was tried.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl ConfigError {
    /// Builds an [`ConfigError::Invalid`].
    pub fn invalid(
        field: impl Into<String>,
        value: impl fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// The field this error is about, when it is about one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
