//! Idle upstream connections, kept per destination and per worker thread.
//!
//! A connection's I/O task runs on the thread that opened it, so handing it
//! to a request served by another thread would make every exchange on it
//! cross threads twice. Each worker thread therefore has its own slot of
//! idle lists (see [`set_worker_slot`]); threads that are not workers share
//! slot 0. Each slot has its own lock, only ever taken by its own thread
//! for a few hundred nanoseconds, so it is uncontended.
//!
//! A connection goes back to its list once the body of its last response
//! has been read. Checkout hands out the most recently used one that the
//! upstream has not closed meanwhile (see [`Conn::is_usable`]); closed and
//! expired ones met on the way are dropped.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use http::uri::Authority;
use tokio::time::Instant;

use super::conn::Conn;

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
    conn: Conn,
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

    /// An idle connection to `key` (`None` for a client's fixed
    /// destination), most recently used first. Closed and expired
    /// connections met on the way are dropped.
    pub(crate) fn checkout(&self, key: Option<&Authority>) -> Option<Conn> {
        self.checkout_at(key, Instant::now())
    }

    fn checkout_at(&self, key: Option<&Authority>, now: Instant) -> Option<Conn> {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        let list = lists.get_mut(key)?;
        while let Some(idle) = list.pop_back() {
            if !self.expired(&idle, now) && idle.conn.is_usable() {
                return Some(idle.conn);
            }
        }
        if let (true, Some(host)) = (list.is_empty(), key) {
            // Forward traffic meets many hosts: forget the ones without
            // connections.
            lists.by_host.remove(host);
        }
        None
    }

    /// Puts a connection back once its last response has been read, and
    /// closes the longest-unused connections of the same list that have
    /// been idle for longer than the idle timeout.
    pub(crate) fn checkin(&self, key: Option<&Authority>, conn: Conn) {
        self.checkin_at(key, conn, Instant::now());
    }

    fn checkin_at(&self, key: Option<&Authority>, conn: Conn, now: Instant) {
        let idle = Idle { conn, since: now };
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        let list = match key {
            None => &mut lists.fixed,
            Some(host) => lists.by_host.entry(host.clone()).or_default(),
        };
        list.push_back(idle);
        while list.front().is_some_and(|oldest| self.expired(oldest, now)) {
            list.pop_front();
        }
    }

    /// Whether `idle` has waited longer than the idle timeout.
    fn expired(&self, idle: &Idle, now: Instant) -> bool {
        now.saturating_duration_since(idle.since) > self.idle_timeout
    }

    /// Idle connections held for `key` in the current thread's slot.
    #[cfg(test)]
    pub(crate) fn held(&self, key: Option<&Authority>) -> usize {
        let mut lists = self.slot().lock().unwrap_or_else(|e| e.into_inner());
        lists.get_mut(key).map_or(0, |list| list.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::{TcpListener, TcpStream};

    /// A connection to a local listener, and the listener's end of it,
    /// which keeps it open while held.
    async fn open_connection() -> (Conn, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ours = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (theirs, _) = listener.accept().await.unwrap();
        (Conn::new(ours), theirs)
    }

    const TIMEOUT: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn idle_connection_is_reused_within_the_idle_timeout() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let (conn, _far) = open_connection().await;
        pool.checkin_at(None, conn, t0);
        assert!(pool.checkout_at(None, t0 + TIMEOUT).is_some());
        assert_eq!(pool.held(None), 0);
    }

    #[tokio::test]
    async fn connection_idle_past_the_timeout_is_closed_not_reused() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let (conn, _far) = open_connection().await;
        pool.checkin_at(None, conn, t0);
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
            let (conn, far) = open_connection().await;
            far_ends.push(far);
            pool.checkin_at(None, conn, t0 + Duration::from_secs(after));
        }
        assert_eq!(pool.held(None), 2, "only the first one expired");
    }

    #[tokio::test]
    async fn connection_the_upstream_closed_while_idle_is_not_handed_out() {
        let pool = Pool::new(TIMEOUT);
        let (open, _far_open) = open_connection().await;
        let (closed, far_closed) = open_connection().await;
        drop(far_closed);
        closed.readable().await;
        pool.checkin(None, open);
        // Checked out first: the most recently used.
        pool.checkin(None, closed);
        assert!(pool.checkout(None).is_some(), "the open one is handed out");
        assert_eq!(pool.held(None), 0, "the closed one was dropped on the way");
    }

    #[tokio::test]
    async fn connection_with_unexpected_bytes_is_not_handed_out() {
        use tokio::io::AsyncWriteExt;
        let pool = Pool::new(TIMEOUT);
        let (conn, mut far) = open_connection().await;
        far.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        conn.readable().await;
        pool.checkin(None, conn);
        assert!(pool.checkout(None).is_none());
        assert_eq!(pool.held(None), 0);
    }
}
