//! A multi-provider file uploader: one breaker per provider shared by every
//! uploader thread, retry around the breaker, settings from the environment,
//! bookkeeping only after success.
//!
//! Three in-process providers (no network) behave differently: `s3` is
//! reliable but refuses files over 50 MB (a fatal 413, which does not count
//! against its breaker) and has a rare 503; `gcs` drops every other
//! connection; `azure` is down for the first 400 ms of the run. Four
//! uploader threads share one [`BreakerRegistry`] (a breaker per provider)
//! and a retry budget per provider. Each file starts on a provider picked by
//! its number and fails over to the next one when a call gives up; a file
//! that no provider took goes back to the queue for a later round. Only an
//! upload that succeeded is written to the ledger.
//!
//! Settings come from `examples/uploader/uploader.toml` (delays scaled down
//! so the run takes about a second; `UPLOADER_CONFIG` names another file),
//! then from the documented environment variables:
//!
//! ```text
//! cargo run --example uploader -p staunch
//! CIRCUIT_BREAKER_FAILURE_THRESHOLD=2 RETRY_MAX_ATTEMPTS=4 cargo run --example uploader -p staunch
//! ```

mod provider;
mod report;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use provider::{Behaviour, File, Provider, UploadError};
use staunch::breaker::{BreakerRegistry, Transition};
use staunch::budget::RetryBudget;
use staunch::config::{ProcessEnv, StaunchConfig};
use staunch::metrics::{MetricsRecorder, MetricsStore, SinkObserver};
use staunch::retry::RetryPolicy;

const WORKERS: usize = 4;
const FILES: usize = 36;
/// Rounds a file gets before it is given up.
const ROUNDS: u32 = 4;
/// Pause of a worker between two files, and before a file's next round.
const THINK: Duration = Duration::from_millis(25);
const NEXT_ROUND: Duration = Duration::from_millis(150);

/// What the ledger keeps of one uploaded file.
struct Entry {
    provider: &'static str,
    etag: String,
    attempts: u32,
    round: u32,
}

fn main() -> ExitCode {
    let path = std::env::var_os("UPLOADER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/uploader/uploader.toml")
        });
    let config = match StaunchConfig::load(Some(&path), &ProcessEnv) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("uploader: {err}");
            return ExitCode::from(2);
        }
    };
    report::print_settings(&path, &config);
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("uploader: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Everything the uploader threads share.
struct Shared<'a> {
    start: Instant,
    policy: RetryPolicy,
    registry: BreakerRegistry<String>,
    providers: &'a [Provider],
    store: &'a MetricsStore,
    queue: Mutex<VecDeque<(File, u32)>>,
    ledger: Mutex<BTreeMap<String, Entry>>,
    given_up: Mutex<Vec<String>>,
}

impl Shared<'_> {
    fn at(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

fn run(config: &StaunchConfig) -> Result<(), staunch::ConfigError> {
    let start = Instant::now();
    let store = Arc::new(MetricsStore::new(config.metrics)?);
    let registry = BreakerRegistry::<String>::new(config.breaker_config())?;
    registry.add_observer(SinkObserver::shared(store.clone()));
    registry.add_observer(Arc::new(move |t: &Transition| {
        let at = start.elapsed().as_secs_f64();
        println!(
            "[{at:6.3}s] [CIRCUIT] {}: {} -> {} ({})",
            t.key, t.from, t.to, t.reason
        );
    }));
    let provider = |name, behaviour, latency_ms| -> Result<Provider, staunch::ConfigError> {
        Ok(Provider {
            name,
            behaviour,
            latency: Duration::from_millis(latency_ms),
            requests: AtomicU32::new(0),
            budget: RetryBudget::new(config.budget)?,
        })
    };
    let providers = [
        provider(
            "s3",
            Behaviour::Reliable {
                fail_every: 7,
                max_mb: 50,
            },
            4,
        )?,
        provider("gcs", Behaviour::Flaky, 6)?,
        provider(
            "azure",
            Behaviour::Outage {
                until: Duration::from_millis(400),
            },
            3,
        )?,
    ];
    let files = (0..FILES).map(|number| File {
        number,
        name: format!("report-{:02}.pdf", number + 1),
        size_mb: if number % 10 == 4 {
            64
        } else {
            1 + (number as u32 * 7) % 30
        },
    });
    let shared = Shared {
        start,
        policy: config.retry_policy(),
        registry,
        providers: &providers,
        store: &store,
        queue: Mutex::new(files.map(|file| (file, 1)).collect()),
        ledger: Mutex::new(BTreeMap::new()),
        given_up: Mutex::new(Vec::new()),
    };
    thread::scope(|scope| {
        for worker in 1..=WORKERS {
            let shared = &shared;
            scope.spawn(move || upload_all(worker, shared));
        }
    });
    report::print_report(&shared);
    Ok(())
}

/// One uploader thread: takes files from the queue until it is empty.
fn upload_all(worker: usize, shared: &Shared<'_>) {
    loop {
        let next = shared.queue.lock().unwrap().pop_front();
        let Some((file, round)) = next else { return };
        if !upload(worker, shared, &file, round) {
            if round < ROUNDS {
                println!(
                    "[{:6.3}s] w{worker} {}: no provider took it, requeued",
                    shared.at(),
                    file.name
                );
                thread::sleep(NEXT_ROUND);
                shared.queue.lock().unwrap().push_back((file, round + 1));
            } else {
                shared.given_up.lock().unwrap().push(file.name);
            }
        }
        thread::sleep(THINK);
    }
}

/// Tries the providers in turn, from the one the file's number picks. Each
/// provider gets a retry call through its breaker and budget; the ledger is
/// written only after a success.
fn upload(worker: usize, shared: &Shared<'_>, file: &File, round: u32) -> bool {
    let count = shared.providers.len();
    for k in 0..count {
        let provider = &shared.providers[(file.number + k) % count];
        let guards = (
            shared.registry.guard(provider.name),
            (
                provider.budget.guard(),
                MetricsRecorder::new(shared.store).with_endpoint(provider.name),
            ),
        );
        let mut attempts = 0;
        let result = shared
            .policy
            .call_with(guards, |_| {
                attempts += 1;
                provider.upload(file, shared.start.elapsed())
            })
            .when(UploadError::is_transient)
            .run();
        match result {
            Ok(etag) => {
                println!(
                    "[{:6.3}s] w{worker} {} ({} MB) -> {} in {attempts} attempt(s)",
                    shared.at(),
                    file.name,
                    file.size_mb,
                    provider.name
                );
                // Bookkeeping only once the upload is known to have worked.
                let entry = Entry {
                    provider: provider.name,
                    etag,
                    attempts,
                    round,
                };
                shared
                    .ledger
                    .lock()
                    .unwrap()
                    .insert(file.name.clone(), entry);
                return true;
            }
            Err(err) => println!(
                "[{:6.3}s] w{worker} {} -> {}: {err}",
                shared.at(),
                file.name,
                provider.name
            ),
        }
    }
    false
}
