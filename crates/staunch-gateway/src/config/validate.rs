//! Validation: turns the serde model into checked, parsed values, refusing
//! the first bad one with its field path, its value and what is allowed.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use http::uri::Authority;
use http::HeaderValue;
use staunch::config::ConfigError;

use super::engine::check_engine_sections;
use super::url::{backend_url, proxy_url};
use super::{GatewayConfig, RouteConfig, Strategy};

const MAX_DRAIN: Duration = Duration::from_secs(3600);
const MIN_CONNECT: Duration = Duration::from_millis(1);
const MAX_CONNECT: Duration = Duration::from_secs(300);
const MAX_REPLAY_BODY: u64 = 64 * 1024 * 1024;
const MAX_WEIGHT: u32 = 10_000;
const MAX_FAILOVER_DELAY: Duration = Duration::from_secs(60);

/// A configuration whose every value was checked and parsed.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub(crate) listen: SocketAddr,
    pub(crate) admin_listen: SocketAddr,
    pub(crate) drain_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_replay_body: u64,
    pub(crate) failover_delay: Duration,
    pub(crate) routes: Vec<ValidRoute>,
    pub(crate) proxy_strategy: Strategy,
    pub(crate) proxies: Vec<ValidProxy>,
}

/// A checked route; `prefix` has no trailing slash unless it is `/`.
#[derive(Debug, Clone)]
pub(crate) struct ValidRoute {
    pub(crate) prefix: String,
    pub(crate) host: Option<String>,
    pub(crate) strategy: Strategy,
    pub(crate) backends: Vec<ValidBackend>,
}

/// A checked backend.
#[derive(Debug, Clone)]
pub(crate) struct ValidBackend {
    pub(crate) id: String,
    pub(crate) base: BackendBase,
    pub(crate) weight: u32,
    pub(crate) tags: BTreeMap<String, String>,
}

/// Where a backend lives: `http://authority` plus a base path (no trailing
/// slash, possibly empty) that request paths are appended to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackendBase {
    pub(crate) authority: Authority,
    pub(crate) path: String,
}

/// A checked upstream proxy. `authorization` is the ready
/// `Proxy-Authorization` value, marked sensitive.
#[derive(Clone)]
pub(crate) struct ValidProxy {
    pub(crate) id: String,
    pub(crate) authority: Authority,
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) weight: u32,
    pub(crate) tags: BTreeMap<String, String>,
}

impl std::fmt::Debug for ValidProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidProxy")
            .field("id", &self.id)
            .field("authority", &self.authority)
            .field("credentials", &self.authorization.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Validated {
    /// Checks `config`.
    pub(crate) fn check(config: &GatewayConfig) -> Result<Self, ConfigError> {
        let g = &config.gateway;
        let listen = socket_addr("gateway.listen", &g.listen)?;
        let admin_listen = socket_addr("gateway.admin_listen", &g.admin_listen)?;
        if g.drain_timeout > MAX_DRAIN {
            return Err(ConfigError::invalid(
                "gateway.drain_timeout",
                staunch::config::format_duration(g.drain_timeout),
                "0s to 1h",
            ));
        }
        if g.connect_timeout < MIN_CONNECT || g.connect_timeout > MAX_CONNECT {
            return Err(ConfigError::invalid(
                "gateway.connect_timeout",
                staunch::config::format_duration(g.connect_timeout),
                "1ms to 5m",
            ));
        }
        if g.max_replay_body.0 > MAX_REPLAY_BODY {
            return Err(ConfigError::invalid(
                "gateway.max_replay_body",
                g.max_replay_body,
                "0B to 64MiB",
            ));
        }
        if g.failover_delay > MAX_FAILOVER_DELAY {
            return Err(ConfigError::invalid(
                "gateway.failover_delay",
                staunch::config::format_duration(g.failover_delay),
                "0s to 1m",
            ));
        }
        match &config.admin.token {
            Some(token) if token.expose().trim().is_empty() => {
                return Err(ConfigError::invalid(
                    "admin.token",
                    "\"\"",
                    "a non-empty token",
                ));
            }
            None if !admin_listen.ip().is_loopback() => {
                return Err(ConfigError::invalid(
                    "admin.token",
                    "unset",
                    format!(
                        "a token whenever gateway.admin_listen ({admin_listen}) is not a loopback address"
                    ),
                ));
            }
            _ => {}
        }
        check_engine_sections(config)?;

        let mut ids = HashSet::new();
        let mut routes = Vec::with_capacity(config.routes.len());
        let mut seen_routes = HashSet::new();
        for (i, route) in config.routes.iter().enumerate() {
            let valid = check_route(i, route, &mut ids)?;
            if !seen_routes.insert((valid.prefix.clone(), valid.host.clone())) {
                return Err(ConfigError::invalid(
                    format!("routes[{i}].prefix"),
                    format!("{:?}", route.prefix),
                    "a prefix and host pair not used by an earlier route",
                ));
            }
            routes.push(valid);
        }
        let mut proxies = Vec::new();
        for (i, proxy) in config.upstream_proxies.proxies.iter().enumerate() {
            let field = format!("upstream_proxies.proxies[{i}]");
            check_id(&format!("{field}.id"), &proxy.id, &mut ids)?;
            let (authority, authorization) =
                proxy_url(&format!("{field}.url"), proxy.url.expose())?;
            proxies.push(ValidProxy {
                id: proxy.id.clone(),
                authority,
                authorization,
                weight: check_weight(&format!("{field}.weight"), proxy.weight)?,
                tags: check_tags(&format!("{field}.tags"), &proxy.tags)?,
            });
        }
        Ok(Self {
            listen,
            admin_listen,
            drain_timeout: g.drain_timeout,
            connect_timeout: g.connect_timeout,
            max_replay_body: g.max_replay_body.0,
            failover_delay: g.failover_delay,
            routes,
            proxy_strategy: config.upstream_proxies.strategy,
            proxies,
        })
    }
}

impl Validated {
    /// The id of every backend and upstream proxy: the endpoints with a
    /// circuit breaker.
    pub(crate) fn endpoint_ids(&self) -> impl Iterator<Item = &str> {
        self.routes
            .iter()
            .flat_map(|r| r.backends.iter().map(|b| b.id.as_str()))
            .chain(self.proxies.iter().map(|p| p.id.as_str()))
    }
}

/// Parses a listener address.
pub(crate) fn socket_addr(field: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| {
        ConfigError::invalid(
            field,
            format!("{text:?}"),
            "an IP address and port such as 127.0.0.1:8080 (port 0 picks a free port)",
        )
    })
}

