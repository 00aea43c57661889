//! Scripted attempts for the runner's tests: each attempt answers,
//! fails or takes time as a list of steps says.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::client::direct_client;
use crate::config::{BackendBase, GatewayConfig, Strategy as PoolStrategy};
use crate::endpoint::Endpoint;
use crate::engine::Engine;
use crate::upstream::Upstream;

/// What a scripted attempt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Answers with this status; 429 and 503 are worth another attempt, a
    /// 5xx counts against the endpoint's breaker.
    Answer(u16),
    /// Answers 503 with `Retry-After`.
    Hinted(Duration),
    /// Fails; `reached` says whether the request may have been delivered.
    Fail { reached: bool },
    /// Takes this long, then answers 200.
    Slow(Duration),
}

pub(super) const OK: Step = Step::Answer(200);
pub(super) const UNAVAILABLE: Step = Step::Answer(503);
pub(super) const REFUSED: Step = Step::Fail { reached: false };
pub(super) const RESET: Step = Step::Fail { reached: true };

impl Step {
    pub(super) fn is_answer(self) -> bool {
        matches!(self, Step::Answer(_) | Step::Hinted(_) | Step::Slow(_))
    }

    pub(super) fn is_final_answer(self) -> bool {
        matches!(self, Step::Answer(s) if s != 503 && s != 429) || matches!(self, Step::Slow(_))
    }
}

/// Scripted attempts; records the endpoint of each, and which answers the
/// runner let go of.
pub(super) struct Scripted {
    steps: Vec<Step>,
    pub(super) calls: Vec<String>,
    pub(super) discarded: Vec<usize>,
}

impl Scripted {
    pub(super) fn new(steps: &[Step]) -> Self {
        Self {
            steps: steps.to_vec(),
            calls: Vec::new(),
            discarded: Vec::new(),
        }
    }
}

/// (index of the call, status, `Retry-After`)
pub(super) type Answer = (usize, u16, Option<Duration>);

impl Attempt for Scripted {
    type Output = Answer;

    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send {
        let index = self.calls.len();
        self.calls.push(endpoint.id().to_string());
        let step = self.steps[index];
        let id = endpoint.id().to_string();
        async move {
            match step {
                Step::Answer(status) => Ok((index, status, None)),
                Step::Hinted(after) => Ok((index, 503, Some(after))),
                Step::Fail { reached: false } => {
                    Err(AttemptError::new(AttemptErrorKind::ConnectRefused, id))
                }
                Step::Fail { reached: true } => Err(AttemptError::new(AttemptErrorKind::Reset, id)),
                Step::Slow(d) => match time_left {
                    Some(left) if left < d => {
                        tokio::time::sleep(left).await;
                        Err(AttemptError::new(AttemptErrorKind::Timeout, id))
                    }
                    _ => {
                        tokio::time::sleep(d).await;
                        Ok((index, 200, None))
                    }
                },
            }
        }
    }

    fn is_retryable(&self, output: &Self::Output) -> bool {
        matches!(output.1, 429 | 503)
    }

    /// A 5xx is the endpoint's fault; a 429 or a 4xx is not.
    fn is_endpoint_failure(&self, output: &Self::Output) -> bool {
        output.1 >= 500
    }

    fn retry_after(&self, output: &Self::Output) -> Option<Duration> {
        output.2
    }

    fn status(&self, output: &Self::Output) -> Option<u16> {
        Some(output.1)
    }

    fn discard(&mut self, output: Self::Output) {
        self.discarded.push(output.0);
    }
}

pub(super) fn endpoints(n: usize) -> Vec<Endpoint> {
    let client = direct_client(Duration::from_secs(1));
    (0..n)
        .map(|i| {
            Endpoint::backend(
                format!("e{i}"),
                1,
                BTreeMap::new(),
                BackendBase {
                    authority: "127.0.0.1:9".parse().unwrap(),
                    path: String::new(),
                },
                client.clone(),
                Duration::from_secs(1),
            )
        })
        .collect()
}

/// Engine state of `config` on a fake clock.
pub(super) fn engine_of(config: &GatewayConfig) -> Engine {
    let clock = std::sync::Arc::new(staunch::clock::ManualClock::new());
    Engine::with_clock(config, clock).unwrap()
}

/// `n` endpoints `e0`, `e1`, ... in round-robin order (a fresh upstream
/// tries them in that order).
pub(super) fn upstream(engine: &Engine, n: usize) -> Upstream {
    Upstream::builder("route /", endpoints(n))
        .with_strategy(PoolStrategy::RoundRobin)
        .build(engine)
        .unwrap()
}
