//! Proxy worker threads: one single-threaded runtime per core.
//!
//! A proxied exchange involves two connections (client side and upstream
//! side) and several hand-offs between their tasks. On a work-stealing
//! runtime those tasks wander between threads, and every hand-off across
//! threads costs a wake-up system call. Here each accepted proxy connection
//! is handed to one worker for its whole life; the worker also opens, and
//! pools, the upstream connections its requests use (see
//! `client::set_worker_slot`), so an exchange never leaves its thread. The
//! connection goes to the worker with the fewest open connections.
//!
//! The admin listener, the accept loops and signal handling stay on the
//! runtime that started the gateway.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::client::set_worker_slot;

/// The worker threads. Dropping this stops them: their runtimes shut down
/// and whatever still runs on them is dropped.
#[derive(Debug)]
pub(crate) struct Workers {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    handle: Handle,
    /// Open connections handed to this worker.
    open: Arc<AtomicUsize>,
    /// Dropped to stop the worker.
    _stop: oneshot::Sender<()>,
}

impl Workers {
    /// Starts `count` worker threads (at least one).
    pub(crate) fn start(count: usize) -> io::Result<Self> {
        let workers = (1..=count.max(1))
            .map(Worker::start)
            .collect::<io::Result<_>>()?;
        Ok(Self { workers })
    }

    /// One worker per available core.
    pub(crate) fn per_core() -> io::Result<Self> {
        Self::start(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Where the next connection goes: the worker with the fewest open
    /// connections, and a guard that counts the connection while it lives.
    pub(crate) fn pick(&self) -> Option<(&Handle, OpenGuard)> {
        let worker = self
            .workers
            .iter()
            .min_by_key(|w| w.open.load(Ordering::Relaxed))?;
        worker.open.fetch_add(1, Ordering::Relaxed);
        Some((&worker.handle, OpenGuard(Arc::clone(&worker.open))))
    }
}

impl Worker {
    fn start(slot: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("staunch-worker-{slot}"))
            .spawn(move || {
                set_worker_slot(slot);
                runtime.block_on(async move {
                    // Resolves when the sender is dropped.
                    let _ = stopped.await;
                });
            })?;
        Ok(Self {
            handle,
            open: Arc::new(AtomicUsize::new(0)),
            _stop: stop,
        })
    }
}

/// Counts one open connection of a worker until dropped.
#[derive(Debug)]
pub(crate) struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
