//! A running gateway: its listeners, its reloadable configuration and its
//! lifecycle (graceful drain on shutdown).

mod broadcast;
mod http1;
mod listener;
mod shared;
pub(crate) mod signals;
mod timer;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use staunch::config::ConfigError;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub(crate) use self::http1::upgrade::OnUpgrade;
use self::listener::{accept_loop, Role};
pub(crate) use self::shared::Shared;
use self::workers::Workers;
use crate::active::ActiveConfig;
use crate::admin::AdminApi;
use crate::config::{ConfigSource, GatewayConfig};
use crate::error::GatewayError;
use crate::state::GatewayState;

/// A gateway serving on its listeners.
///
/// ```no_run
/// # async fn demo() -> Result<(), staunch_gateway::GatewayError> {
/// use staunch_gateway::{config::{ConfigSource, GatewayConfig}, Gateway};
/// let config = GatewayConfig::default()
///     .with_listen("127.0.0.1:0")
///     .with_admin_listen("127.0.0.1:0");
/// let gateway = Gateway::start(ConfigSource::fixed(config)).await?;
/// println!("proxy on {}", gateway.proxy_addr());
/// gateway.handle().shutdown();
/// let report = gateway.wait().await;
/// assert!(report.is_clean());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Gateway {
    handle: GatewayHandle,
    proxy_addr: SocketAddr,
    admin_addr: SocketAddr,
    supervisor: JoinHandle<DrainReport>,
}

/// Controls a running gateway: reload, shutdown. Cheap to clone; signal
/// handlers hold one.
#[derive(Debug, Clone)]
pub struct GatewayHandle {
    shared: Arc<Shared>,
    source: Arc<ConfigSource>,
}

/// How a shutdown ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Connections and tunnels still open when the drain time ran out, and
    /// cut.
    pub forced: usize,
}

impl DrainReport {
    /// Whether everything in flight finished within the drain time.
    pub fn is_clean(&self) -> bool {
        self.forced == 0
    }
}

impl Gateway {
    /// Loads the configuration from `source`, binds both listeners and
    /// starts serving. Fails when the configuration is invalid or an
    /// address cannot be bound.
    pub async fn start(source: ConfigSource) -> Result<Self, GatewayError> {
        let state = Arc::new(GatewayState::new(source.load()?)?);
        let active = state.active();
        let settings = active.settings();
        let proxy = bind("proxy", settings.listen).await?;
        let admin = bind("admin", settings.admin_listen).await?;
        let proxy_addr = local_addr("proxy", &proxy, settings.listen)?;
        let admin_addr = local_addr("admin", &admin, settings.admin_listen)?;
        let workers = Workers::per_core().map_err(GatewayError::Workers)?;
        tracing::info!(addr = %proxy_addr, "proxy listening");
        tracing::info!(addr = %admin_addr, "admin listening");
        let admin_api = AdminApi::new(Arc::clone(&state), admin_addr);
        let shared = Arc::new(Shared::new(state, admin_api));
        let supervisor = tokio::spawn(supervise(Arc::clone(&shared), proxy, admin, workers));
        Ok(Self {
            handle: GatewayHandle {
                shared,
                source: Arc::new(source),
            },
            proxy_addr,
            admin_addr,
            supervisor,
        })
    }

    /// The address the proxy listener is bound to.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy_addr
    }

    /// The address the admin listener is bound to.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// A handle to reload or stop the gateway.
    pub fn handle(&self) -> GatewayHandle {
        self.handle.clone()
    }

    /// Waits until the gateway has stopped (after
    /// [`GatewayHandle::shutdown`]) and its drain is over.
    pub async fn wait(self) -> DrainReport {
        self.supervisor.await.unwrap_or_default()
    }
}

