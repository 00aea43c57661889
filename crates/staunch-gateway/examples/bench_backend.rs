//! A minimal, fast HTTP/1.1 backend for the gateway load benchmark
//! (`bench/gateway.sh`).
//!
//! Every request answers 200 with a small body, or, with probability
//! `--fail-rate`, 503. Whether the n-th request fails is decided by a
//! seeded hash of n, so a run of N requests always holds the same number of
//! failures and two runs are comparable; unlike a plain "every k-th fails"
//! pattern, a retry that lands on the same process is not guaranteed to
//! succeed.
//!
//! Every request is counted, except the two control paths:
//! `GET /__count` answers the count as plain text and `POST /__reset` sets
//! it to zero.
//!
//! ```text
//! cargo run --release -p staunch-gateway --example bench_backend -- \
//!     --listen 127.0.0.1:18081 --fail-rate 0.15 --seed 1
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Parser;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const OK_BODY: &[u8] = b"hello from the staunch bench backend\n";
const FAIL_BODY: &[u8] = b"injected 503\n";

/// Command-line options.
#[derive(Debug, Parser)]
#[command(name = "bench_backend", about = "HTTP/1.1 backend with injected 503s")]
struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18081")]
    listen: SocketAddr,
    /// Share of requests answered with 503, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Seed of the failure pattern; give each process its own.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runtime worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

/// The shared state: request counter and failure pattern.
struct Backend {
    /// Requests served since start or the last reset (control paths excluded).
    served: AtomicU64,
    /// Sequence number of the next request; never reset, so the pattern
    /// continues across cases.
    sequence: AtomicU64,
    seed: u64,
    /// `fail_rate` scaled to the full `u64` range.
    fail_below: u64,
}

impl Backend {
    fn new(fail_rate: f64, seed: u64) -> anyhow::Result<Self> {
        if !(0.0..=1.0).contains(&fail_rate) {
            bail!("invalid value for `--fail-rate`: {fail_rate} (allowed: 0 to 1)");
        }
        // The float-to-int cast saturates, so 1.0 maps to u64::MAX.
        let fail_below = (fail_rate * u64::MAX as f64) as u64;
        Ok(Self {
            served: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            seed,
            fail_below,
        })
    }

    /// Whether the request with this sequence number gets a 503.
    fn fails(&self, n: u64) -> bool {
        self.fail_below > 0
            && splitmix64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) < self.fail_below
    }

    fn answer(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/__count") => {
                let count = self.served.load(Ordering::Relaxed);
                text(StatusCode::OK, Bytes::from(format!("{count}\n")))
            }
            (&Method::POST, "/__reset") => {
                self.served.store(0, Ordering::Relaxed);
                text(StatusCode::OK, Bytes::from_static(b"0\n"))
            }
            _ => {
                self.served.fetch_add(1, Ordering::Relaxed);
                let n = self.sequence.fetch_add(1, Ordering::Relaxed);
                if self.fails(n) {
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        Bytes::from_static(FAIL_BODY),
                    )
                } else {
                    text(StatusCode::OK, Bytes::from_static(OK_BODY))
                }
            }
        }
    }
}

/// SplitMix64's output function: a cheap, well-mixed hash of one word.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn text(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

async fn serve(listener: TcpListener, backend: Arc<Backend>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: keep serving.
                eprintln!("bench_backend: accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let backend = Arc::clone(&backend);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let response = backend.answer(&request);
                async move { Ok::<_, Infallible>(response) }
            });
            // Clients closing their connections mid-request is normal at
            // the end of a load run; nothing to report.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let backend = Arc::new(Backend::new(options.fail_rate, options.seed)?);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = options.workers {
        if workers == 0 {
            bail!("invalid value for `--workers`: 0 (allowed: 1 or more)");
        }
        runtime.worker_threads(workers);
    }
    let runtime = runtime.build().context("starting the tokio runtime")?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("binding {}", options.listen))?;
        eprintln!(
            "bench_backend: listening on {} (fail rate {}, seed {})",
            options.listen, options.fail_rate, options.seed
        );
        serve(listener, backend).await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(backend: &Backend, n: u64) -> u64 {
        (0..n).filter(|&i| backend.fails(i)).count() as u64
    }

    #[test]
    fn fail_rate_is_met_within_one_percent_over_100k_requests() {
        let backend = Backend::new(0.15, 7).unwrap();
        let share = failures(&backend, 100_000) as f64 / 100_000.0;
        assert!((share - 0.15).abs() < 0.01, "share {share}");
    }

    #[test]
    fn zero_rate_never_fails_and_full_rate_always_fails() {
        assert_eq!(failures(&Backend::new(0.0, 1).unwrap(), 10_000), 0);
        assert_eq!(failures(&Backend::new(1.0, 1).unwrap(), 10_000), 10_000);
    }

    #[test]
    fn same_seed_gives_same_pattern_and_other_seeds_differ() {
        let a = Backend::new(0.15, 1).unwrap();
        let b = Backend::new(0.15, 1).unwrap();
        let c = Backend::new(0.15, 2).unwrap();
        let pattern = |x: &Backend| (0..1000).map(|i| x.fails(i)).collect::<Vec<_>>();
        assert_eq!(pattern(&a), pattern(&b));
        assert_ne!(pattern(&a), pattern(&c));
    }

    #[test]
    fn fail_rate_outside_zero_to_one_is_refused() {
        let error = Backend::new(1.5, 1).err().unwrap().to_string();
        assert!(
            error.contains("--fail-rate") && error.contains("1.5"),
            "{error}"
        );
        assert!(Backend::new(-0.1, 1).is_err());
    }
}
