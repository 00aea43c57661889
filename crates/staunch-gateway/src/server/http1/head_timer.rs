//! [`HeadTimer`]: the time a client gets to send a request head, on one
//! timer for the whole connection that is moved only when it matters.
//!
//! Moving a tokio sleep takes it out of the runtime's timer wheel and puts
//! it back, which costs more than reading the clock. A keep-alive
//! connection starts a head's wait on every request, a fraction of a
//! millisecond after the last one: the timer stays where it is while it
//! is due at most [`SLACK`] before the new deadline (as nginx does), so a
//! head gets between `timeout - SLACK` and `timeout`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// How much earlier than due the timer may fire.
pub(crate) const SLACK: Duration = Duration::from_secs(1);

/// One connection's head timer.
#[derive(Debug)]
pub(crate) struct HeadTimer {
    sleep: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl HeadTimer {
    /// A timer due `timeout` from now (longer than [`SLACK`]).
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            sleep: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
    }

    /// Starts a wait: the timer is due `timeout` from now, less at most
    /// [`SLACK`].
    pub(crate) fn restart(&mut self) {
        let deadline = Instant::now() + self.timeout;
        // A timer that already fired was due more than `timeout` ago, so
        // it is always moved.
        if deadline > self.sleep.deadline() + SLACK {
            self.sleep.as_mut().reset(deadline);
        }
    }
}

impl Future for HeadTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.sleep.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Poll;

    const TIMEOUT: Duration = Duration::from_secs(30);

    async fn fired(timer: &mut HeadTimer) -> bool {
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *timer).poll(cx).is_ready())).await
    }

    async fn wait(d: Duration) {
        tokio::time::advance(d).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_gets_the_timeout_less_at_most_the_slack() {
        let mut timer = HeadTimer::new(TIMEOUT);
        timer.restart();
        wait(Duration::from_millis(29_900)).await;
        assert!(!fired(&mut timer).await);
        wait(Duration::from_millis(200)).await;
        assert!(fired(&mut timer).await, "due 30 s after it was set");

        // A wait started right after another keeps the timer: fires early
        // by less than the slack.
        timer.restart();
        let start = Instant::now();
        wait(Duration::from_millis(500)).await;
        timer.restart();
        let restarted = Instant::now();
        wait(TIMEOUT - Duration::from_millis(600)).await;
        assert!(!fired(&mut timer).await);
        wait(Duration::from_millis(200)).await;
        assert!(fired(&mut timer).await);
        assert_eq!(Instant::now() - start, Duration::from_millis(30_100));
        assert!(Instant::now() - restarted >= TIMEOUT - SLACK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_started_later_moves_the_timer() {
        let mut timer = HeadTimer::new(TIMEOUT);
        wait(Duration::from_secs(10)).await;
        timer.restart();
        wait(Duration::from_secs(25)).await;
        assert!(!fired(&mut timer).await, "moved to 40 s");
        wait(Duration::from_secs(5)).await;
        assert!(fired(&mut timer).await);
        // A fired timer is always moved: the next wait is not over at once.
        timer.restart();
        assert!(!fired(&mut timer).await);
    }
}
