//! [`Slot`]: what a pool entry carries, so that a reload can give an
//! endpoint that survives it its new client without resetting its
//! statistics.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::endpoint::Endpoint;

/// The address payload of one pool entry: the gateway [`Endpoint`] (its
/// id, address and client), replaceable in place.
///
/// The engine's pool keeps an entry's statistics (in-flight count, EWMA
/// latency, success ratio) for as long as the entry lives; a reload that
/// keeps an endpoint's id, weight and tags swaps the endpoint in its slot
/// instead of replacing the entry, so those statistics carry over.
pub struct Slot {
    endpoint: ArcSwap<Endpoint>,
}

impl Slot {
    /// A slot holding `endpoint`.
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint: ArcSwap::from_pointee(endpoint),
        }
    }

    /// The endpoint now in the slot (a reference-count increment).
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::clone(&self.endpoint.load())
    }

    /// Puts `endpoint` in the slot; attempts that already took the old one
    /// finish with it.
    pub(crate) fn replace(&self, endpoint: Endpoint) {
        self.endpoint.store(Arc::new(endpoint));
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Slot")
            .field(&**self.endpoint.load())
            .finish()
    }
}
