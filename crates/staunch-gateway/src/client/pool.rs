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
use std::collections::{HashMap, VecDeque};
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
    fixed: List,
    by_host: HashMap<Authority, List>,
}

/// Oldest first: connections go back at the end and are taken from the
/// end, so the ones at the front are those unused the longest.
type List = VecDeque<Idle>;

impl Lists {
    fn get_mut(&mut self, key: Option<&Authority>) -> Option<&mut List> {
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
        self.checkout_at(key, Instant::now())
    }

    fn checkout_at(&self, key: Option<&Authority>, now: Instant) -> Option<SendRequest<ProxyBody>> {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        let list = lists.get_mut(key)?;
        let mut index = list.len();
        while index > 0 {
            index -= 1;
            let idle = &list[index];
            if idle.sender.is_closed() {
                list.remove(index);
            } else if idle.sender.is_ready() {
                let expired = self.expired(idle, now);
                let sender = list.remove(index).map(|idle| idle.sender);
                if !expired {
                    return sender;
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

    /// Puts a connection back once its response head has arrived, and
    /// closes the longest-unused connections of the same list that have
    /// been idle for longer than the idle timeout.
    pub(crate) fn checkin(&self, key: Option<&Authority>, sender: SendRequest<ProxyBody>) {
        self.checkin_at(key, sender, Instant::now());
    }

    fn checkin_at(&self, key: Option<&Authority>, sender: SendRequest<ProxyBody>, now: Instant) {
        if sender.is_closed() {
            return;
        }
        let idle = Idle { sender, since: now };
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        let list = match key {
            None => &mut lists.fixed,
            Some(host) => lists.by_host.entry(host.clone()).or_default(),
        };
        list.push_back(idle);
        while let Some(oldest) = list.front() {
            if oldest.sender.is_closed() || (oldest.sender.is_ready() && self.expired(oldest, now))
            {
                list.pop_front();
            } else {
                break;
            }
        }
    }

    /// Whether `idle` has waited longer than the idle timeout.
    fn expired(&self, idle: &Idle, now: Instant) -> bool {
        now.saturating_duration_since(idle.since) > self.idle_timeout
    }

    /// Connections held for `key` in the current thread's slot, busy ones
    /// included.
    #[cfg(test)]
    pub(crate) fn held(&self, key: Option<&Authority>) -> usize {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        lists.get_mut(key).map_or(0, |list| list.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::full;
    use hyper_util::rt::TokioIo;
    use tokio::io::DuplexStream;

    /// A connection over an in-memory pipe, ready for a request, and the
    /// pipe's far end, which keeps it open while held.
    async fn ready_connection() -> (SendRequest<ProxyBody>, DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(1024);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(ours))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender.ready().await.unwrap();
        (sender, theirs)
    }

    const TIMEOUT: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn ready_connection_is_reused_within_the_idle_timeout() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let (sender, _far) = ready_connection().await;
        pool.checkin_at(None, sender, t0);
        assert!(pool.checkout_at(None, t0 + TIMEOUT).is_some());
        assert_eq!(pool.held(None), 0);
    }

    #[tokio::test]
    async fn connection_idle_past_the_timeout_is_closed_not_reused() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let (sender, _far) = ready_connection().await;
        pool.checkin_at(None, sender, t0);
        let later = t0 + TIMEOUT + Duration::from_millis(1);
        assert!(pool.checkout_at(None, later).is_none());
        assert_eq!(pool.held(None), 0);
    }

    #[tokio::test]
    async fn checkin_closes_the_longest_unused_expired_connections() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let mut far_ends = Vec::new();
        for after in [0, 30, 61] {
            let (sender, far) = ready_connection().await;
            far_ends.push(far);
            pool.checkin_at(None, sender, t0 + Duration::from_secs(after));
        }
        assert_eq!(pool.held(None), 2, "only the first one expired");
    }

    #[tokio::test]
    async fn busy_connection_is_skipped_and_kept() {
        let pool = Pool::new(TIMEOUT);
        let (ours, _theirs) = tokio::io::duplex(1024);
        let (mut busy, connection) = hyper::client::conn::http1::handshake(TokioIo::new(ours))
            .await
            .unwrap();
        tokio::spawn(connection);
        busy.ready().await.unwrap();
        // The request goes out; the far end never answers.
        let request = http::Request::builder()
            .header(http::header::HOST, "x")
            .body(full(Default::default()))
            .unwrap();
        let pending = busy.send_request(request);
        tokio::task::yield_now().await;
        assert!(!busy.is_ready());
        pool.checkin(None, busy);
        assert!(pool.checkout(None).is_none());
        assert_eq!(pool.held(None), 1);
        drop(pending);
    }
}
