//! What an endpoint is: an id, an address, a weight and tags.

use std::fmt;
use std::sync::Arc;

use super::error::PoolError;

/// The weight an [`Endpoint`] gets unless [`Endpoint::with_weight`] says otherwise.
pub const DEFAULT_WEIGHT: f64 = 1.0;

/// One thing calls can be sent to: a backend, an upstream proxy, a provider.
///
/// The address `A` is the caller's payload (a URL, a proxy configuration, a
/// client handle); the pool never looks inside it. The id names the endpoint
/// in errors, statistics, breakers and metrics, and must be unique in a pool.
///
/// ```
/// use staunch::pool::Endpoint;
///
/// let proxy = Endpoint::new("proxy-eu-1", "http://10.0.0.1:3128")
///     .with_weight(2.0)
///     .with_tag("region", "eu-west");
/// assert_eq!(proxy.id(), "proxy-eu-1");
/// assert_eq!(proxy.tag("region"), Some("eu-west"));
/// ```
#[derive(Debug, Clone)]
pub struct Endpoint<A> {
    id: Arc<str>,
    address: A,
    weight: f64,
    tags: Tags,
}

impl<A> Endpoint<A> {
    /// An endpoint with weight [`DEFAULT_WEIGHT`] and no tags.
    pub fn new(id: impl Into<Arc<str>>, address: A) -> Self {
        Self {
            id: id.into(),
            address,
            weight: DEFAULT_WEIGHT,
            tags: Tags::new(),
        }
    }

    /// Sets the weight used by weighted selection. It must be finite and
    /// greater than 0; a pool refuses the endpoint otherwise (see
    /// [`Endpoint::validate`]).
    #[must_use]
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Adds a tag (replacing an earlier value for the same key).
    #[must_use]
    pub fn with_tag(mut self, key: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        self.tags.insert(key, value);
        self
    }

    /// The endpoint's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The endpoint's id as the shared string the pool stores (cheap to clone).
    pub fn shared_id(&self) -> &Arc<str> {
        &self.id
    }

    /// The caller's address payload.
    pub fn address(&self) -> &A {
        &self.address
    }

    /// The weight used by weighted selection.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// All tags.
    pub fn tags(&self) -> &Tags {
        &self.tags
    }

    /// The value of one tag.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key)
    }

    /// Checks the id (not empty) and the weight (finite, greater than 0).
    ///
    /// Pools call this on every endpoint they are given.
    pub fn validate(&self) -> Result<(), PoolError> {
        if self.id.is_empty() {
            return Err(PoolError::invalid_id());
        }
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(PoolError::invalid_weight(&self.id, self.weight));
        }
        Ok(())
    }
}

/// A small map of tags (`region = "eu-west"`), kept sorted by key.
///
/// Endpoints carry a handful of tags at most, so a sorted vector beats a hash
/// map here.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tags {
    items: Vec<(Arc<str>, Arc<str>)>,
}

impl Tags {
    /// No tags.
    pub const fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(
        &mut self,
        key: impl Into<Arc<str>>,
        value: impl Into<Arc<str>>,
    ) -> Option<Arc<str>> {
        let key = key.into();
        let value = value.into();
        match self.items.binary_search_by(|(k, _)| (**k).cmp(&*key)) {
            Ok(pos) => Some(std::mem::replace(&mut self.items[pos].1, value)),
            Err(pos) => {
                self.items.insert(pos, (key, value));
                None
            }
        }
    }

    /// The value for `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// How many tags there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The tags in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.items.iter().map(|(k, v)| (&**k, &**v))
    }
}

impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<Arc<str>>, V: Into<Arc<str>>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut tags = Self::new();
        for (k, v) in iter {
            tags.insert(k, v);
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_insert_replaces_and_stays_sorted() {
        let mut tags: Tags = [("zone", "b"), ("region", "eu")].into_iter().collect();
        assert_eq!(tags.insert("zone", "c").as_deref(), Some("b"));
        let keys: Vec<_> = tags.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["region", "zone"]);
        assert_eq!(tags.get("zone"), Some("c"));
        assert_eq!(tags.get("rack"), None);
    }
}
