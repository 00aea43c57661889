//! [`Host`]: what a call needs to know about the host it goes to, its
//! `scheme://host:port` key and its breaker, found through a per-thread
//! cache of the last host.

use std::cell::RefCell;
use std::sync::Arc;

use staunch::breaker::{Breaker, BreakerRegistry, Generation, WeakBreaker};

/// A call's host: its key (for metrics) and its breaker, each when asked.
#[derive(Debug, Default)]
pub(crate) struct Host {
    /// `scheme://host:port`.
    pub(crate) key: Option<Arc<str>>,
    /// The host's breaker.
    pub(crate) breaker: Option<Breaker>,
}

/// What [`Host`] to find: the registry its breaker comes from, and whether
/// its key is wanted. Given to the integration, which knows where a request
/// says its host is.
#[derive(Clone, Copy)]
pub(crate) struct HostLookup<'r> {
    pub(crate) registry: Option<&'r BreakerRegistry<String>>,
    pub(crate) want_key: bool,
}

/// The last host a call on this thread went to. A client mostly calls the
/// same few hosts, so most calls find theirs here: no key is formatted or
/// allocated and the registry is not searched; they share its key and
/// clone its breaker.
///
/// The breaker is held weakly: the cache never keeps a dropped client's
/// breakers (and their observers, such as its metrics sink) alive.
struct LastHost {
    /// `scheme://host[:port]`.
    key: Arc<str>,
    /// Where the host ends in `key`; the scheme is `key[..scheme_len]`.
    scheme_len: usize,
    host_end: usize,
    /// The port, with the scheme's default filled in.
    port: Option<u16>,
    /// `key`'s breaker in the registry whose generation this is.
    breaker: Option<(Generation, WeakBreaker)>,
}

impl LastHost {
    fn new(scheme: &str, host: &str, port: Option<u16>) -> Self {
        // Only on a miss: the hit path compares parts and formats nothing.
        let mut key = format!("{scheme}://{host}");
        let host_end = key.len();
        if let Some(port) = port {
            key.push_str(&format!(":{port}"));
        }
        Self {
            key: key.into(),
            scheme_len: scheme.len(),
            host_end,
            port,
            breaker: None,
        }
    }

    /// Whether this is `scheme://host:port`: two string comparisons, no
    /// formatting.
    #[inline]
    fn is(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let key = self.key.as_bytes();
        self.port == port
            && self.scheme_len == scheme.len()
            && self.host_end - self.scheme_len - 3 == host.len()
            && key[..self.scheme_len] == *scheme.as_bytes()
            && key[self.scheme_len + 3..self.host_end] == *host.as_bytes()
    }
}

thread_local! {
    static LAST_HOST: RefCell<Option<LastHost>> = const { RefCell::new(None) };
}

impl HostLookup<'_> {
    /// The host `scheme://host:port`; `port` is filled in with the scheme's
    /// default.
    ///
    /// The cached host is compared by its parts, without formatting. Its
    /// breaker is used while its registry's [`Generation`] is the one it
    /// was looked up in: the same registry, no breaker replaced since.
    pub(crate) fn of(self, scheme: &str, host: &str, port: Option<u16>) -> Host {
        let port = port.or(match scheme {
            "http" | "ws" => Some(80),
            "https" | "wss" => Some(443),
            _ => None,
        });
        LAST_HOST
            .try_with(|last| {
                // Busy only if a lookup re-entered this one; gone while the
                // thread's storage is torn down. Either way: no cache.
                let mut last = last.try_borrow_mut().ok()?;
                let cached = match &mut *last {
                    Some(cached) if cached.is(scheme, host, port) => cached,
                    slot => slot.insert(LastHost::new(scheme, host, port)),
                };
                Some(self.resolve(cached))
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| self.resolve(&mut LastHost::new(scheme, host, port)))
    }

    /// The host of `cached`, whose breaker is refreshed when it is not the
    /// registry's current one.
    fn resolve(self, cached: &mut LastHost) -> Host {
        let breaker = self.registry.map(|registry| {
            let generation = registry.generation();
            let kept = match &cached.breaker {
                Some((seen, breaker)) if *seen == generation => breaker.upgrade(),
                _ => None,
            };
            kept.unwrap_or_else(|| {
                let breaker = registry.get(&*cached.key);
                cached.breaker = Some((generation, breaker.downgrade()));
                breaker
            })
        });
        Host {
            key: self.want_key.then(|| Arc::clone(&cached.key)),
            breaker,
        }
    }
}

#[cfg(test)]
mod tests {
    use staunch::breaker::{BreakerConfig, CircuitState};

    use super::*;

