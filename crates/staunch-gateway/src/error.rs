//! The gateway's errors.

use std::io;
use std::net::SocketAddr;

use staunch::config::ConfigError;

/// Why the gateway could not start, or a command could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listener address could not be bound.
    #[error("cannot listen on {addr} for the {role} listener: {source}")]
    Bind {
        /// `"proxy"` or `"admin"`.
        role: &'static str,
        /// The address that was tried.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// The proxy's worker threads could not be started.
    #[error("cannot start the worker threads: {0}")]
    Workers(io::Error),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(io::Error),
    /// The effective configuration could not be rendered as TOML.
    #[error("cannot render the configuration as TOML: {0}")]
    Render(#[from] toml::ser::Error),
}
