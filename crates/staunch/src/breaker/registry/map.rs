//! The registry's map: shards of immutable hash maps behind `arc-swap`.
//!
//! A lookup hashes the key once (foldhash with a random seed), loads one
//! shard without a lock and
//! finds the entry by that hash. An insert (under the registry's writer
//! lock) copies one shard, so inserting stays cheap with many keys.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use arc_swap::ArcSwap;
use foldhash::fast::RandomState;

use crate::breaker::Breaker;

const SHARDS: usize = 16;

/// Uses a hash computed beforehand as the hash.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in for completeness.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One shard: entries by full hash, plus the (practically always empty)
/// list of keys whose 64-bit hash collided with another key's.
struct Shard<K> {
    by_hash: HashMap<u64, (Arc<K>, Breaker), BuildHasherDefault<Prehashed>>,
    collided: Vec<(Arc<K>, Breaker)>,
}

impl<K> Clone for Shard<K> {
    fn clone(&self) -> Self {
        Self {
            by_hash: self.by_hash.clone(),
            collided: self.collided.clone(),
        }
    }
}

impl<K> Default for Shard<K> {
    fn default() -> Self {
        Self {
            by_hash: HashMap::default(),
            collided: Vec::new(),
        }
    }
}

/// Breakers by key; reads take no lock, writes must be serialised by the
/// caller.
pub(crate) struct BreakerMap<K> {
    /// foldhash with a random per-map seed: several times faster than
    /// SipHash on host-sized keys, and keys chosen from outside (hosts seen
    /// by a proxy) cannot aim at one slot without knowing the seed; a full
    /// 64-bit collision still only lands in `collided`.
    hasher: RandomState,
    shards: Box<[ArcSwap<Shard<K>>]>,
}

impl<K: Eq + Hash> BreakerMap<K> {
    pub(crate) fn new() -> Self {
        Self {
            hasher: RandomState::default(),
            shards: (0..SHARDS).map(|_| ArcSwap::default()).collect(),
        }
    }

    fn shard(&self, hash: u64) -> &ArcSwap<Shard<K>> {
        // High bits pick the shard; the shard's table indexes by low bits.
        &self.shards[(hash >> 59) as usize % SHARDS]
    }

    /// The breaker of `key`, if present. No lock.
    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<Breaker>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with(key, Breaker::clone)
    }

    /// `f` of the breaker of `key`, if present, without a handle to it
    /// being cloned (a clone and a drop are two atomic writes to a count
    /// every caller shares). No lock.
    #[inline]
    pub(crate) fn with<Q, R>(&self, key: &Q, f: impl FnOnce(&Breaker) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash).load();
        match shard.by_hash.get(&hash) {
            Some((k, breaker)) if (**k).borrow() == key => Some(f(breaker)),
            _ => shard
                .collided
                .iter()
                .find(|(k, _)| (**k).borrow() == key)
                .map(|(_, breaker)| f(breaker)),
        }
    }

    /// Inserts or replaces the breaker of `key`. Callers serialise writes.
    pub(crate) fn insert(&self, key: K, breaker: Breaker) {
        let hash = self.hasher.hash_one(&key);
        let slot = self.shard(hash);
        let mut next = Shard::clone(&slot.load());
        match next.by_hash.get_mut(&hash) {
            Some(entry) if *entry.0 == key => entry.1 = breaker,
            Some(_) => match next.collided.iter_mut().find(|(k, _)| **k == key) {
                Some(entry) => entry.1 = breaker,
                None => next.collided.push((Arc::new(key), breaker)),
            },
            None => {
                next.by_hash.insert(hash, (Arc::new(key), breaker));
            }
        }
        slot.store(Arc::new(next));
    }
}

impl<K> BreakerMap<K> {
    /// Calls `visit` with every entry.
    pub(crate) fn for_each(&self, mut visit: impl FnMut(&K, &Breaker)) {
        for slot in self.shards.iter() {
            let shard = slot.load();
            for (key, breaker) in shard.by_hash.values().chain(shard.collided.iter()) {
                visit(key, breaker);
            }
        }
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|slot| {
                let shard = slot.load();
                shard.by_hash.len() + shard.collided.len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::BreakerConfig;

    fn breaker(key: &str) -> Breaker {
        Breaker::new(key, BreakerConfig::default()).unwrap()
    }

    #[test]
    fn inserted_breakers_are_found_and_replaced() {
        let map = BreakerMap::<String>::new();
        for i in 0..200 {
            map.insert(format!("k{i}"), breaker(&format!("k{i}")));
        }
        assert_eq!(map.len(), 200);
        assert_eq!(map.get("k17").unwrap().key(), "k17");
        assert!(map.get("nope").is_none());
        let fresh = breaker("k17");
        map.insert("k17".to_owned(), fresh.clone());
        assert!(map.get("k17").unwrap().same_as(&fresh));
        assert_eq!(map.len(), 200);
        let mut seen = 0;
        map.for_each(|_, _| seen += 1);
        assert_eq!(seen, 200);
    }

    /// A key type whose hash is constant, so every key collides.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Colliding(u32);

    impl Hash for Colliding {
        fn hash<H: Hasher>(&self, state: &mut H) {
            state.write_u8(1);
        }
    }

    #[test]
    fn keys_with_equal_hashes_stay_apart() {
        let map = BreakerMap::<Colliding>::new();
        for i in 0..5 {
            map.insert(Colliding(i), breaker(&i.to_string()));
        }
        assert_eq!(map.len(), 5);
        for i in 0..5 {
            assert_eq!(map.get(&Colliding(i)).unwrap().key(), i.to_string());
        }
        let fresh = breaker("again");
        map.insert(Colliding(3), fresh.clone());
        assert!(map.get(&Colliding(3)).unwrap().same_as(&fresh));
        assert_eq!(map.len(), 5);
    }
}
