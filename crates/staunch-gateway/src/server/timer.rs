//! The timer of one client connection: the header read timeout without a
//! timer registration per request.
//!
//! hyper arms the header read timeout afresh for every request on a
//! keep-alive connection (a new sleep each time, dropped once the head is
//! read). With tokio's sleeps that is one insertion into and one removal
//! from the runtime's timer wheel per request, and the insertion often
//! wakes the I/O driver through its eventfd (a `write` system call). Here
//! every sleep of a connection shares one tokio sleep, armed for the
//! earliest deadline it was asked for: a later deadline (the next request's
//! timeout) waits on the same registration, and is only re-armed when that
//! one fires, at most once per timeout period instead of once per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// A [`Timer`] for one connection's hyper state machine.
#[derive(Clone, Default)]
pub(crate) struct ConnTimer {
    shared: Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>,
}

impl ConnTimer {
    /// A timer with nothing armed yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }
}

impl Timer for ConnTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(ConnSleep {
            deadline: tokio::time::Instant::from_std(deadline),
            shared: Arc::clone(&self.shared),
        })
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// One sleep of a connection: done once its deadline has passed.
struct ConnSleep {
    deadline: tokio::time::Instant,
    shared: Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>,
}

impl Future for ConnSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        if tokio::time::Instant::now() >= deadline {
            return Poll::Ready(());
        }
        let mut armed = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let sleep = match armed.as_mut() {
            Some(sleep) => {
                // Re-armed only when the registration would fire after this
                // deadline, or has fired already.
                if sleep.deadline() > deadline || sleep.is_elapsed() {
                    sleep.as_mut().reset(deadline);
                }
                sleep
            }
            None => armed.insert(Box::pin(tokio::time::sleep_until(deadline))),
        };
        // Ready means the registration fired before this deadline: it was
        // re-armed above for the next poll, so only a wake-up is missing.
        if sleep.as_mut().poll(cx).is_ready() {
            sleep.as_mut().reset(deadline);
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    }
}

impl Sleep for ConnSleep {}

#[cfg(test)]
mod tests {
    use super::*;

    async fn poll_once(sleep: &mut Pin<Box<dyn Sleep>>) -> Poll<()> {
        std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_ends_at_its_deadline_not_before() {
        let timer = ConnTimer::new();
        let mut sleep = timer.sleep(Duration::from_secs(30));
        assert!(poll_once(&mut sleep).await.is_pending());
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(poll_once(&mut sleep).await.is_pending());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(poll_once(&mut sleep).await.is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn later_sleep_outlives_the_shared_registration() {
        let timer = ConnTimer::new();
        let mut first = timer.sleep(Duration::from_secs(30));
        assert!(poll_once(&mut first).await.is_pending());
        drop(first);
        tokio::time::advance(Duration::from_secs(10)).await;
        // The next request's timeout: armed on the same registration,
        // which fires at 30 s; this one must still run to 40 s.
        let mut second = timer.sleep(Duration::from_secs(30));
        assert!(poll_once(&mut second).await.is_pending());
        tokio::time::advance(Duration::from_secs(25)).await;
        assert!(poll_once(&mut second).await.is_pending());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(poll_once(&mut second).await.is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_wakes_its_task_when_it_ends() {
        let timer = ConnTimer::new();
        let mut first = timer.sleep(Duration::from_secs(30));
        assert!(poll_once(&mut first).await.is_pending());
        drop(first);
        tokio::time::advance(Duration::from_secs(10)).await;
        let started = tokio::time::Instant::now();
        // Awaited: the task must be woken at 30 s (the shared registration)
        // and again at 40 s, and end at 40 s.
        timer.sleep(Duration::from_secs(30)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }
}
