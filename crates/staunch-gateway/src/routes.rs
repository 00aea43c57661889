//! Reverse-proxy routes: longest path prefix, optional host.

use crate::config::Strategy;
use crate::endpoint::Endpoint;
use crate::upstream::Upstream;

/// A route: requests under `prefix` (for `host`, when set) go to its
/// upstream's backends.
#[derive(Debug)]
pub struct Route {
    prefix: String,
    host: Option<String>,
    upstream: Upstream,
}

impl Route {
    /// A route; `prefix` has no trailing slash unless it is `/`, `host` is
    /// lower-case.
    pub(crate) fn new(prefix: String, host: Option<String>, upstream: Upstream) -> Self {
        Self {
            prefix,
            host,
            upstream,
        }
    }

    /// The name of a route's upstream: `route {host}{prefix}`.
    pub(crate) fn upstream_name(prefix: &str, host: Option<&str>) -> String {
        format!("route {}{prefix}", host.unwrap_or(""))
    }

    /// The path prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The host the route is restricted to.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The configured strategy.
    pub fn strategy(&self) -> Strategy {
        self.upstream.strategy()
    }

    /// The backends, in configured order.
    pub fn backends(&self) -> &[Endpoint] {
        self.upstream.endpoints()
    }

    /// The backends' pool and failover executor.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Whether `path` is under the prefix, on a segment boundary.
    fn matches_path(&self, path: &str) -> bool {
        if self.prefix == "/" {
            return true;
        }
        match path.strip_prefix(self.prefix.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    fn matches_host(&self, host: Option<&str>) -> bool {
        match (&self.host, host) {
            (None, _) => true,
            (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
            (Some(_), None) => false,
        }
    }
}

/// Every route, ordered so that the first match is the best one.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Orders `routes` by prefix length (longest first), host-specific routes
    /// before host-less ones of the same length.
    pub(crate) fn new(mut routes: Vec<Route>) -> Self {
        routes.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then_with(|| b.host.is_some().cmp(&a.host.is_some()))
        });
        Self { routes }
    }

    /// The route for a request to `host` (without port) and `path`.
    pub fn find(&self, host: Option<&str>, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.matches_host(host) && r.matches_path(path))
    }

    /// Every route, best-match order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GatewayConfig;
    use crate::engine::Engine;

    fn route(prefix: &str, host: Option<&str>) -> Route {
        let engine = Engine::new(&GatewayConfig::default()).unwrap();
        let upstream = Upstream::builder(Route::upstream_name(prefix, host), Vec::new())
            .with_strategy(Strategy::RoundRobin)
            .build(&engine)
            .unwrap();
        Route::new(prefix.into(), host.map(Into::into), upstream)
    }

    fn table() -> RouteTable {
        RouteTable::new(vec![
            route("/", None),
            route("/api", None),
            route("/api/v2", None),
            route("/api", Some("example.com")),
        ])
    }

    fn found(t: &RouteTable, host: Option<&str>, path: &str) -> (String, Option<String>) {
        let r = t.find(host, path).unwrap();
        (r.prefix().to_string(), r.host().map(Into::into))
    }

    #[test]
    fn longest_prefix_wins() {
        let t = table();
        assert_eq!(found(&t, None, "/api/v2/users").0, "/api/v2");
        assert_eq!(found(&t, None, "/api/v1/users").0, "/api");
        assert_eq!(found(&t, None, "/other").0, "/");
    }

    #[test]
    fn prefix_matches_whole_segments_only() {
        let t = table();
        assert_eq!(found(&t, None, "/apix").0, "/");
        assert_eq!(found(&t, None, "/api").0, "/api");
        assert_eq!(found(&t, None, "/api/").0, "/api");
    }

    #[test]
    fn host_specific_route_beats_hostless_of_same_prefix() {
        let t = table();
        assert_eq!(
            found(&t, Some("EXAMPLE.com"), "/api/x"),
            ("/api".into(), Some("example.com".into()))
        );
        assert_eq!(
            found(&t, Some("other.org"), "/api/x"),
            ("/api".into(), None)
        );
    }

    #[test]
    fn no_route_without_a_match() {
        let t = RouteTable::new(vec![route("/api", Some("a.com"))]);
        assert!(t.find(Some("b.com"), "/api").is_none());
        assert!(t.find(None, "/api").is_none());
        assert!(t.find(Some("a.com"), "/web").is_none());
    }
}
