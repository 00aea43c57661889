//! A one-time signal that many connection tasks wait on, cheap to check
//! and to wait on again: each waiter registers its waker once, in a slot
//! of its own, instead of re-entering a shared waiter list every time it
//! is polled (as a `CancellationToken` or `Notify` does). Connections poll
//! it on every request, so that cost would be paid per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use atomic_waker::AtomicWaker;

/// A signal raised once.
#[derive(Debug, Default)]
pub(crate) struct Broadcast {
    raised: AtomicBool,
    waiters: Mutex<Vec<Weak<AtomicWaker>>>,
}

impl Broadcast {
    /// Raises the signal and wakes every waiter.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        let waiters = std::mem::take(&mut *self.lock());
        for waiter in waiters.iter().filter_map(Weak::upgrade) {
            waiter.wake();
        }
    }

    /// Whether the signal was raised.
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// A future that resolves once the signal is raised.
    pub(crate) fn watch(self: &Arc<Self>) -> Watch {
        let waker = Arc::new(AtomicWaker::new());
        let mut waiters = self.lock();
        // Forget the waiters that are gone, at doubling sizes: amortized
        // constant per watch.
        if waiters.len() >= 64 && waiters.len().is_power_of_two() {
            waiters.retain(|w| w.strong_count() > 0);
        }
        waiters.push(Arc::downgrade(&waker));
        Watch {
            broadcast: Arc::clone(self),
            waker,
            registered: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<AtomicWaker>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Resolves once its [`Broadcast`] is raised; can be polled again after.
#[derive(Debug)]
pub(crate) struct Watch {
    broadcast: Arc<Broadcast>,
    waker: Arc<AtomicWaker>,
    /// The waker registered last. A connection's task polls with the same
    /// waker every time: it is then not registered again (registering
    /// costs two atomic exchanges per poll, a comparison with this none).
    registered: Option<Waker>,
}

impl Future for Watch {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.broadcast.is_raised() {
            return Poll::Ready(());
        }
        // Until raised, nothing takes the registered waker out of the slot.
        let known = self
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if !known {
            self.waker.register(cx.waker());
            self.registered = Some(cx.waker().clone());
        }
        // Raised between the check and the registration: not missed.
        if self.broadcast.is_raised() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Poll;

    /// Runs `watch` in a task of its own, which must still wait, then
    /// raises `broadcast`: the task must finish.
    async fn wakes_its_own_task_when_raised(broadcast: &Broadcast, watch: Watch) {
        let waiting = tokio::spawn(watch);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        broadcast.raise();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn every_waiter_wakes_once_raised_and_stays_ready() {
        let broadcast = Arc::new(Broadcast::default());
        let mut watches: Vec<_> = (0..3).map(|_| broadcast.watch()).collect();
        for watch in &mut watches {
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *watch).poll(cx))).await;
            assert!(polled.is_pending());
        }
        wakes_its_own_task_when_raised(&broadcast, broadcast.watch()).await;
        for mut watch in watches {
            (&mut watch).await;
            (&mut watch).await;
        }
        assert!(broadcast.is_raised());
        assert!(
            broadcast.watch().broadcast.is_raised(),
            "late watchers see it too"
        );
    }

    #[test]
    fn gone_waiters_are_forgotten() {
        let broadcast = Arc::new(Broadcast::default());
        for _ in 0..1000 {
            drop(broadcast.watch());
        }
        assert!(broadcast.lock().len() < 130, "{}", broadcast.lock().len());
    }

    #[tokio::test]
    async fn a_watch_polled_again_by_another_task_wakes_that_task() {
        let broadcast = Arc::new(Broadcast::default());
        let mut watch = broadcast.watch();
        let polled = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut watch).poll(cx))).await;
        assert!(polled.is_pending());
        // Moved to a task of its own: its waker differs and is registered.
        wakes_its_own_task_when_raised(&broadcast, watch).await;
    }
}
