//! Process signals: SIGTERM and SIGINT drain and stop, SIGHUP reloads.
//! A second SIGTERM/SIGINT during the drain cuts it short.

use std::io;

use super::GatewayHandle;

/// Starts a task that turns signals into calls on `handle`.
#[cfg(unix)]
pub(crate) fn install(handle: GatewayHandle) -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
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
    Ok(())
}

/// Starts a task that drains and stops on Ctrl-C.
#[cfg(not(unix))]
pub(crate) fn install(handle: GatewayHandle) -> io::Result<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.shutdown();
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.force_close();
        }
    });
    Ok(())
}
