//! State shared by every connection of a running gateway.

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::broadcast::Broadcast;
use crate::active::ActiveConfig;
use crate::admin::AdminApi;
use crate::engine::Engine;
use crate::state::GatewayState;

/// The configuration and engine state, the admin API, and the lifecycle:
/// every connection and tunnel task is tracked so a shutdown can wait for
/// them, and cut them when the drain time is up.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Arc<GatewayState>,
    admin: AdminApi,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    closed: CancellationToken,
    force: CancellationToken,
    /// Raised when the listeners close: idle connections close.
    stop_idle: Arc<Broadcast>,
    /// Raised when the drain time is up: every connection is cut.
    cut: Arc<Broadcast>,
}

impl Shared {
    pub(crate) fn new(state: Arc<GatewayState>, admin: AdminApi) -> Self {
        Self {
            state,
            admin,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            closed: CancellationToken::new(),
            force: CancellationToken::new(),
            stop_idle: Arc::default(),
            cut: Arc::default(),
        }
    }

    /// The configuration requests are served with right now.
    pub(crate) fn active(&self) -> Arc<ActiveConfig> {
        self.state.active()
    }

    /// The engine state.
    pub(crate) fn engine(&self) -> &Engine {
        self.state.engine()
    }

    /// The configuration and engine state.
    pub(crate) fn state(&self) -> &Arc<GatewayState> {
        &self.state
    }

    /// The admin API.
    pub(crate) fn admin(&self) -> &AdminApi {
        &self.admin
    }

    /// Runs `task` as part of the gateway: a shutdown waits for it.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    /// Runs `task` on the runtime behind `handle`, as part of the gateway.
    pub(crate) fn spawn_on<F>(&self, task: F, handle: &Handle)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn_on(task, handle);
    }

    /// Cancelled when the gateway stops accepting.
    pub(crate) fn shutdown_signal(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Raised when connections waiting for a request should close.
    pub(crate) fn stop_idle(&self) -> &Arc<Broadcast> {
        &self.stop_idle
    }

    /// Raised when the drain time is up.
    pub(crate) fn cut(&self) -> &Arc<Broadcast> {
        &self.cut
    }

    /// Cancelled once both listeners are closed.
    pub(crate) fn listeners_closed(&self) -> &CancellationToken {
        &self.closed
    }

    /// Cancelled when the drain time is up: every task must end now.
    pub(crate) fn force_close(&self) -> CancellationToken {
        self.force.clone()
    }

    pub(crate) fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }
}
