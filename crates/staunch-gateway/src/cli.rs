//! The `staunch` command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::config::ConfigSource;
use crate::error::GatewayError;

/// staunch: a local HTTP proxy that retries, fails over and guards every
/// upstream with a circuit breaker.
#[derive(Debug, Parser)]
#[command(name = "staunch", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (defaults: proxy on 127.0.0.1:8080, admin on
    /// 127.0.0.1:9090).
    Serve(ServeArgs),
    /// Validate a configuration file and print the effective configuration
    /// (file plus environment), credentials masked.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
}

/// `staunch serve` options; flags override the file and the environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file; re-read on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Proxy listener address.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Admin listener address.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
}

impl ServeArgs {
    /// The configuration layers these options describe.
    pub fn source(&self) -> ConfigSource {
        let mut source = match &self.config {
            Some(path) => ConfigSource::file(path),
            None => ConfigSource::defaults(),
        };
        if let Some(addr) = self.listen {
            source = source.with_listen(addr);
        }
        if let Some(addr) = self.admin_listen {
            source = source.with_admin_listen(addr);
        }
        source
    }
}

/// Loads `file` with the environment on top, validates it, and renders the
/// result as TOML with credentials masked.
pub fn check_config(file: &Path) -> Result<String, GatewayError> {
    let config = ConfigSource::file(file).load()?;
    Ok(config.to_toml_string()?)
}

/// Logs to stderr; `STAUNCH_LOG` (or `RUST_LOG`) sets the filter, `info`
/// by default.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("STAUNCH_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_without_arguments_uses_built_in_defaults() {
        let cli = Cli::try_parse_from(["staunch", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve: {cli:?}");
        };
        let config = args
            .source()
            .with_env(staunch::config::MapEnv::default())
            .load()
            .unwrap();
        assert_eq!(config.gateway.listen, "127.0.0.1:8080");
        assert_eq!(config.gateway.admin_listen, "127.0.0.1:9090");
    }

    #[test]
    fn listen_flags_override_the_configuration() {
        let cli = Cli::try_parse_from([
            "staunch",
            "serve",
            "--listen",
            "127.0.0.1:1234",
            "--admin-listen",
            "127.0.0.1:1235",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve: {cli:?}");
        };
        let env = staunch::config::MapEnv::from_pairs([("STAUNCH_LISTEN", "127.0.0.1:9")]);
        let config = args.source().with_env(env).load().unwrap();
        assert_eq!(config.gateway.listen, "127.0.0.1:1234");
        assert_eq!(config.gateway.admin_listen, "127.0.0.1:1235");
    }

    #[test]
    fn bad_listen_flag_is_refused_by_the_parser() {
        let err = Cli::try_parse_from(["staunch", "serve", "--listen", "nowhere"]).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }

    #[test]
    fn check_config_needs_a_file() {
        assert!(Cli::try_parse_from(["staunch", "check-config"]).is_err());
        let cli = Cli::try_parse_from(["staunch", "check-config", "a.toml"]).unwrap();
        assert!(
            matches!(cli.command, Command::CheckConfig { file } if file == Path::new("a.toml"))
        );
    }
}
