//! Region affinity: prefer endpoints sharing a tag with the one that failed.

use std::sync::Arc;

use rand::rngs::SmallRng;

use super::{Candidates, Strategy};

/// The tag key [`RegionAffinity`] compares unless told otherwise.
pub const DEFAULT_AFFINITY_TAG: &str = "region";

/// Wraps another strategy: after a failure, it first chooses among eligible
/// endpoints whose tag (`region` by default) equals the failed endpoint's,
/// then, if none is eligible, among all eligible endpoints.
///
/// Before any failure in the call it prefers the
/// [`preferred`](Self::with_preferred) value when one is set, and otherwise
/// defers to the inner strategy over the whole pool. Exclusions still come
/// first: a same-region endpoint already tried loses to an untried endpoint
/// of another region.
///
/// ```
/// use staunch::pool::{Endpoint, Pool, RegionAffinity, RoundRobin, SelectContext};
///
/// let pool = Pool::new([
///     Endpoint::new("eu-1", ()).with_tag("region", "eu"),
///     Endpoint::new("us-1", ()).with_tag("region", "us"),
///     Endpoint::new("eu-2", ()).with_tag("region", "eu"),
/// ])
/// .unwrap();
/// let strategy = RegionAffinity::new(RoundRobin::new());
/// let mut ctx = SelectContext::seeded(3);
/// ctx.record_failure(&pool.get("eu-1").unwrap());
/// assert_eq!(pool.select(&strategy, &mut ctx).unwrap().id(), "eu-2");
/// ```
#[derive(Debug)]
pub struct RegionAffinity<S> {
    tag: Arc<str>,
    preferred: Option<Arc<str>>,
    inner: S,
}

impl<S> RegionAffinity<S> {
    /// Affinity on the `region` tag around `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            tag: Arc::from(DEFAULT_AFFINITY_TAG),
            preferred: None,
            inner,
        }
    }

    /// Compares tag `key` instead of `region`.
    #[must_use]
    pub fn with_tag_key(mut self, key: impl Into<Arc<str>>) -> Self {
        self.tag = key.into();
        self
    }

    /// The tag value preferred before any failure (a home region).
    #[must_use]
    pub fn with_preferred(mut self, value: impl Into<Arc<str>>) -> Self {
        self.preferred = Some(value.into());
        self
    }

    /// The tag key compared.
    pub fn tag_key(&self) -> &str {
        &self.tag
    }

    /// The wrapped strategy.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<A, S: Strategy<A>> Strategy<A> for RegionAffinity<S> {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        let wanted = match candidates.last_failed() {
            Some(failed) => failed.tag(&self.tag),
            None => self.preferred.as_deref(),
        };
        if let Some(value) = wanted {
            if let Some(i) = self
                .inner
                .select(&candidates.with_tag(&self.tag, value), rng)
            {
                return Some(i);
            }
        }
        self.inner.select(candidates, rng)
    }
}
