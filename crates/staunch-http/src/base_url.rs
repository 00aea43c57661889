//! [`BaseUrl`]: the address of one endpoint of a pool of base URLs.

use std::fmt;
use std::str::FromStr;

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use staunch::config::ConfigError;

/// What a base URL may be, for error messages.
const ALLOWED: &str = "an absolute http:// or https:// URL with a host, optionally a port and a \
                       path, without credentials, query or fragment";

/// A base URL that requests are sent under: scheme, host, optional port and
/// optional path prefix, the address of one endpoint of a
/// [`Pool`](staunch::pool::Pool) given to
/// [`HttpPolicyBuilder::with_pool`](crate::HttpPolicyBuilder::with_pool).
///
/// A trailing `/` of the path is dropped: `http://a:8080/api/` and
/// `http://a:8080/api` are the same base, under which the request path
/// `/items` becomes `/api/items`.
///
/// ```
/// use staunch_http::BaseUrl;
///
/// let base = BaseUrl::parse("https://eu.api.test:8443/v2/")?;
/// assert_eq!(base.scheme(), "https");
/// assert_eq!(base.host(), "eu.api.test");
/// assert_eq!(base.port(), Some(8443));
/// assert_eq!(base.path(), "/v2");
/// assert_eq!(base.to_string(), "https://eu.api.test:8443/v2");
///
/// let err = BaseUrl::parse("ftp://files.test").unwrap_err();
/// assert_eq!(err.field(), Some("base_url"));
/// # Ok::<(), staunch::config::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// The path prefix without its trailing `/`: empty, or `/...`.
    path: String,
    /// `authority` as a `Host` header.
    host_header: HeaderValue,
}

impl BaseUrl {
    /// Parses `url`; refuses anything but an absolute `http` or `https`
    /// URL with a host, naming the field `base_url`, the value and what is
    /// allowed.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::invalid("base_url", format!("{url:?}"), ALLOWED);
        if url.contains('#') {
            return Err(invalid());
        }
        let uri: Uri = url.parse().map_err(|_| invalid())?;
        let parts = uri.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(invalid());
        };
        let web = scheme == Scheme::HTTP || scheme == Scheme::HTTPS;
        if !web || authority.host().is_empty() || authority.as_str().contains('@') {
            return Err(invalid());
        }
        // A port that is written must be a number from 0 to 65535.
        let port_written = authority.as_str().len() > authority.host().len();
        if port_written && authority.port_u16().is_none() {
            return Err(invalid());
        }
        let path = match &parts.path_and_query {
            Some(pq) if pq.query().is_some() => return Err(invalid()),
            Some(pq) => pq.path().trim_end_matches('/').to_owned(),
            None => String::new(),
        };
        let host_header = HeaderValue::from_str(authority.as_str()).map_err(|_| invalid())?;
        Ok(Self {
            scheme,
            authority,
            path,
            host_header,
        })
    }

    /// The scheme: `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.scheme.as_str()
    }

    /// The host (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// The port, if the URL names one.
    pub fn port(&self) -> Option<u16> {
        self.authority.port_u16()
    }

    /// The port, or the scheme's default (80 or 443).
    pub fn port_or_default(&self) -> u16 {
        self.port().unwrap_or(if self.scheme == Scheme::HTTPS {
            443
        } else {
            80
        })
    }

    /// `host` or `host:port`, as written.
    pub fn authority(&self) -> &str {
        self.authority.as_str()
    }

    /// The path prefix, without a trailing `/` (empty when there is none).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether a request to `scheme://host:port` (the port filled in with
    /// the scheme's default) goes to this base's origin.
    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) fn same_origin(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.scheme.as_str().eq_ignore_ascii_case(scheme)
            && self.host().eq_ignore_ascii_case(host)
            && port == Some(self.port_or_default())
    }

    /// `path` with this base's prefix taken off, if it starts with it (at a
    /// segment boundary).
    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) fn strip<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.path.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }

    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn scheme_part(&self) -> &Scheme {
        &self.scheme
    }

    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn authority_part(&self) -> &Authority {
        &self.authority
    }

    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) fn host_header(&self) -> &HeaderValue {
        &self.host_header
    }
}

impl FromStr for BaseUrl {
    type Err = ConfigError;

    fn from_str(url: &str) -> Result<Self, ConfigError> {
        Self::parse(url)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_of_the_path_is_dropped() {
        for url in ["http://a.test/api/", "http://a.test/api"] {
            assert_eq!(BaseUrl::parse(url).unwrap().path(), "/api");
        }
        for url in ["http://a.test/", "http://a.test"] {
            assert_eq!(BaseUrl::parse(url).unwrap().path(), "");
        }
    }

    #[test]
    fn default_port_comes_from_the_scheme() {
        assert_eq!(BaseUrl::parse("http://a").unwrap().port_or_default(), 80);
        assert_eq!(BaseUrl::parse("https://a").unwrap().port_or_default(), 443);
        let ipv6 = BaseUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!((ipv6.host(), ipv6.port()), ("[::1]", Some(8080)));
    }

    #[test]
    fn bad_base_urls_are_refused_with_the_field_the_value_and_what_is_allowed() {
        for url in [
            "",
            "/relative/path",
            "api.test:80",
            "ftp://files.test",
            "http://user:secret@api.test",
            "http://api.test/x?q=1",
            "http://api.test/x#frag",
            "http://api.test:",
            "http://api.test:99999",
            "http://exa mple.test",
        ] {
            let err = BaseUrl::parse(url).expect_err(url);
            assert_eq!(err.field(), Some("base_url"), "{url}");
            let text = err.to_string();
            assert!(text.contains(&format!("{url:?}")), "{text}");
            assert!(text.contains("http:// or https://"), "{text}");
        }
    }

    #[test]
    fn strip_takes_the_prefix_off_at_a_segment_boundary_only() {
        let base = BaseUrl::parse("http://a/api").unwrap();
        assert_eq!(base.strip("/api/items"), Some("/items"));
        assert_eq!(base.strip("/api"), Some(""));
        assert_eq!(base.strip("/apix/items"), None);
        let root = BaseUrl::parse("http://a").unwrap();
        assert_eq!(root.strip("/items"), Some("/items"));
    }

    #[test]
    fn same_origin_compares_scheme_host_and_effective_port() {
        let base = BaseUrl::parse("http://API.test").unwrap();
        assert!(base.same_origin("http", "api.test", Some(80)));
        assert!(!base.same_origin("https", "api.test", Some(80)));
        assert!(!base.same_origin("http", "api.test", Some(8080)));
    }
}
