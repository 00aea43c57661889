//! The admin API's paths, and the methods each allows.
//!
//! | path | methods |
//! | --- | --- |
//! | `/` | GET (dashboard) |
//! | `/openapi.yaml` | GET |
//! | `/metrics` | GET (Prometheus text) |
//! | `/healthz`, `/api/v1/healthz` | GET |
//! | `/readyz`, `/api/v1/readyz` | GET |
//! | `/api/v1/retry/policy` | GET, PUT |
//! | `/api/v1/circuit-breakers` | GET |
//! | `/api/v1/circuit-breakers/metrics?hours=N` | GET |
//! | `/api/v1/circuit-breakers/{id}` | GET |
//! | `/api/v1/circuit-breakers/{id}/reset` | POST |
//! | `/api/v1/circuit-breakers/{id}/isolate` | POST |
//! | `/api/v1/metrics/retries` | GET |
//! | `/api/v1/metrics/retries/timeseries?hours=N` | GET |
//! | `/api/v1/metrics/retries/by-proxy?hours=N` | GET |
//!
//! Every GET also answers HEAD. An endpoint whose id is `metrics` is reached
//! for reset and isolate as usual, but `GET /api/v1/circuit-breakers/metrics`
//! is the event list.

use http::Method;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource<'a> {
    Dashboard,
    OpenApi,
    Prometheus,
    Healthz,
    Readyz,
    Policy,
    Breakers,
    BreakerEvents,
    Breaker(&'a str),
    Reset(&'a str),
    Isolate(&'a str),
    Retries,
    Timeseries,
    ByProxy,
}

const GET: &str = "GET, HEAD";
const GET_PUT: &str = "GET, HEAD, PUT";
const POST: &str = "POST";

impl<'a> Resource<'a> {
    /// The resource at `path`, if any.
    pub(crate) fn find(path: &'a str) -> Option<Self> {
        let found = match path {
            "/" => Self::Dashboard,
            "/openapi.yaml" => Self::OpenApi,
            "/metrics" => Self::Prometheus,
            "/healthz" | "/api/v1/healthz" => Self::Healthz,
            "/readyz" | "/api/v1/readyz" => Self::Readyz,
            "/api/v1/retry/policy" => Self::Policy,
            "/api/v1/circuit-breakers" => Self::Breakers,
            "/api/v1/circuit-breakers/metrics" => Self::BreakerEvents,
            "/api/v1/metrics/retries" => Self::Retries,
            "/api/v1/metrics/retries/timeseries" => Self::Timeseries,
            "/api/v1/metrics/retries/by-proxy" => Self::ByProxy,
            _ => {
                let rest = path.strip_prefix("/api/v1/circuit-breakers/")?;
                let mut parts = rest.split('/');
                let id = parts.next().filter(|id| !id.is_empty())?;
                match (parts.next(), parts.next()) {
                    (None, _) => Self::Breaker(id),
                    (Some("reset"), None) => Self::Reset(id),
                    (Some("isolate"), None) => Self::Isolate(id),
                    _ => return None,
                }
            }
        };
        Some(found)
    }

    /// The methods it answers, as an `Allow` header says them.
    pub(crate) fn allowed(self) -> &'static str {
        match self {
            Self::Policy => GET_PUT,
            Self::Reset(_) | Self::Isolate(_) => POST,
            _ => GET,
        }
    }

    /// Whether it answers `method`.
    pub(crate) fn allows(self, method: &Method) -> bool {
        match self.allowed() {
            POST => method == Method::POST,
            GET_PUT => matches!(*method, Method::GET | Method::HEAD | Method::PUT),
            _ => matches!(*method, Method::GET | Method::HEAD),
        }
    }
}

/// Whether `method` only reads.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_resources() {
        use Resource::*;
        for (path, want) in [
            ("/", Some(Dashboard)),
            ("/api/v1/circuit-breakers", Some(Breakers)),
            ("/api/v1/circuit-breakers/metrics", Some(BreakerEvents)),
            ("/api/v1/circuit-breakers/api-1", Some(Breaker("api-1"))),
            ("/api/v1/circuit-breakers/api-1/reset", Some(Reset("api-1"))),
            (
                "/api/v1/circuit-breakers/metrics/isolate",
                Some(Isolate("metrics")),
            ),
            ("/api/v1/circuit-breakers/", None),
            ("/api/v1/circuit-breakers/a/reset/x", None),
            ("/api/v1/circuit-breakers/a/open", None),
            ("/api/v1/retry/policy/", None),
            ("/api/v2/retry/policy", None),
        ] {
            assert_eq!(Resource::find(path), want, "{path}");
        }
    }

    #[test]
    fn methods_follow_the_table() {
        let policy = Resource::Policy;
        assert!(policy.allows(&Method::PUT) && policy.allows(&Method::GET));
        assert!(!policy.allows(&Method::POST));
        let reset = Resource::Reset("a");
        assert!(reset.allows(&Method::POST) && !reset.allows(&Method::GET));
        assert!(!Resource::Breakers.allows(&Method::DELETE));
        assert!(Resource::Breakers.allows(&Method::HEAD));
    }
}
