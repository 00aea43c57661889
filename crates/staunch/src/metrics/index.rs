//! Finds an endpoint's figures by id without a lock.
//!
//! Endpoints are never removed, and there are at most `max_endpoints` of
//! them, so fixed open-addressing tables at most half full do. Two ways in:
//!
//! - by the id's shared allocation: records carry an [`EndpointId`]
//!   (`Arc<str>`), and callers such as the pool hand out clones of one `Arc`
//!   per endpoint. The row keeps a clone of the first `Arc` it saw, so an
//!   equal pointer proves the same id without reading the string;
//! - by the id's text, hashed, for every other case.
//!
//! Lookups load atomics and compare; only the first record of a new
//! endpoint takes a lock. Once the limit is reached, new ids share the
//! [`OTHER_ENDPOINT`] row.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::endpoint::EndpointSlot;
use super::EndpointId;

/// The row of records that carry no endpoint.
pub const NO_ENDPOINT: &str = "(none)";

/// The row shared by endpoints beyond `max_endpoints`.
pub const OTHER_ENDPOINT: &str = "(other)";

/// List positions of the two reserved rows.
const NONE_AT: usize = 0;
const OTHER_AT: usize = 1;
const RESERVED: usize = 2;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fast hash of 8-byte words: multiply, then fold the high half down so
/// that the next word cannot cancel a difference. Endpoint ids are few and
/// chosen by the operator, and a collision only costs a longer probe.
fn hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut mix = |word: u64| {
        h = (h ^ word).wrapping_mul(K);
        h ^= h >> 32;
    };
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        mix(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        mix(rest
            .iter()
            .rev()
            .fold(0u64, |word, &b| (word << 8) | u64::from(b)));
    }
    h
}

/// Table entry: high 32 bits of the hash, then list position + 1 (0 = empty).
fn entry(hash: u64, at: usize) -> u64 {
    (hash & !0xffff_ffff) | (at as u64 + 1)
}

#[derive(Debug)]
pub(crate) struct EndpointIndex {
    /// By text: open addressing on the hash.
    table: Box<[AtomicU64]>,
    /// By allocation: direct-mapped on the `Arc`'s address, list position +
    /// 1 (0 = empty); a miss falls back to the text.
    shared: Box<[AtomicU32]>,
    shared_bits: u32,
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
            shared: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            shared_bits: capacity.trailing_zeros(),
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

    /// The figures of `id`, created on first use.
    #[inline]
    pub(crate) fn get(&self, id: Option<&EndpointId>) -> &EndpointSlot {
        let Some(id) = id else {
            return self.reserved(NONE_AT);
        };
        let address = Arc::as_ptr(id).cast::<u8>() as usize;
        let at_shared = self.shared_index(address);
        let known = self.shared[at_shared].load(Ordering::Acquire);
        if known != 0 {
            if let Some(slot) = self.list[known as usize - 1].get() {
                // The row holds a clone of its `Arc`, so the address cannot
                // have been reused by another string.
                if Arc::ptr_eq(slot.name(), id) {
                    return slot;
                }
            }
        }
        let (at, slot) = self.lookup(id, Some(id));
        if Arc::ptr_eq(slot.name(), id) {
            self.shared[at_shared].store(at as u32 + 1, Ordering::Release);
        }
        slot
    }

    /// The figures of `name`, created on first use.
    pub(crate) fn get_by_name(&self, name: &str) -> &EndpointSlot {
        self.lookup(name, None).1
    }

    fn shared_index(&self, address: usize) -> usize {
        ((address as u64 >> 3).wrapping_mul(K) >> (64 - self.shared_bits)) as usize
    }

    fn lookup(&self, name: &str, id: Option<&EndpointId>) -> (usize, &EndpointSlot) {
        let hash = hash(name);
        match self.find(name, hash) {
            Some(found) => found,
            None => self.insert(name, id, hash),
        }
    }

