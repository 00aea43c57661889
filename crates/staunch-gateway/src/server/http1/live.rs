//! [`Live`]: the configuration and retry policy a connection's requests
//! are served with.
//!
//! Both sit in an `ArcSwap` that a reload or a policy update replaces.
//! Taking a fresh `Arc` of each per request would write twice per request
//! to a count every worker thread shares; a connection instead keeps its
//! own copy and, per request, checks with one plain load whether it is
//! still the current one.

use std::sync::Arc;

use arc_swap::{ArcSwap, Cache};

use crate::active::ActiveConfig;
use crate::engine::LivePolicy;
use crate::server::Shared;

/// One connection's copies of the live configuration and policy.
pub(crate) struct Live<'a> {
    active: Cache<&'a ArcSwap<ActiveConfig>, Arc<ActiveConfig>>,
    policy: Cache<&'a ArcSwap<LivePolicy>, Arc<LivePolicy>>,
}

impl<'a> Live<'a> {
    pub(crate) fn new(shared: &'a Shared) -> Self {
        Self {
            active: Cache::new(shared.state().active_swap()),
            policy: Cache::new(shared.engine().policy_swap()),
        }
    }

    /// The configuration and policy for the next request.
    pub(crate) fn current(&mut self) -> (&ActiveConfig, &LivePolicy) {
        (self.active.load(), self.policy.load())
    }
}
