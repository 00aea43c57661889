//! The result of a selection.

use std::sync::Arc;

use crate::pool::entry::EndpointEntry;
use crate::pool::guard::InFlight;

/// The endpoint a selection chose.
///
/// It holds the entry itself (not a position), so it stays valid when the
/// pool changes afterwards.
#[derive(Debug)]
pub struct Selected<A> {
    entry: Arc<EndpointEntry<A>>,
    index: usize,
}

impl<A> Selected<A> {
    pub(crate) fn new(entry: Arc<EndpointEntry<A>>, index: usize) -> Self {
        Self { entry, index }
    }

    /// The chosen endpoint with its statistics.
    pub fn entry(&self) -> &Arc<EndpointEntry<A>> {
        &self.entry
    }

    /// Takes the entry out.
    pub fn into_entry(self) -> Arc<EndpointEntry<A>> {
        self.entry
    }

    /// The chosen endpoint's id.
    pub fn id(&self) -> &str {
        self.entry.id()
    }

    /// The chosen endpoint's address payload.
    pub fn address(&self) -> &A {
        self.entry.address()
    }

    /// The endpoint's position in the pool snapshot the selection saw.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Starts an attempt on the chosen endpoint (see [`EndpointEntry::begin`]).
    pub fn begin(&self) -> InFlight<A> {
        self.entry.begin()
    }
}

impl<A> Clone for Selected<A> {
    fn clone(&self) -> Self {
        Self {
            entry: Arc::clone(&self.entry),
            index: self.index,
        }
    }
}
