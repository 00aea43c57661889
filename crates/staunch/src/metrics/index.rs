//! Finds an endpoint's figures by name without a lock.
//!
//! Endpoints are never removed, and there are at most `max_endpoints` of
//! them, so a fixed open-addressing table at most half full does: each entry
//! is one `AtomicU64` holding part of the name's hash and the endpoint's
//! position in a list of `OnceLock`s. Lookups load atomics and compare the
//! name; only the first record of a new endpoint takes a lock. Once the
//! limit is reached, new names share the [`OTHER_ENDPOINT`] row.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::endpoint::EndpointSlot;

/// The row of records that carry no endpoint.
pub const NO_ENDPOINT: &str = "(none)";

/// The row shared by endpoints beyond `max_endpoints`.
pub const OTHER_ENDPOINT: &str = "(other)";

/// List positions of the two reserved rows.
const NONE_AT: usize = 0;
const OTHER_AT: usize = 1;
const RESERVED: usize = 2;

/// A fast hash of 8-byte words (multiply, then fold the high half down so
/// that the next word cannot cancel a difference); endpoint names are few and
/// chosen by the operator, and a collision only costs a longer probe.
fn hash(name: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = name.len() as u64;
    let mut chunks = name.as_bytes().chunks_exact(8);
    let mut mix = |word: [u8; 8]| {
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
        h ^= h >> 32;
    };
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        mix(word);
    }
    let mut word = [0u8; 8];
    let rest = chunks.remainder();
    word[..rest.len()].copy_from_slice(rest);
    mix(word);
    // Final mix (MurmurHash3's) so that every bit of the name reaches the
    // high half, which the table entries keep.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Table entry: high 32 bits of the hash, then list position + 1 (0 = empty).
fn entry(hash: u64, at: usize) -> u64 {
    (hash & !0xffff_ffff) | (at as u64 + 1)
}

#[derive(Debug)]
pub(crate) struct EndpointIndex {
    table: Box<[AtomicU64]>,
    list: Box<[OnceLock<Box<EndpointSlot>>]>,
    /// List positions handed out, reserved rows included.
    len: AtomicUsize,
    full: AtomicBool,
    insert: Mutex<()>,
    retention_hours: u32,
}

impl EndpointIndex {
    pub(crate) fn new(max_endpoints: usize, retention_hours: u32) -> Self {
        let capacity = ((max_endpoints + RESERVED) * 2).next_power_of_two().max(16);
        Self {
            table: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            list: (0..max_endpoints + RESERVED)
                .map(|_| OnceLock::new())
                .collect(),
            len: AtomicUsize::new(RESERVED),
            full: AtomicBool::new(false),
            insert: Mutex::new(()),
            retention_hours,
        }
    }

    fn reserved(&self, at: usize) -> &EndpointSlot {
        self.list[at].get_or_init(|| {
            let name = if at == NONE_AT {
                NO_ENDPOINT
            } else {
                OTHER_ENDPOINT
            };
            Box::new(EndpointSlot::new(name.into(), self.retention_hours))
        })
    }

    /// The figures of `name`, created on first use.
    #[inline]
    pub(crate) fn get(&self, name: Option<&str>) -> &EndpointSlot {
        match name {
            None => self.reserved(NONE_AT),
            Some(name) => {
                let hash = hash(name);
                match self.find(name, hash) {
                    Some(slot) => slot,
                    None => self.insert(name, hash),
                }
            }
        }
    }