    /// Looks `name` up; `None` when it is not in the table.
    fn find(&self, name: &str, hash: u64) -> Option<(usize, &EndpointSlot)> {
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
                        return Some((at, slot));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn insert(&self, name: &str, id: Option<&EndpointId>, hash: u64) -> (usize, &EndpointSlot) {
        if self.full.load(Ordering::Acquire) {
            return (OTHER_AT, self.reserved(OTHER_AT));
        }
        let _guard = self.insert.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = self.find(name, hash) {
            return found;
        }
        let at = match name {
            // The reserved labels must stay unique rows.
            NO_ENDPOINT => NONE_AT,
            OTHER_ENDPOINT => OTHER_AT,
            _ => {
                let at = self.len.load(Ordering::Acquire);
                if at == self.list.len() {
                    self.full.store(true, Ordering::Release);
                    return (OTHER_AT, self.reserved(OTHER_AT));
                }
                let name = id.cloned().unwrap_or_else(|| Arc::from(name));
                let slot = EndpointSlot::new(name, self.retention_hours);
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
        (at, slot)
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
            + std::mem::size_of_val(&*self.shared)
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
        let a = index.get_by_name("a") as *const EndpointSlot;
        let b = index.get_by_name("b") as *const EndpointSlot;
        assert_ne!(a, b);
        assert_eq!(a, index.get_by_name("a") as *const EndpointSlot);
        assert_eq!(index.slots().count(), 2);
    }

    #[test]
    fn names_beyond_the_limit_share_other() {
        let index = EndpointIndex::new(2, 1);
        index.get_by_name("a");
        index.get_by_name("b");
        assert_eq!(&**index.get_by_name("c").name(), OTHER_ENDPOINT);
        assert_eq!(&**index.get_by_name("d").name(), OTHER_ENDPOINT);
        assert_eq!(&**index.get_by_name("a").name(), "a");
        let names: Vec<_> = index.slots().map(|s| s.name().to_string()).collect();
        assert_eq!(names, [OTHER_ENDPOINT, "a", "b"]);
    }

    #[test]
    fn reserved_names_map_to_reserved_rows() {
        let index = EndpointIndex::new(2, 1);
        let none = index.get(None) as *const EndpointSlot;
        assert_eq!(none, index.get_by_name(NO_ENDPOINT) as *const EndpointSlot);
        index.get_by_name(OTHER_ENDPOINT);
        assert_eq!(index.slots().count(), 2, "no duplicate rows");
        index.get_by_name("a");
        index.get_by_name("b");
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
                        assert_eq!(&**index.get_by_name(&name).name(), name);
                    }
                });
            }
        });
        assert_eq!(index.slots().count(), 40);
    }

    #[test]
    fn shared_ids_find_their_row_by_address() {
        let index = EndpointIndex::new(4, 1);
        let id: EndpointId = Arc::from("proxy-1");
        let first = index.get(Some(&id)) as *const EndpointSlot;
        assert!(
            Arc::ptr_eq(index.get(Some(&id)).name(), &id),
            "the row keeps the first Arc"
        );
        // Another allocation of the same text finds the same row.
        let copy: EndpointId = Arc::from("proxy-1");
        assert_eq!(first, index.get(Some(&copy)) as *const EndpointSlot);
        assert_eq!(first, index.get_by_name("proxy-1") as *const EndpointSlot);
        // A different id at a reused address is never mistaken for it.
        let other: EndpointId = Arc::from("proxy-2");
        assert_eq!(&**index.get(Some(&other)).name(), "proxy-2");
        assert_eq!(index.slots().count(), 2);
    }

    #[test]
    fn hash_spreads_similar_names() {
        let hashes: std::collections::HashSet<_> = (0..1000)
            .map(|i| hash(&format!("proxy-{i}")) >> 32)
            .collect();
        assert_eq!(hashes.len(), 1000);
    }
}
