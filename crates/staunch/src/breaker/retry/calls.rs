//! Short ways to run a retry call through a breaker or a registry key.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;

use super::BreakerGuard;
use crate::breaker::{Breaker, BreakerRegistry};
use crate::retry::{RetryError, RetryPolicy};

impl Breaker {
    /// A [`BreakerGuard`] over this breaker, to pass to
    /// [`RetryPolicy::call_with`] or
    /// [`call_async_with`](RetryPolicy::call_async_with) when the call needs
    /// a classifier, a hook or other interceptors.
    ///
    /// ```
    /// use staunch::breaker::{Breaker, BreakerConfig};
    /// use staunch::retry::{RetryPolicy, StopReason, Verdict};
    /// use std::time::Duration;
    ///
    /// let breaker = Breaker::new("api", BreakerConfig::default().with_consecutive_failures(1))
    ///     .unwrap();
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    /// let err = policy
    ///     .call_with(breaker.guard(), |_| Err::<(), u16>(404))
    ///     .when(|status| *status >= 500)
    ///     .run()
    ///     .unwrap_err();
    /// assert_eq!(err.reason(), StopReason::Fatal);
    /// assert!(breaker.try_acquire().is_ok(), "a 404 is not a failure of the service");
    /// ```
    pub fn guard(&self) -> BreakerGuard<&Breaker> {
        BreakerGuard::new(self)
    }

    /// Runs `op` under `policy`, each attempt through this breaker: retry
    /// outside, breaker inside. Every `Err` is retried and counts as a
    /// breaker failure. A refused attempt ends the call at once with
    /// [`StopReason::CircuitOpen`](crate::retry::StopReason::CircuitOpen).
    ///
    /// ```
    /// use staunch::breaker::{Breaker, BreakerConfig};
    /// use staunch::retry::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let breaker = Breaker::new("s3", BreakerConfig::default()).unwrap();
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    /// let mut tries = 0;
    /// let etag = breaker.retry(&policy, || {
    ///     tries += 1;
    ///     if tries < 2 { Err("reset") } else { Ok("etag-1") }
    /// });
    /// assert_eq!(etag, Ok("etag-1"));
    /// assert_eq!(breaker.snapshot().failures_in_window, 1);
    /// ```
    pub fn retry<T, E, F>(&self, policy: &RetryPolicy, op: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        E: fmt::Display,
    {
        policy.retry_with(self.guard(), op)
    }

    /// The async [`retry`](Self::retry), on tokio's timers. The operation
    /// may borrow from the caller's stack; dropping the future frees the
    /// attempt's permit (and its probe slot, if it was a probe).
    ///
    /// ```
    /// use staunch::breaker::{Breaker, BreakerConfig};
    /// use staunch::retry::RetryPolicy;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let breaker = Breaker::new("gcs", BreakerConfig::default()).unwrap();
    /// let bucket = String::from("backups");
    /// let result = breaker
    ///     .retry_async(&RetryPolicy::default(), || async { Ok::<_, String>(bucket.len()) })
    ///     .await;
    /// assert_eq!(result.unwrap(), 7);
    /// # }
    /// ```
    #[cfg(feature = "tokio")]
    pub fn retry_async<'a, T, E, F, Fut>(
        &'a self,
        policy: &'a RetryPolicy,
        op: F,
    ) -> impl std::future::Future<Output = Result<T, RetryError<E>>> + 'a
    where
        F: FnMut() -> Fut + 'a,
        Fut: std::future::Future<Output = Result<T, E>> + 'a,
        E: fmt::Display + 'a,
        T: 'a,
    {
        policy.retry_async_with(self.guard(), op)
    }
}

impl<K> BreakerRegistry<K>
where
    K: Eq + Hash + Clone + fmt::Display + Send + Sync + 'static,
{
    /// A [`BreakerGuard`] over `key`'s breaker (created on first use).
    pub fn guard<Q>(&self, key: &Q) -> BreakerGuard<Breaker>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        BreakerGuard::new(self.get(key))
    }

    /// Runs `op` under `policy`, each attempt through `key`'s breaker (see
    /// [`Breaker::retry`]).
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
    /// use staunch::retry::{RetryPolicy, StopReason};
    /// use std::time::Duration;
    ///
    /// let providers = BreakerRegistry::<String>::new(
    ///     BreakerConfig::default().with_consecutive_failures(3),
    /// ).unwrap();
    /// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
    ///
    /// let err = providers.retry("azure", &policy, || Err::<(), _>("timeout")).unwrap_err();
    /// assert!(matches!(err.reason(), StopReason::Exhausted));
    /// assert_eq!(providers.get("azure").state(), CircuitState::Open);
    ///
    /// let mut called = false;
    /// let err = providers
    ///     .retry("azure", &policy, || { called = true; Ok::<_, &str>(()) })
    ///     .unwrap_err();
    /// assert!(!called, "an open breaker refuses before the operation runs");
    /// assert_eq!(err.attempts(), 0);
    /// ```
    pub fn retry<Q, T, E, F>(
        &self,
        key: &Q,
        policy: &RetryPolicy,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnMut() -> Result<T, E>,
        E: fmt::Display,
    {
        policy.retry_with(self.guard(key), op)
    }

    /// The async [`retry`](Self::retry), on tokio's timers.
    #[cfg(feature = "tokio")]
    pub fn retry_async<'a, Q, T, E, F, Fut>(
        &self,
        key: &Q,
        policy: &'a RetryPolicy,
        op: F,
    ) -> impl std::future::Future<Output = Result<T, RetryError<E>>> + 'a
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnMut() -> Fut + 'a,
        Fut: std::future::Future<Output = Result<T, E>> + 'a,
        E: fmt::Display + 'a,
        T: 'a,
    {
        policy.retry_async_with(self.guard(key), op)
    }
}
