//! Idle upstream connections, kept per destination and per worker thread.
//!
//! A connection's I/O task runs on the thread that opened it, so handing it
//! to a request served by another thread would make every exchange on it
//! cross threads twice. Each worker thread therefore has its own slot of
//! idle lists (see [`set_worker_slot`]); threads that are not workers share
//! slot 0. Each slot has its own lock, only ever taken by its own thread
//! for a few hundred nanoseconds, so it is uncontended.
//!
//! An HTTP/1 connection goes back to its list as soon as the response head
//! arrived, while the body may still be streaming: checkout only hands out
//! connections that are ready for a new request (the previous exchange is
//! over), drops closed ones, and skips busy ones. This needs no task per
//! request to watch a connection become idle again.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use http::uri::Authority;
use hyper::client::conn::http1::SendRequest;
use tokio::time::Instant;

use super::ProxyBody;

thread_local! {
    static WORKER_SLOT: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as worker `slot` (1-based; 0 is the shared
/// slot of every other thread). Connections it opens stay on it.
pub(crate) fn set_worker_slot(slot: usize) {
    WORKER_SLOT.with(|s| s.set(slot));
}

/// Slots per pool: one per core, plus the shared slot 0.
pub(crate) fn slot_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(64)) + 1)
}

/// A connection waiting for its next request.
struct Idle {
    sender: SendRequest<ProxyBody>,
    /// When it went back to the pool.
    since: Instant,
}

/// One slot's idle connections: those of a client with a fixed
/// destination (a backend, an upstream proxy) need no lookup; a direct
/// forwarding client keeps one list per host.
#[derive(Default)]
struct Lists {
    fixed: Vec<Idle>,
    by_host: HashMap<Authority, Vec<Idle>>,
}

impl Lists {
    fn get_mut(&mut self, key: Option<&Authority>) -> Option<&mut Vec<Idle>> {
        match key {
            None => Some(&mut self.fixed),
            Some(host) => self.by_host.get_mut(host),
        }
    }
}

/// Idle connections by destination, one set of lists per worker slot.
pub(crate) struct Pool {
    slots: Box<[Mutex<Lists>]>,
    idle_timeout: Duration,
}

impl Pool {
    /// An empty pool; a ready connection idle for longer than
    /// `idle_timeout` is closed instead of reused.
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            slots: (0..slot_count()).map(|_| Mutex::default()).collect(),
            idle_timeout,
        }
    }

    fn slot(&self) -> &Mutex<Lists> {
        let index = WORKER_SLOT.with(Cell::get) % self.slots.len();
        &self.slots[index]
    }

    /// A connection to `key` (`None` for a client's fixed destination)
    /// that is ready for a request, most recently used first. Closed and
    /// expired connections met on the way are dropped; busy ones stay.
    pub(crate) fn checkout(&self, key: Option<&Authority>) -> Option<SendRequest<ProxyBody>> {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        let list = lists.get_mut(key)?;
        let now = Instant::now();
        let mut index = list.len();
        while index > 0 {
            index -= 1;
            let idle = &list[index];
            if idle.sender.is_closed() {
                list.swap_remove(index);
            } else if idle.sender.is_ready() {
                let idle = list.swap_remove(index);
                if now.saturating_duration_since(idle.since) <= self.idle_timeout {
                    return Some(idle.sender);
                }
            }
        }
        if let (true, Some(host)) = (list.is_empty(), key) {
            // Forward traffic meets many hosts: forget the ones without
            // connections.
            lists.by_host.remove(host);
        }
        None
    }

    /// Puts a connection back once its response head has arrived.
    pub(crate) fn checkin(&self, key: Option<&Authority>, sender: SendRequest<ProxyBody>) {
        if sender.is_closed() {
            return;
        }
        let idle = Idle {
            sender,
            since: Instant::now(),
        };
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        match key {
            None => lists.fixed.push(idle),
            Some(host) => match lists.by_host.get_mut(host) {
                Some(list) => list.push(idle),
                None => {
                    lists.by_host.insert(host.clone(), vec![idle]);
                }
            },
        }
    }

    /// Connections held for `key` in the current thread's slot, busy ones
    /// included.
    #[cfg(test)]
    pub(crate) fn held(&self, key: Option<&Authority>) -> usize {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        lists.get_mut(key).map_or(0, |list| list.len())
    }
}