    /// Looks `name` up; `None` when it is not in the table.
    #[inline]
    fn find(&self, name: &str, hash: u64) -> Option<&EndpointSlot> {
        let mask = self.table.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let word = self.table[i].load(Ordering::Acquire);
            if word == 0 {
                return None;
            }
            if word >> 32 == hash >> 32 {
                let at = (word & 0xffff_ffff) as usize - 1;
                if let Some(slot) = self.list[at].get() {
                    if &**slot.name() == name {
                        return Some(slot);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn insert(&self, name: &str, hash: u64) -> &EndpointSlot {
        if self.full.load(Ordering::Acquire) {
            return self.reserved(OTHER_AT);
        }
        let _guard = self.insert.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = self.find(name, hash) {
            return slot;
        }
        let at = match name {
            // The reserved labels must stay unique rows.
            NO_ENDPOINT => NONE_AT,
            OTHER_ENDPOINT => OTHER_AT,
            _ => {
                let at = self.len.load(Ordering::Acquire);
                if at == self.list.len() {
                    self.full.store(true, Ordering::Release);
                    return self.reserved(OTHER_AT);
                }
                let slot = EndpointSlot::new(Arc::from(name), self.retention_hours);
                let _ = self.list[at].set(Box::new(slot));
                self.len.store(at + 1, Ordering::Release);
                at
            }
        };
        let slot = self.reserved_or(at);
        let mask = self.table.len() - 1;
        let mut i = hash as usize & mask;
        while self.table[i].load(Ordering::Acquire) != 0 {
            i = (i + 1) & mask;
        }
        self.table[i].store(entry(hash, at), Ordering::Release);
        slot
    }

    fn reserved_or(&self, at: usize) -> &EndpointSlot {
        match self.list[at].get() {
            Some(slot) => slot,
            None => self.reserved(at),
        }
    }

    /// Every endpoint with figures, reserved rows first when used.
    pub(crate) fn slots(&self) -> impl Iterator<Item = &EndpointSlot> {
        let len = self.len.load(Ordering::Acquire);
        self.list[..len]
            .iter()
            .filter_map(|slot| slot.get().map(|s| &**s))
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.table)
            + std::mem::size_of_val(&*self.list)
            + self.slots().map(EndpointSlot::memory_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn same_name_finds_same_row() {
        let index = EndpointIndex::new(4, 1);
        let a = index.get(Some("a")) as *const EndpointSlot;
        let b = index.get(Some("b")) as *const EndpointSlot;
        assert_ne!(a, b);
        assert_eq!(a, index.get(Some("a")) as *const EndpointSlot);
        assert_eq!(index.slots().count(), 2);
    }

    #[test]
    fn names_beyond_the_limit_share_other() {
        let index = EndpointIndex::new(2, 1);
        index.get(Some("a"));
        index.get(Some("b"));
        assert_eq!(&**index.get(Some("c")).name(), OTHER_ENDPOINT);
        assert_eq!(&**index.get(Some("d")).name(), OTHER_ENDPOINT);
        assert_eq!(&**index.get(Some("a")).name(), "a");
        let names: Vec<_> = index.slots().map(|s| s.name().to_string()).collect();
        assert_eq!(names, [OTHER_ENDPOINT, "a", "b"]);
    }

    #[test]
    fn reserved_names_map_to_reserved_rows() {
        let index = EndpointIndex::new(2, 1);
        let none = index.get(None) as *const EndpointSlot;
        assert_eq!(none, index.get(Some(NO_ENDPOINT)) as *const EndpointSlot);
        index.get(Some(OTHER_ENDPOINT));
        assert_eq!(index.slots().count(), 2, "no duplicate rows");
        index.get(Some("a"));
        index.get(Some("b"));
        assert_eq!(index.slots().count(), 4);
    }

    #[test]
    fn concurrent_first_use_creates_one_row_per_name() {
        let index = EndpointIndex::new(64, 1);
        thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for i in 0..100 {
                        let name = format!("endpoint-{}", i % 40);
                        assert_eq!(&**index.get(Some(&name)).name(), name);
                    }
                });
            }
        });
        assert_eq!(index.slots().count(), 40);
    }

    #[test]
    fn hash_spreads_similar_names() {
        let hashes: std::collections::HashSet<_> = (0..1000)
            .map(|i| hash(&format!("proxy-{i}")) >> 32)
            .collect();
        assert_eq!(hashes.len(), 1000);
    }
}
