//! Where a running gateway gets its configuration from, so a reload can
//! read it again the same way.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use staunch::config::{ConfigError, EnvSource, MapEnv, ProcessEnv};

use super::GatewayConfig;

/// The layers of a configuration: a base (built-in defaults, a TOML file, or
/// a fixed value), environment variables, then command-line flags.
///
/// [`load`](Self::load) builds and validates the result; a reload calls it
/// again, so an edited file is picked up and the flags still win.
///
/// ```
/// use staunch_gateway::config::ConfigSource;
/// let config = ConfigSource::defaults()
///     .with_listen("127.0.0.1:0".parse().unwrap())
///     .load()
///     .unwrap();
/// assert_eq!(config.gateway.listen, "127.0.0.1:0");
/// ```
#[derive(Clone)]
pub struct ConfigSource {
    base: Base,
    env: Arc<dyn EnvSource + Send + Sync>,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
}

#[derive(Debug, Clone)]
enum Base {
    Defaults,
    File(PathBuf),
    Fixed(Box<GatewayConfig>),
}

impl ConfigSource {
    /// Built-in defaults plus the process environment.
    pub fn defaults() -> Self {
        Self::with_base(Base::Defaults, Arc::new(ProcessEnv))
    }

    /// A TOML file plus the process environment; the file is read again on
    /// every reload.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::with_base(Base::File(path.into()), Arc::new(ProcessEnv))
    }

    /// A fixed configuration and no environment: what embedding programs and
    /// tests use.
    pub fn fixed(config: GatewayConfig) -> Self {
        Self::with_base(Base::Fixed(Box::new(config)), Arc::new(MapEnv::default()))
    }

    fn with_base(base: Base, env: Arc<dyn EnvSource + Send + Sync>) -> Self {
        Self {
            base,
            env,
            listen: None,
            admin_listen: None,
        }
    }

    /// Reads variables from `env` instead.
    pub fn with_env(mut self, env: impl EnvSource + Send + Sync + 'static) -> Self {
        self.env = Arc::new(env);
        self
    }

    /// Overrides `gateway.listen` (the `--listen` flag).
    pub fn with_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Overrides `gateway.admin_listen` (the `--admin-listen` flag).
    pub fn with_admin_listen(mut self, addr: SocketAddr) -> Self {
        self.admin_listen = Some(addr);
        self
    }

    /// The file this source reads, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.base {
            Base::File(p) => Some(p),
            _ => None,
        }
    }

    /// Builds the configuration from every layer and validates it.
    pub fn load(&self) -> Result<GatewayConfig, ConfigError> {
        let mut config = match &self.base {
            Base::Defaults => GatewayConfig::default(),
            Base::File(path) => GatewayConfig::from_file(path)?,
            Base::Fixed(config) => (**config).clone(),
        };
        config.apply_env(self.env.as_ref())?;
        if let Some(addr) = self.listen {
            config.gateway.listen = addr.to_string();
        }
        if let Some(addr) = self.admin_listen {
            config.gateway.admin_listen = addr.to_string();
        }
        config.validate()?;
        Ok(config)
    }
}

impl fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSource")
            .field("base", &self.base)
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .finish_non_exhaustive()
    }
}
