//! [`Pools`]: the engine's endpoint pools, one per route and one for the
//! forward path, kept across reloads.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use staunch::clock::Clock;
use staunch::pool::{EndpointEntry, Pool, PoolError};

use super::slot::Slot;
use crate::endpoint::Endpoint;

/// Every pool by name (`route /api`, `route shop.test/`, `forward`).
///
/// A reload [syncs](Self::sync) each pool with its new endpoint list: ids
/// that are gone are removed, new ids are added with fresh statistics, and
/// ids that stay keep their entry (and so their statistics), with the new
/// endpoint put in its [`Slot`]. An id whose weight or tags changed gets a
/// fresh entry, since those are part of the entry.
pub(crate) struct Pools {
    clock: Arc<dyn Clock>,
    pools: Mutex<HashMap<String, Arc<Pool<Slot>>>>,
}

impl Pools {
    /// No pools yet; new ones time attempts with `clock`.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            pools: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Pool<Slot>>>> {
        self.pools.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pool `name`, created or brought in line with `endpoints`.
    pub(crate) fn sync(
        &self,
        name: &str,
        endpoints: &[Endpoint],
    ) -> Result<Arc<Pool<Slot>>, PoolError> {
        let mut pools = self.lock();
        if let Some(pool) = pools.get(name) {
            sync_pool(pool, endpoints)?;
            return Ok(Arc::clone(pool));
        }
        let pool = Arc::new(
            Pool::builder()
                .with_endpoints(endpoints.iter().map(pool_endpoint))
                .with_clock(Arc::clone(&self.clock))
                .allow_empty()
                .build()?,
        );
        pools.insert(name.to_string(), Arc::clone(&pool));
        Ok(pool)
    }

    /// Drops every pool whose name is not in `names` (a route that a reload
    /// removed).
    pub(crate) fn retain(&self, names: &HashSet<&str>) {
        self.lock().retain(|name, _| names.contains(name.as_str()));
    }

    /// The pool `name`, if there is one.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<Arc<Pool<Slot>>> {
        self.lock().get(name).cloned()
    }
}

impl fmt::Debug for Pools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        f.debug_struct("Pools").field("names", &names).finish()
    }
}

/// Removes, adds and refreshes the entries of `pool` to match `endpoints`.
fn sync_pool(pool: &Pool<Slot>, endpoints: &[Endpoint]) -> Result<(), PoolError> {
    for entry in pool.entries() {
        if !endpoints.iter().any(|e| e.id() == entry.id()) {
            pool.remove(entry.id());
        }
    }
    for endpoint in endpoints {
        match pool.get(endpoint.id()) {
            Some(entry) if same_shape(&entry, endpoint) => {
                entry.address().replace(endpoint.clone());
            }
            Some(_) => {
                pool.remove(endpoint.id());
                pool.add(pool_endpoint(endpoint))?;
            }
            None => {
                pool.add(pool_endpoint(endpoint))?;
            }
        }
    }
    Ok(())
}

/// Whether `entry` was made for an endpoint with `endpoint`'s weight and
/// tags.
fn same_shape(entry: &EndpointEntry<Slot>, endpoint: &Endpoint) -> bool {
    let tags = entry.tags();
    entry.weight() == f64::from(endpoint.weight())
        && tags.len() == endpoint.tags().len()
        && endpoint
            .tags()
            .iter()
            .all(|(k, v)| tags.get(k) == Some(v.as_str()))
}

/// The engine's view of a gateway endpoint.
fn pool_endpoint(endpoint: &Endpoint) -> staunch::pool::Endpoint<Slot> {
    endpoint.tags().iter().fold(
        staunch::pool::Endpoint::new(endpoint.id(), Slot::new(endpoint.clone()))
            .with_weight(f64::from(endpoint.weight())),
        |e, (k, v)| e.with_tag(k.as_str(), v.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use staunch::clock::ManualClock;

    use super::*;
    use crate::client::direct_client;
    use crate::config::BackendBase;

    fn backend(id: &str, port: u16, weight: u32) -> Endpoint {
        Endpoint::backend(
            id.to_string(),
            weight,
            BTreeMap::new(),
            BackendBase {
                authority: format!("127.0.0.1:{port}").parse().unwrap(),
                path: String::new(),
            },
            direct_client(Duration::from_secs(1)),
            Duration::from_secs(1),
        )
    }

    fn ids(pool: &Pool<Slot>) -> Vec<String> {
        pool.entries().iter().map(|e| e.id().to_string()).collect()
    }

    #[test]
    fn sync_keeps_the_statistics_of_ids_that_stay() {
        let pools = Pools::new(Arc::new(ManualClock::new()));
        let pool = pools
            .sync("route /", &[backend("a", 1, 1), backend("b", 2, 1)])
            .unwrap();
        pool.get("a").unwrap().begin().failure(&"refused");
        let kept = pool.get("a").unwrap();

        // `a` moves to another port, `b` goes, `c` comes.
        let again = pools
            .sync("route /", &[backend("a", 9, 1), backend("c", 3, 1)])
            .unwrap();
        assert!(Arc::ptr_eq(&pool, &again), "the same pool");
        assert_eq!(ids(&again), ["a", "c"]);
        let a = again.get("a").unwrap();
        assert!(Arc::ptr_eq(&a, &kept), "the same entry");
        assert_eq!(a.stats().total_failures(), 1);
        assert_eq!(
            a.address().endpoint().address().unwrap().as_str(),
            "127.0.0.1:9",
            "the new endpoint is in the slot"
        );
    }

    #[test]
    fn a_changed_weight_gets_a_fresh_entry() {
        let pools = Pools::new(Arc::new(ManualClock::new()));
        let pool = pools.sync("forward", &[backend("a", 1, 1)]).unwrap();
        let old = pool.get("a").unwrap();
        pools.sync("forward", &[backend("a", 1, 5)]).unwrap();
        let new = pool.get("a").unwrap();
        assert!(!Arc::ptr_eq(&old, &new));
        assert_eq!(new.weight(), 5.0);
    }

    #[test]
    fn retain_drops_pools_of_removed_routes() {
        let pools = Pools::new(Arc::new(ManualClock::new()));
        pools.sync("route /a", &[backend("a", 1, 1)]).unwrap();
        pools.sync("route /b", &[backend("b", 2, 1)]).unwrap();
        pools.retain(&HashSet::from(["route /b"]));
        assert!(pools.get("route /a").is_none());
        assert!(pools.get("route /b").is_some());
    }
}
