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
use std::sync::{Arc, Mutex, OnceLock};
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
    /// When it is closed instead of reused: its idle timeout after it went
    /// back to the pool. (A comparison with it is cheaper than a
    /// subtraction on every checkout and checkin.)
    expires: Instant,
}

/// One slot's idle connections: those of a client with a fixed
/// destination (a backend, an upstream proxy) need no lookup; a direct
/// forwarding client keeps one list per host.
#[derive(Default)]
struct Lists {
    fixed: List,
    by_host: HashMap<Authority, List>,
    /// When every list of this slot is swept next (`None`: at once).
    next_sweep: Option<Instant>,
}

/// Oldest first: connections go back at the end and are taken from the
/// end, so the ones at the front are those unused the longest.
type List = VecDeque<Idle>;

/// The most idle connections kept per destination and worker; beyond, the
/// longest unused one is closed.
const MAX_IDLE_PER_LIST: usize = 256;

/// How often a slot's lists are swept for expired and closed connections.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Whether `idle` has waited longer than its idle timeout at `now`.
fn expired(idle: &Idle, now: Instant) -> bool {
    now > idle.expires
}

impl Lists {
    /// Closes the connections of every list that expired or that the
    /// upstream closed, and forgets hosts left without any, at most once
    /// per [`SWEEP_EVERY`]: connections to hosts that are not used again
    /// do not stay open (or half-closed) until they are.
    fn sweep(&mut self, now: Instant) {
        // A comparison, not a subtraction: this runs on every checkout and
        // checkin.
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.next_sweep = Some(now + SWEEP_EVERY);
        let keep = |idle: &Idle| !expired(idle, now) && idle.conn.is_usable();
        self.fixed.retain(keep);
        self.by_host.retain(|_, list| {
            list.retain(keep);
            !list.is_empty()
        });
    }

    fn get_mut(&mut self, key: Option<&Authority>) -> Option<&mut List> {
        match key {
            None => Some(&mut self.fixed),
            Some(host) => self.by_host.get_mut(host),
        }
    }
}

/// Idle connections by destination, one set of lists per worker slot.
pub(crate) struct Pool {
    slots: Box<[Arc<Slot>]>,
}

/// One worker slot's idle connections.
pub(crate) struct Slot {
    lists: Mutex<Lists>,
    idle_timeout: Duration,
}

impl Pool {
    /// An empty pool; a ready connection idle for longer than
    /// `idle_timeout` is closed instead of reused.
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            slots: (0..slot_count())
                .map(|_| {
                    Arc::new(Slot {
                        lists: Mutex::default(),
                        idle_timeout,
                    })
                })
                .collect(),
        }
    }

    fn slot(&self) -> &Arc<Slot> {
        let index = WORKER_SLOT.with(Cell::get) % self.slots.len();
        &self.slots[index]
    }

    /// The current thread's slot, where a connection it uses goes back.
    /// (Its count is only ever written by this thread: cloning it per
    /// request costs no cache line shared with another worker.)
    pub(crate) fn home(&self) -> Arc<Slot> {
        Arc::clone(self.slot())
    }

    /// An idle connection to `key` (`None` for a client's fixed
    /// destination), most recently used first. Closed and expired
    /// connections met on the way are dropped.
    pub(crate) fn checkout(&self, key: Option<&Authority>) -> Option<Conn> {
        self.slot().checkout_at(key, Instant::now())
    }

    #[cfg(test)]
    fn checkout_at(&self, key: Option<&Authority>, now: Instant) -> Option<Conn> {
        self.slot().checkout_at(key, now)
    }

    #[cfg(test)]
    fn checkin_at(&self, key: Option<&Authority>, conn: Conn, now: Instant) {
        self.slot().checkin_at(key, conn, now);
    }

    /// Idle connections held for `key` in the current thread's slot.
    #[cfg(test)]
    pub(crate) fn held(&self, key: Option<&Authority>) -> usize {
        let mut lists = self.slot().lock();
        lists.get_mut(key).map_or(0, |list| list.len())
    }
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Lists> {
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn checkout_at(&self, key: Option<&Authority>, now: Instant) -> Option<Conn> {
        let mut lists = self.lock();
        lists.sweep(now);
        let list = lists.get_mut(key)?;
        while let Some(idle) = list.pop_back() {
            if !expired(&idle, now) && idle.conn.is_usable() {
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

    fn checkin_at(&self, key: Option<&Authority>, mut conn: Conn, now: Instant) {
        conn.shrink();
        let idle = Idle {
            conn,
            expires: now + self.idle_timeout,
        };
        let mut lists = self.lock();
        lists.sweep(now);
        let list = match key {
            None => &mut lists.fixed,
            Some(host) => lists.by_host.entry(host.clone()).or_default(),
        };
        list.push_back(idle);
        while list.len() > MAX_IDLE_PER_LIST
            || list.front().is_some_and(|oldest| expired(oldest, now))
        {
            list.pop_front();
        }
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
        pool.home().checkin(None, open);
        // Checked out first: the most recently used.
        pool.home().checkin(None, closed);
        assert!(pool.checkout(None).is_some(), "the open one is handed out");
        assert_eq!(pool.held(None), 0, "the closed one was dropped on the way");
    }

    #[tokio::test]
    async fn sweep_closes_connections_to_hosts_not_used_again() {
        let pool = Pool::new(TIMEOUT);
        let t0 = Instant::now();
        let [a, b, c]: [Authority; 3] = ["a:1", "b:1", "c:1"].map(|h| h.parse().unwrap());
        // a's upstream closes its end while the connection is idle.
        let (closed, far_closed) = open_connection().await;
        drop(far_closed);
        closed.readable().await;
        pool.checkin_at(Some(&a), closed, t0);
        let (open_b, _far_b) = open_connection().await;
        pool.checkin_at(Some(&b), open_b, t0);
        let (open_c, _far_c) = open_connection().await;
        pool.checkin_at(Some(&c), open_c, t0);
        assert_eq!(pool.held(Some(&a)), 1, "not swept again within a second");
        // Traffic to another host sweeps every list of the slot.
        let d: Authority = "d:1".parse().unwrap();
        let (open_d, _far_d) = open_connection().await;
        pool.checkin_at(Some(&d), open_d, t0 + SWEEP_EVERY);
        assert_eq!(pool.held(Some(&a)), 0, "closed by its upstream");
        assert_eq!(pool.held(Some(&b)), 1, "still open and fresh");
        let (open_e, _far_e) = open_connection().await;
        pool.checkin_at(Some(&d), open_e, t0 + TIMEOUT + SWEEP_EVERY * 2);
        assert_eq!(pool.held(Some(&b)), 0, "expired");
        assert_eq!(pool.held(Some(&c)), 0, "expired");
    }

    #[tokio::test]
    async fn idle_connections_per_destination_are_capped() {
        let pool = Pool::new(TIMEOUT);
        let mut far_ends = Vec::new();
        for _ in 0..MAX_IDLE_PER_LIST + 3 {
            let (conn, far) = open_connection().await;
            far_ends.push(far);
            pool.home().checkin(None, conn);
        }
        assert_eq!(pool.held(None), MAX_IDLE_PER_LIST);
    }

    #[tokio::test]
    async fn connection_with_unexpected_bytes_is_not_handed_out() {
        use tokio::io::AsyncWriteExt;
        let pool = Pool::new(TIMEOUT);
        let (conn, mut far) = open_connection().await;
        far.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        conn.readable().await;
        pool.home().checkin(None, conn);
        assert!(pool.checkout(None).is_none());
        assert_eq!(pool.held(None), 0);
    }
}
