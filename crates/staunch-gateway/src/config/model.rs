//! The gateway's serde model: `[gateway]`, `[admin]`, `[[routes]]` and
//! `[upstream_proxies]`.
//!
//! Values are kept as written (addresses and URLs as strings) so that
//! [`GatewayConfig::validate`](super::GatewayConfig::validate) can refuse them
//! with the exact field path (`routes[1].backends[0].url`), and so that
//! `check-config` prints back what the user wrote, credentials masked.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use staunch::config::serde_duration;
use staunch::pool::{StrategyKind, DEFAULT_AFFINITY_TAG};

use super::ByteSize;
use crate::secret::{Secret, SecretUrl};

/// `[gateway]`: listeners and limits of the proxy itself.
///
/// Defaults: `listen = "127.0.0.1:8080"`, `admin_listen = "127.0.0.1:9090"`,
/// `drain_timeout = "30s"`, `max_replay_body = "1MiB"`,
/// `connect_timeout = "5s"`, `retry_status_codes = [429, 500, 502, 503, 504]`,
/// `failover_delay = 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewaySettings {
    /// Where the proxy listens (`ip:port`).
    pub listen: String,
    /// Where the admin API listens (`ip:port`).
    pub admin_listen: String,
    /// How long a shutdown waits for in-flight requests and tunnels.
    #[serde(with = "serde_duration")]
    pub drain_timeout: Duration,
    /// Request bodies up to this size are buffered so an attempt can be
    /// replayed; larger ones stream once and are never retried.
    pub max_replay_body: ByteSize,
    /// Limit on each TCP connect to a backend, an upstream proxy or a target.
    #[serde(with = "serde_duration")]
    pub connect_timeout: Duration,
    /// Answers worth another attempt elsewhere (400 to 599). Other answers
    /// are passed to the client as they are. Connect errors, resets and
    /// timeouts are always worth another attempt.
    pub retry_status_codes: Vec<u16>,
    /// The wait before a retry that goes to an endpoint of the pool not yet
    /// tried by the request, instead of the `[retry]` backoff (a retry that
    /// must go back to an endpoint already tried waits the backoff).
    #[serde(with = "serde_duration")]
    pub failover_delay: Duration,
}

impl GatewaySettings {
    /// Default proxy listener.
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    /// Default admin listener.
    pub const DEFAULT_ADMIN_LISTEN: &'static str = "127.0.0.1:9090";
    /// Default drain timeout: 30 s.
    pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default replay limit: 1 MiB.
    pub const DEFAULT_MAX_REPLAY_BODY: ByteSize = ByteSize(1024 * 1024);
    /// Default connect timeout: 5 s.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default answers worth another attempt: 429, 500, 502, 503, 504.
    pub const DEFAULT_RETRY_STATUS_CODES: [u16; 5] = [429, 500, 502, 503, 504];
    /// Default failover delay: 0 (a retry on an untried endpoint starts at
    /// once).
    pub const DEFAULT_FAILOVER_DELAY: Duration = Duration::ZERO;
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            listen: Self::DEFAULT_LISTEN.to_string(),
            admin_listen: Self::DEFAULT_ADMIN_LISTEN.to_string(),
            drain_timeout: Self::DEFAULT_DRAIN_TIMEOUT,
            max_replay_body: Self::DEFAULT_MAX_REPLAY_BODY,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            retry_status_codes: Self::DEFAULT_RETRY_STATUS_CODES.to_vec(),
            failover_delay: Self::DEFAULT_FAILOVER_DELAY,
        }
    }
}

/// `[admin]`: the admin API's access control.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Bearer token for the admin API. Required when `admin_listen` is not a
    /// loopback address. Never printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
}