    const KEY_ONLY: HostLookup<'static> = HostLookup {
        registry: None,
        want_key: true,
    };

    fn key(scheme: &str, host: &str, port: Option<u16>) -> Arc<str> {
        KEY_ONLY.of(scheme, host, port).key.unwrap()
    }

    fn registry() -> BreakerRegistry<String> {
        BreakerRegistry::new(BreakerConfig::default()).unwrap()
    }

    /// The breaker the cache gives for `http://host:port` in `registry`.
    fn breaker_of(registry: &BreakerRegistry<String>, host: &str, port: u16) -> Breaker {
        let lookup = HostLookup {
            registry: Some(registry),
            want_key: false,
        };
        lookup.of("http", host, Some(port)).breaker.unwrap()
    }

    #[test]
    fn key_fills_in_the_scheme_default_port() {
        assert_eq!(&*key("http", "api.test", None), "http://api.test:80");
        assert_eq!(&*key("https", "api.test", None), "https://api.test:443");
        assert_eq!(&*key("http", "[::1]", Some(8080)), "http://[::1]:8080");
        assert_eq!(&*key("unix", "sock", None), "unix://sock");
        for port in [0, 7, 10, 99, 100, 65535] {
            assert_eq!(*key("http", "h", Some(port)), *format!("http://h:{port}"));
        }
    }

    #[test]
    fn same_key_in_a_row_is_shared_and_another_key_is_not() {
        let first = key("http", "a.test", Some(8080));
        let again = key("http", "a.test", Some(8080));
        assert!(Arc::ptr_eq(&first, &again));
        let other = key("http", "a.test", Some(8081));
        assert_eq!(&*other, "http://a.test:8081");
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(&*key("http", "a.test", Some(8080)), &*first);
    }

    #[test]
    fn key_is_not_mistaken_for_one_it_starts_with() {
        let long = key("http", "a.test", Some(80));
        assert_eq!(&*key("http", "a.tes", Some(80)), "http://a.tes:80");
        assert_eq!(&*key("http", "a.test", Some(8)), "http://a.test:8");
        assert_eq!(&*key("http", "a.test", Some(80)), &*long);
    }

    #[test]
    fn long_host_is_kept_whole() {
        let host = "h".repeat(300);
        assert_eq!(&*key("https", &host, None), format!("https://{host}:443"));
    }

    #[test]
    fn key_is_made_only_when_wanted() {
        let registry = registry();
        let lookup = HostLookup {
            registry: Some(&registry),
            want_key: false,
        };
        let host = lookup.of("http", "a.test", None);
        assert!(host.key.is_none());
        assert!(host.breaker.is_some());
        assert!(HostLookup {
            registry: None,
            want_key: false
        }
        .of("http", "a.test", None)
        .breaker
        .is_none());
    }

    #[test]
    fn breaker_is_the_registry_one_for_the_key() {
        let registry = registry();
        breaker_of(&registry, "a.test", 1).isolate();
        assert_eq!(
            registry.get("http://a.test:1").state(),
            CircuitState::Isolated
        );
        assert_eq!(
            breaker_of(&registry, "a.test", 1).state(),
            CircuitState::Isolated
        );
        assert_eq!(
            breaker_of(&registry, "b.test", 1).state(),
            CircuitState::Closed
        );
    }

    #[test]
    fn replaced_breaker_is_seen_at_once() {
        let registry = registry();
        breaker_of(&registry, "a.test", 2).isolate();
        registry
            .set_override("http://a.test:2".to_owned(), BreakerConfig::default())
            .unwrap();
        assert_eq!(
            breaker_of(&registry, "a.test", 2).state(),
            CircuitState::Closed
        );
    }

    #[test]
    fn cache_does_not_keep_a_dropped_registry_breaker_alive() {
        let registry = registry();
        let weak = breaker_of(&registry, "a.test", 4).downgrade();
        assert!(weak.upgrade().is_some(), "the registry holds it");
        drop(registry);
        assert!(weak.upgrade().is_none(), "the cache does not");
    }

    #[test]
    fn each_registry_has_its_own_breaker_for_the_same_host() {
        let (one, two) = (registry(), registry());
        breaker_of(&one, "a.test", 3).isolate();
        assert_eq!(breaker_of(&two, "a.test", 3).state(), CircuitState::Closed);
        assert_eq!(
            breaker_of(&one, "a.test", 3).state(),
            CircuitState::Isolated
        );
    }

    proptest::proptest! {
        /// Whatever the previous host was, the key is the formatted one.
        #[test]
        fn key_is_always_the_formatted_one(
            calls in proptest::collection::vec(
                ("https?", "[a-z.:\\[\\]0-9]{0,12}", proptest::option::of(proptest::num::u16::ANY)),
                1..12,
            )
        ) {
            for (scheme, host, port) in calls {
                let default = if scheme == "https" { 443 } else { 80 };
                let expected = format!("{scheme}://{host}:{}", port.unwrap_or(default));
                proptest::prop_assert_eq!(&*key(&scheme, &host, port), expected.as_str());
            }
        }
    }
}
