//! [`BreakerRegistry`]: one breaker per key, created on first use and shared
//! by every caller.
//!
//! Lookups read immutable shards through `arc-swap`: no lock on the hit
//! path. Creating a breaker takes a writer lock and publishes a copy of one
//! shard with the new entry (copy-on-insert).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::observer::BreakerObserver;
use super::{Breaker, BreakerConfig, Snapshot};
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;

mod map;

use map::BreakerMap;

/// One circuit breaker per key (provider, proxy, host), created on first use
/// from a shared configuration, with per-key overrides. Cloning gives
/// another handle to the same breakers.
///
/// ```
/// use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
///
/// let registry = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
/// let other_caller = registry.clone();
/// registry.get("provider-a").isolate();
/// assert_eq!(other_caller.get("provider-a").state(), CircuitState::Isolated);
/// assert!(registry.reset("provider-a"));
/// assert_eq!(registry.snapshots().len(), 1);
/// ```
pub struct BreakerRegistry<K> {
    inner: Arc<Inner<K>>,
}

struct Inner<K> {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    map: BreakerMap<K>,
    writer: Mutex<Writer<K>>,
    /// Unique among the registries of the process.
    id: u64,
    /// Bumped each time a key's breaker is replaced.
    replaced: AtomicU64,
}

/// Ids of registries, for [`Generation`].
static NEXT_REGISTRY_ID: AtomicU64 = AtomicU64::new(0);

/// Which breaker each key of a registry has, as a value that can be
/// compared: it changes when a key's breaker is replaced
/// ([`BreakerRegistry::set_override`] on an existing key), and two
/// registries never have the same one. A caller that keeps the breakers it
/// looked up (a per-thread cache in front of the registry) can go on using
/// them while [`BreakerRegistry::generation`] returns the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Generation {
    registry: u64,
    replaced: u64,
}

struct Writer<K> {
    overrides: HashMap<K, BreakerConfig>,
    observers: Vec<Arc<dyn BreakerObserver>>,
}