/// How a pool picks the endpoint for an attempt: the engine's strategies
/// ([`StrategyKind`]), by their gateway names.
///
/// Whatever the strategy, an endpoint whose circuit breaker is open is
/// skipped, and a retry goes to an endpoint the request has not tried yet
/// while there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Each endpoint in turn.
    RoundRobin,
    /// Uniformly at random.
    Random,
    /// At random, in proportion to `weight`.
    Weighted,
    /// The endpoint with the fewest requests in flight.
    LeastInFlight,
    /// The better of two random endpoints by EWMA latency.
    PowerOfTwoChoices,
    /// Highest `0.7 * success_ratio + 0.3 * (1 - latency / max_latency)`.
    PerformanceScore,
    /// Prefer endpoints sharing the failed endpoint's `region` tag
    /// (performance score within and across regions).
    RegionAffinity,
}

impl Strategy {
    /// The engine's strategy of this name.
    ///
    /// ```
    /// use staunch::pool::StrategyKind;
    /// use staunch_gateway::config::Strategy;
    /// assert_eq!(Strategy::PowerOfTwoChoices.kind(), StrategyKind::P2c);
    /// ```
    pub fn kind(self) -> StrategyKind {
        match self {
            Self::RoundRobin => StrategyKind::RoundRobin,
            Self::Random => StrategyKind::Random,
            Self::Weighted => StrategyKind::Weighted,
            Self::LeastInFlight => StrategyKind::LeastInFlight,
            Self::PowerOfTwoChoices => StrategyKind::P2c,
            Self::PerformanceScore => StrategyKind::Performance,
            Self::RegionAffinity => {
                StrategyKind::region_affinity(DEFAULT_AFFINITY_TAG, StrategyKind::Performance)
            }
        }
    }
}

/// One `[[routes]]` entry: requests whose path starts with `prefix` (and,
/// when set, whose `Host` is `host`) go to `backends`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Path prefix, starting with `/`. Matches whole segments: `/api`
    /// matches `/api` and `/api/x`, not `/apix`.
    pub prefix: String,
    /// Optional host name the request's `Host` must equal (port ignored,
    /// case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Backend selection. Default `round-robin`.
    #[serde(default = "RouteConfig::default_strategy")]
    pub strategy: Strategy,
    /// The pool, in failover order.
    pub backends: Vec<EndpointConfig>,
}

impl RouteConfig {
    /// Default route strategy: round-robin.
    pub const DEFAULT_STRATEGY: Strategy = Strategy::RoundRobin;

    fn default_strategy() -> Strategy {
        Self::DEFAULT_STRATEGY
    }
}

/// A backend of a route.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Unique id across every route and proxy: it names the endpoint in
    /// `X-Staunch-Endpoint`, logs and metrics.
    pub id: String,
    /// `http://host[:port][/base-path]`; the request path is appended to the
    /// base path.
    pub url: String,
    /// Relative weight for weighted strategies. Default 1.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Free-form labels such as `region = "us-east"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `[upstream_proxies]`: a pool of HTTP proxies that forward-proxy traffic
/// (absolute-form requests and CONNECT tunnels) goes through. Empty means
/// "connect directly".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamProxiesConfig {
    /// Proxy selection. Default `performance-score`.
    pub strategy: Strategy,
    /// The pool, in failover order.
    pub proxies: Vec<ProxyConfig>,
}

impl UpstreamProxiesConfig {
    /// Default proxy strategy: performance score.
    pub const DEFAULT_STRATEGY: Strategy = Strategy::PerformanceScore;
}

impl Default for UpstreamProxiesConfig {
    fn default() -> Self {
        Self {
            strategy: Self::DEFAULT_STRATEGY,
            proxies: Vec::new(),
        }
    }
}

/// One upstream HTTP proxy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Unique id across every route and proxy.
    pub id: String,
    /// `http://[user:pass@]host:port`. The password is never shown.
    pub url: SecretUrl,
    /// Relative weight for weighted strategies. Default 1.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Free-form labels such as `region = "eu"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Default endpoint weight.
pub const DEFAULT_WEIGHT: u32 = 1;

fn default_weight() -> u32 {
    DEFAULT_WEIGHT
}
