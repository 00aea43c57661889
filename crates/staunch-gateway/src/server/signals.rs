//! Process signals: SIGTERM and SIGINT drain and stop, SIGHUP reloads.
//! A second SIGTERM/SIGINT during the drain cuts it short.

use std::io;

use super::GatewayHandle;

/// The stop and reload signals, caught from the moment they are
/// registered: a signal that arrives before [`Signals::forward_to`] is
/// kept, not left to its default action (which would kill the process).
#[cfg(unix)]
pub(crate) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Catches SIGTERM, SIGINT and SIGHUP from now on.
    pub(crate) fn register() -> io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Starts a task that turns the signals into calls on `handle`.
    pub(crate) fn forward_to(self, handle: GatewayHandle) {
        install(self, handle);
    }
}

#[cfg(unix)]
fn install(signals: Signals, handle: GatewayHandle) {
    let Signals {
        mut term,
        mut int,
        mut hup,
    } = signals;
    tokio::spawn(async move {
        let mut stopping = false;
        loop {
            let name = tokio::select! {
                Some(()) = term.recv() => "SIGTERM",
                Some(()) = int.recv() => "SIGINT",
                Some(()) = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    // Refusals are logged by `reload`; the old config stays.
                    let _ = handle.reload();
                    continue;
                }
                else => break,
            };
            if stopping {
                tracing::warn!(signal = name, "second stop signal: cutting the drain short");
                handle.force_close();
                break;
            }
            tracing::info!(signal = name, "stopping: draining in-flight requests");
            handle.shutdown();
            stopping = true;
        }
    });
}

/// Ctrl-C: drains and stops; a second one cuts the drain short.
#[cfg(not(unix))]
pub(crate) struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Nothing to register ahead of time.
    pub(crate) fn register() -> io::Result<Self> {
        Ok(Self)
    }

    /// Starts a task that drains and stops on Ctrl-C.
    pub(crate) fn forward_to(self, handle: GatewayHandle) {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                handle.shutdown();
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                handle.force_close();
            }
        });
    }
}
