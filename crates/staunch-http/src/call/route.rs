//! [`Route`]: where a request goes under each base URL of a pool.

use staunch::pool::Pool;

use crate::BaseUrl;

/// A request's path and query relative to the pool, applied to the base
/// URL each attempt is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The path under the base: empty or `/...`.
    rest: String,
    query: Option<String>,
}

impl Route {
    /// The route of a request to `scheme://host:port` + `path` `?query`
    /// (`port` filled in with the scheme's default).
    ///
    /// A request to one of the pool's own bases (same origin, path under
    /// its prefix) is relative to that base, the longest prefix winning: a
    /// request built on the first base URL keeps working. Any other request
    /// (a placeholder host, an origin-form URI) keeps its whole path.
    pub(crate) fn new(
        pool: &Pool<BaseUrl>,
        scheme: &str,
        host: &str,
        port: Option<u16>,
        path: &str,
        query: Option<&str>,
    ) -> Self {
        let rest = pool.with_entries(|entries| {
            entries
                .iter()
                .map(|entry| entry.address())
                .filter(|base| base.same_origin(scheme, host, port))
                .filter_map(|base| base.strip(path))
                .min_by_key(|rest| rest.len())
                .unwrap_or(path)
                .to_owned()
        });
        Self {
            rest,
            query: query.map(str::to_owned),
        }
    }

    /// The path under `base`.
    pub(crate) fn path(&self, base: &BaseUrl) -> String {
        let mut path = String::with_capacity(base.path().len() + self.rest.len() + 1);
        path.push_str(base.path());
        path.push_str(&self.rest);
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// The query, if the request had one.
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The path and query under `base`, as in a URI.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn path_and_query(&self, base: &BaseUrl) -> String {
        let mut path = self.path(base);
        if let Some(query) = &self.query {
            path.push('?');
            path.push_str(query);
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use staunch::pool::Endpoint;

    fn pool(urls: &[&str]) -> Pool<BaseUrl> {
        Pool::new(
            urls.iter()
                .enumerate()
                .map(|(i, url)| Endpoint::new(format!("b{i}"), BaseUrl::parse(url).unwrap())),
        )
        .unwrap()
    }

    #[test]
    fn request_on_a_pool_base_is_relative_to_that_base() {
        let pool = pool(&["http://a.test:8080/api/v1", "http://b.test/v2"]);
        let route = Route::new(
            &pool,
            "http",
            "a.test",
            Some(8080),
            "/api/v1/items",
            Some("page=2"),
        );
        let b = BaseUrl::parse("http://b.test/v2").unwrap();
        assert_eq!(route.path(&b), "/v2/items");
        assert_eq!(route.path_and_query(&b), "/v2/items?page=2");
    }

    #[test]
    fn request_on_another_host_keeps_its_whole_path() {
        let pool = pool(&["http://a.test/api"]);
        let route = Route::new(&pool, "http", "pool", Some(80), "/items", None);
        let a = BaseUrl::parse("http://a.test/api").unwrap();
        assert_eq!(route.path(&a), "/api/items");
        // Same origin, but not under the prefix: the whole path is relative.
        let route = Route::new(&pool, "http", "a.test", Some(80), "/other", None);
        assert_eq!(route.path(&a), "/api/other");
    }

    #[test]
    fn longest_matching_prefix_wins() {
        let pool = pool(&["http://a.test", "http://a.test/api"]);
        let route = Route::new(&pool, "http", "a.test", Some(80), "/api/items", None);
        let root = BaseUrl::parse("http://b.test").unwrap();
        assert_eq!(route.path(&root), "/items");
    }

    #[test]
    fn empty_path_becomes_the_root() {
        let pool = pool(&["http://a.test"]);
        let route = Route::new(&pool, "http", "a.test", Some(80), "", None);
        assert_eq!(route.path(&BaseUrl::parse("http://c.test").unwrap()), "/");
    }
}
