//! `reqwest_success` as a paired comparison: the middleware's overhead as a
//! ratio to the plain client, measured in one process with the clients
//! taking turns.
//!
//! ```text
//! cargo bench -p staunch-http --bench middleware_paired
//! ```
//!
//! The criterion group `reqwest_success` (bench `middleware`) measures each
//! client for a few seconds, one after the other. On a shared machine the
//! cost of the loopback round trip drifts between those windows by more
//! than the middleware costs, so the ratio of two criterion results moves
//! by ±10 % between runs. Here every round runs a batch of requests through
//! each client, in a rotating order, back to back, and the ratio to `bare`
//! is taken within the round; the table gives the median over the rounds
//! and the quartiles. As in `reqwest_success`, the client and the server
//! share one thread, and that thread's CPU time is measured.
//!
//! Settings (environment variables): `PAIRED_ROUNDS` [61],
//! `PAIRED_BATCH` requests per client per round [300].

// The bench is a program of its own; its items need no docs.
#![allow(missing_docs)]

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use cpu_time::ThreadTime;

/// The clients, in the order of the table.
const NAMES: [&str; 4] = ["bare", "empty_middleware_stack", "staunch", "reqwest_retry"];

fn setting(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => match value.parse() {
            Ok(n) if n > 0 => n,
            _ => panic!("invalid value for {name}: '{value}' (allowed: a positive integer)"),
        },
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then one short round checks that the bench runs.
    let benching = std::env::args().any(|arg| arg == "--bench");
    let rounds = if benching {
        setting("PAIRED_ROUNDS", 61)
    } else {
        1
    };
    let batch = if benching {
        setting("PAIRED_BATCH", 300)
    } else {
        5
    };

    let rt = support::runtime();
    let url = format!("http://{}/item", rt.block_on(support::start_server()));
    let clients = support::Clients::new();

    // One batch through client `which`: its CPU time per request.
    let run = |which: usize, n: usize| -> Duration {
        rt.block_on(async {
            let start = ThreadTime::now();
            for _ in 0..n {
                black_box(match which {
                    0 => support::get_bare(&clients.bare, &url).await,
                    1 => support::get_via(&clients.empty_stack, &url).await,
                    2 => support::get_via(&clients.staunch, &url).await,
                    _ => support::get_via(&clients.reqwest_retry, &url).await,
                });
            }
            start.elapsed() / n as u32
        })
    };

    // Warm-up: connections open, caches and allocator pools filled.
    for which in 0..NAMES.len() {
        run(which, batch.max(200));
    }

    let mut times: Vec<[Duration; 4]> = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut per_client = [Duration::ZERO; 4];
        for step in 0..NAMES.len() {
            let which = (round + step) % NAMES.len();
            per_client[which] = run(which, batch);
        }
        times.push(per_client);
    }

    println!(
        "reqwest_success, paired: {rounds} rounds of {batch} requests per client, \
         CPU time of the one thread per request"
    );
    println!();
    println!("| client | median | ratio to bare: median | q1 | q3 |");
    println!("|---|---:|---:|---:|---:|");
    for (which, name) in NAMES.iter().enumerate() {
        let mut own: Vec<f64> = times.iter().map(|t| t[which].as_secs_f64() * 1e6).collect();
        let mut ratios: Vec<f64> = times
            .iter()
            .map(|t| t[which].as_secs_f64() / t[0].as_secs_f64())
            .collect();
        let (median, _, _) = quartiles(&mut own);
        let (r_median, r_q1, r_q3) = quartiles(&mut ratios);
        println!("| `{name}` | {median:.2} µs | {r_median:.4} | {r_q1:.4} | {r_q3:.4} |");
    }
}

/// Median, first and third quartile (nearest rank).
fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.25), at(0.75))
}