impl<K> Clone for BreakerRegistry<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K> BreakerRegistry<K>
where
    K: Eq + Hash + Clone + fmt::Display + Send + Sync + 'static,
{
    /// An empty registry whose breakers use `config` and the system clock.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// An empty registry whose breakers use `config` and `clock`.
    ///
    /// Fails if `config` does not [validate](BreakerConfig::validate), so
    /// creating a breaker on first use never can.
    pub fn with_clock(config: BreakerConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clock,
                map: BreakerMap::new(),
                writer: Mutex::new(Writer {
                    overrides: HashMap::new(),
                    observers: Vec::new(),
                }),
                id: NEXT_REGISTRY_ID.fetch_add(1, Ordering::Relaxed),
                replaced: AtomicU64::new(0),
            }),
        })
    }

    /// [`set_override`](Self::set_override) as a builder step.
    pub fn with_override(self, key: K, config: BreakerConfig) -> Result<Self, ConfigError> {
        self.set_override(key, config)?;
        Ok(self)
    }

    /// Gives `key` its own configuration. If the key's breaker already
    /// exists it is replaced by a fresh, closed one (handles taken before
    /// keep the old breaker).
    pub fn set_override(&self, key: K, config: BreakerConfig) -> Result<(), ConfigError> {
        config.validate()?;
        let mut writer = self.lock();
        writer.overrides.insert(key.clone(), config);
        if self.inner.map.get(&key).is_some() {
            let breaker = self.build(&writer, &key);
            self.inner.map.insert(key, breaker);
            self.inner.replaced.fetch_add(1, Ordering::Release);
        }
        Ok(())
    }

    /// Which breaker each key has, as a value that changes when one is
    /// replaced: see [`Generation`]. One atomic load.
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry};
    ///
    /// let registry = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
    /// let before = registry.generation();
    /// registry.get("a").isolate();
    /// assert_eq!(registry.generation(), before, "same breaker, new state");
    /// registry.set_override("a".to_string(), BreakerConfig::default()).unwrap();
    /// assert_ne!(registry.generation(), before, "`a` has a new breaker");
    /// ```
    #[inline]
    pub fn generation(&self) -> Generation {
        Generation {
            registry: self.inner.id,
            replaced: self.inner.replaced.load(Ordering::Acquire),
        }
    }

    /// The default configuration of new breakers.
    pub fn config(&self) -> &BreakerConfig {
        &self.inner.config
    }

    fn lock(&self) -> MutexGuard<'_, Writer<K>> {
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the breaker of `key` (writer lock held).
    fn build(&self, writer: &Writer<K>, key: &K) -> Breaker {
        let config = writer
            .overrides
            .get(key)
            .unwrap_or(&self.inner.config)
            .clone();
        // Every configuration was validated when it entered the registry.
        let breaker = Breaker::from_valid(key.to_string(), config, Arc::clone(&self.inner.clock));
        for observer in &writer.observers {
            breaker.add_observer(Arc::clone(observer));
        }
        breaker
    }

    /// The breaker of `key`, created on first use. The hit path takes no
    /// lock.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Breaker
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.inner.map.get(key) {
            Some(breaker) => breaker,
            None => self.create(key),
        }
    }

    #[cold]
    fn create<Q>(&self, key: &Q) -> Breaker
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let writer = self.lock();
        if let Some(breaker) = self.inner.map.get(key) {
            return breaker;
        }
        let owned = key.to_owned();
        let breaker = self.build(&writer, &owned);
        self.inner.map.insert(owned, breaker.clone());
        breaker
    }

    /// The breaker of `key` if it exists (never creates one).
    pub fn find<Q>(&self, key: &Q) -> Option<Breaker>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.map.get(key)
    }

    /// `f` of the breaker of `key` if it exists (never creates one), with
    /// no handle cloned.
    pub(crate) fn find_with<Q, R>(&self, key: &Q, f: impl FnOnce(&Breaker) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.map.with(key, f)
    }

    /// Every breaker with its key, in no particular order.
    pub fn breakers(&self) -> Vec<(K, Breaker)> {
        let mut all = Vec::with_capacity(self.len());
        self.inner
            .map
            .for_each(|k, b| all.push((k.clone(), b.clone())));
        all
    }

    /// Every breaker's key and snapshot, in no particular order.
    pub fn snapshots(&self) -> Vec<(K, Snapshot)> {
        let mut all = Vec::with_capacity(self.len());
        self.inner
            .map
            .for_each(|k, b| all.push((k.clone(), b.snapshot())));
        all
    }

    /// The snapshot of `key`'s breaker, if it exists.
    pub fn snapshot<Q>(&self, key: &Q) -> Option<Snapshot>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.map.get(key).map(|b| b.snapshot())
    }

    /// Closes `key`'s breaker by hand. `false` if it does not exist.
    pub fn reset<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.find(key) {
            Some(breaker) => {
                breaker.reset();
                true
            }
            None => false,
        }
    }

    /// Closes every breaker by hand.
    pub fn reset_all(&self) {
        self.inner.map.for_each(|_, b| b.reset());
    }

    /// Forces `key`'s breaker open until reset, creating it if needed (a key
    /// can be isolated before its first call).
    pub fn isolate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.get(key).isolate();
    }

    /// Sends the transitions of every breaker, existing and future, to
    /// `observer`.
    pub fn add_observer(&self, observer: Arc<dyn BreakerObserver>) {
        let mut writer = self.lock();
        self.inner
            .map
            .for_each(|_, b| b.add_observer(Arc::clone(&observer)));
        writer.observers.push(observer);
    }

    /// How many breakers exist.
    pub fn len(&self) -> usize {
        self.inner.map.len()
    }

    /// Whether no breaker exists yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K> fmt::Debug for BreakerRegistry<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerRegistry")
            .field("breakers", &self.inner.map.len())
            .finish_non_exhaustive()
    }
}