impl GatewayHandle {
    /// Loads the configuration again from its source (the file is re-read)
    /// and applies it. A refused configuration is logged and returned; the
    /// running one stays. This is what SIGHUP does.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let result = self.source.load().and_then(|config| self.apply(config));
        match &result {
            Ok(()) => tracing::info!("configuration reloaded"),
            Err(err) => tracing::error!(%err, "reload refused; the running configuration stays"),
        }
        result
    }

    /// Validates `config` and makes it the configuration of every request
    /// that starts from now on. Listener addresses cannot change while
    /// running: a change is logged and takes effect at the next start.
    ///
    /// The engine state (breakers, metrics, budget, the live retry policy)
    /// is kept as [`Engine::reconfigure`](crate::engine::Engine::reconfigure)
    /// says. A configuration without `admin.token` is refused while the
    /// admin listener is bound to a non-loopback address.
    pub fn apply(&self, config: GatewayConfig) -> Result<(), ConfigError> {
        let bound = self.shared.admin().bound_addr();
        if config.admin.token.is_none() && !bound.ip().is_loopback() {
            return Err(ConfigError::invalid(
                "admin.token",
                "unset",
                format!(
                    "a token while the admin listener is bound to {bound}, not a loopback address"
                ),
            ));
        }
        let current = self.shared.active();
        let next = self.shared.state().apply(config)?;
        let (old, new) = (current.settings(), next.settings());
        if old.listen != new.listen || old.admin_listen != new.admin_listen {
            tracing::warn!("listener addresses changed; they take effect at the next start");
        }
        Ok(())
    }

    /// The configuration and engine state.
    pub fn state(&self) -> Arc<GatewayState> {
        Arc::clone(self.shared.state())
    }

    /// The configuration requests are served with right now.
    pub fn active(&self) -> Arc<ActiveConfig> {
        self.shared.active()
    }

    /// Stops accepting connections and drains the ones in flight, for at
    /// most the configured `drain_timeout`.
    pub fn shutdown(&self) {
        self.shared.shutdown_signal().cancel();
    }

    /// Resolves once both listeners are closed after a shutdown: from then
    /// on new connections are refused while in-flight ones drain.
    pub async fn listeners_closed(&self) {
        self.shared.listeners_closed().cancelled().await;
    }

    /// Stops at once: like [`shutdown`](Self::shutdown) with the drain time
    /// already up.
    pub fn force_close(&self) {
        self.shutdown();
        self.shared.force_close().cancel();
        self.shared.cut().raise();
    }
}

async fn bind(role: &'static str, addr: SocketAddr) -> Result<TcpListener, GatewayError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GatewayError::Bind { role, addr, source })
}

fn local_addr(
    role: &'static str,
    listener: &TcpListener,
    addr: SocketAddr,
) -> Result<SocketAddr, GatewayError> {
    listener
        .local_addr()
        .map_err(|source| GatewayError::Bind { role, addr, source })
}

/// Runs both accept loops until shutdown, then drains; the proxy's worker
/// threads stop once the drain is over.
async fn supervise(
    shared: Arc<Shared>,
    proxy: TcpListener,
    admin: TcpListener,
    workers: Workers,
) -> DrainReport {
    tokio::join!(
        accept_loop(proxy, Arc::clone(&shared), Role::Proxy, Some(&workers)),
        accept_loop(admin, Arc::clone(&shared), Role::Admin, None),
    );
    shared.listeners_closed().cancel();
    shared.stop_idle().raise();
    let drain_timeout = shared.active().settings().drain_timeout;
    drain(&shared, drain_timeout).await
}

/// Waits for tracked tasks for at most `limit`, then cuts the rest.
async fn drain(shared: &Shared, limit: Duration) -> DrainReport {
    let tasks = shared.tasks();
    tasks.close();
    if tokio::time::timeout(limit, tasks.wait()).await.is_ok() {
        tracing::info!("drained; stopped");
        return DrainReport::default();
    }
    let forced = tasks.len();
    tracing::warn!(forced, "drain time is up; cutting what is left");
    shared.force_close().cancel();
    shared.cut().raise();
    tasks.wait().await;
    DrainReport { forced }
}

/// Runs a gateway from `source` until SIGTERM or SIGINT, reloading on
/// SIGHUP: what `staunch serve` does.
pub async fn serve(source: ConfigSource) -> Result<DrainReport, GatewayError> {
    // Caught before the listeners open, so that a signal sent as soon as
    // they answer is never left to its default action.
    let signals = signals::Signals::register().map_err(GatewayError::Signals)?;
    let gateway = Gateway::start(source).await?;
    signals.forward_to(gateway.handle());
    Ok(gateway.wait().await)
}
