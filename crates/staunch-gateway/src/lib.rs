//! # staunch-gateway
//!
//! The `staunch` binary's library: a local HTTP/1.1 proxy that gives any
//! program retries, failover and (with the engine) circuit breakers by
//! pointing `HTTP_PROXY` or a base URL at it.
//!
//! A request arrives on the proxy listener in one of three forms. An
//! absolute-form request (`curl -x`) is forwarded to its target, directly or
//! through a pool of upstream proxies; a `CONNECT` opens a tunnel whose
//! connect step fails over the same way; an origin-form request goes to the
//! reverse-proxy route with the longest matching path prefix. Each route,
//! and the forward path, is an [`upstream::Upstream`]: a pool of
//! [`Endpoint`]s under the engine's failover executor (selection strategy,
//! a circuit breaker per endpoint, retry budget, metrics). Each request
//! becomes an [`attempt::Attempt`] that [`attempt::run_attempts`] runs over
//! its upstream under the live retry policy (backoff, `Retry-After`,
//! deadline, idempotency). Hop-by-hop and control headers are stripped,
//! `X-Forwarded-*` set, bodies within the replay limit buffered; responses
//! stream through with `X-Staunch-Attempts` and `X-Staunch-Endpoint`.
//!
//! The engine state ([`engine::Engine`]: a circuit breaker per endpoint, the
//! metrics store, the retry budget, the live retry policy) lives in the
//! [`GatewayState`] the proxy and the admin API share. The admin listener
//! ([`admin::AdminApi`]) serves JSON under `/api/v1`, Prometheus text at
//! `/metrics`, the OpenAPI document and a dashboard page.
//!
//! Both sides of the proxy speak HTTP/1.1 through the gateway's own lean
//! code rather than a general-purpose library: the proxy listener's server
//! and the upstream client read and write heads with `httparse` and one
//! buffer per message, a request runs on its client connection's task (no
//! task or channel per upstream connection), and bodies stream through.
//! Proxy connections are served on worker threads, one single-threaded
//! runtime per core: a client connection and the pooled upstream
//! connections its requests use stay on one thread. The accept loops, the
//! admin listener and signal handling run on the runtime that started the
//! gateway.
//!
//! The configuration ([`config::GatewayConfig`]) is swapped whole on reload
//! (SIGHUP, or [`GatewayHandle::reload`]), the engine state kept; shutdown
//! drains in-flight requests and tunnels for at most `drain_timeout`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), staunch_gateway::GatewayError> {
//! use staunch_gateway::config::{ConfigSource, GatewayConfig, RouteConfig};
//! use staunch_gateway::Gateway;
//!
//! let config = GatewayConfig::default()
//!     .with_listen("127.0.0.1:0")
//!     .with_admin_listen("127.0.0.1:0")
//!     .with_route(
//!         RouteConfig::new("/api")
//!             .with_backend("a", "http://127.0.0.1:9001")
//!             .with_backend("b", "http://127.0.0.1:9002"),
//!     );
//! let gateway = Gateway::start(ConfigSource::fixed(config)).await?;
//! // GET http://{proxy_addr}/api/users goes to a, or to b when a is down.
//! let _addr = gateway.proxy_addr();
//! gateway.handle().shutdown();
//! gateway.wait().await;
//! # Ok(()) }
//! ```

pub mod active;
pub mod admin;
mod answer;
pub mod attempt;
pub mod body;
pub mod cli;
pub mod client;
pub mod config;
pub mod control;
pub mod endpoint;
pub mod engine;
mod error;
mod h1;
pub mod headers;
mod proxy;
mod reply;
mod request;
pub mod routes;
mod secret;
mod server;
mod state;
pub mod upstream;

pub use active::ActiveConfig;
pub use cli::{check_config, Cli, Command, ServeArgs};
pub use endpoint::{Endpoint, EndpointKind};
pub use error::GatewayError;
pub use secret::{Secret, SecretUrl};
pub use server::{serve, DrainReport, Gateway, GatewayHandle};
pub use state::GatewayState;