fn check_route(
    i: usize,
    route: &RouteConfig,
    ids: &mut HashSet<String>,
) -> Result<ValidRoute, ConfigError> {
    let field = format!("routes[{i}]");
    let p = &route.prefix;
    if !p.starts_with('/') || p.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
        return Err(ConfigError::invalid(
            format!("{field}.prefix"),
            format!("{p:?}"),
            "a path starting with / without spaces, ? or #",
        ));
    }
    let prefix = match p.trim_end_matches('/') {
        "" => "/".to_string(),
        trimmed => trimmed.to_string(),
    };
    let host = match &route.host {
        None => None,
        Some(h) if is_host_name(h) => Some(h.to_ascii_lowercase()),
        Some(h) => {
            return Err(ConfigError::invalid(
                format!("{field}.host"),
                format!("{h:?}"),
                "a host name of letters, digits, dots and dashes, without port",
            ))
        }
    };
    if route.backends.is_empty() {
        return Err(ConfigError::invalid(
            format!("{field}.backends"),
            "[]",
            "at least one backend",
        ));
    }
    let mut backends = Vec::with_capacity(route.backends.len());
    for (j, b) in route.backends.iter().enumerate() {
        let bf = format!("{field}.backends[{j}]");
        check_id(&format!("{bf}.id"), &b.id, ids)?;
        backends.push(ValidBackend {
            id: b.id.clone(),
            base: backend_url(&format!("{bf}.url"), &b.url)?,
            weight: check_weight(&format!("{bf}.weight"), b.weight)?,
            tags: check_tags(&format!("{bf}.tags"), &b.tags)?,
        });
    }
    Ok(ValidRoute {
        prefix,
        host,
        strategy: route.strategy,
        backends,
    })
}

fn is_host_name(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn check_id(field: &str, id: &str, ids: &mut HashSet<String>) -> Result<(), ConfigError> {
    let well_formed = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !well_formed {
        return Err(ConfigError::invalid(
            field,
            format!("{id:?}"),
            "1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    if !ids.insert(id.to_string()) {
        return Err(ConfigError::invalid(
            field,
            format!("{id:?}"),
            "an id not used by another backend or proxy",
        ));
    }
    Ok(())
}

fn check_weight(field: &str, weight: u32) -> Result<u32, ConfigError> {
    if (1..=MAX_WEIGHT).contains(&weight) {
        Ok(weight)
    } else {
        Err(ConfigError::invalid(field, weight, "1 to 10000"))
    }
}

fn check_tags(
    field: &str,
    tags: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    if let Some(key) = tags.keys().find(|k| k.trim().is_empty()) {
        return Err(ConfigError::invalid(
            field,
            format!("{key:?}"),
            "non-empty tag names",
        ));
    }
    Ok(tags.clone())
}
