//! Performance-score selection.

use rand::rngs::SmallRng;
use rand::RngCore;

use super::best_of::{for_each_sample, rank_of_score, BestOf};
use super::ranking::{max_latency, Ranking};
use super::{Candidates, Sampling, Strategy};
use crate::pool::entry::EndpointEntry;
use crate::pool::error::PoolError;

/// Weight of the success ratio in the score.
pub const SUCCESS_WEIGHT: f64 = 0.7;

/// Weight of the latency term in the score.
pub const LATENCY_WEIGHT: f64 = 0.3;

/// The success ratio assumed for an endpoint with no outcome yet.
///
/// It is optimistic (1.0, with a latency term of 1.0, so the best possible
/// score) rather than a middle value: a new endpoint is then tried once and
/// judged on its first real outcome, instead of never being chosen while
/// known-good endpoints exist. Change it with
/// [`PerformanceScore::with_unknown_success_ratio`].
pub const DEFAULT_UNKNOWN_SUCCESS_RATIO: f64 = 1.0;

/// Default sample size of [`PerformanceScore`] in pools above the scan limit.
const DEFAULT_SAMPLE_SIZE: usize = 4;

/// In large pools, one selection in this many (on average, drawn from the
/// context's generator) rescans the pool to refresh the cached ranking.
pub const DEFAULT_REFRESH_EVERY: u32 = 1024;

/// `0.7 * success_ratio + 0.3 * (1 - latency / max_latency)`, in [0, 1].
///
/// The ratio is clamped to [0, 1] and so is `latency / max_latency`; when
/// `max_latency` is 0 (no latency spread yet) the latency term is 1 for all.
///
/// ```
/// use staunch::pool::performance_score;
/// let s = performance_score(0.9, 0.05, 0.2);
/// assert!((s - (0.7 * 0.9 + 0.3 * 0.75)).abs() < 1e-12);
/// ```
#[inline]
pub fn performance_score(success_ratio: f64, latency_secs: f64, max_latency_secs: f64) -> f64 {
    let ratio = if success_ratio.is_nan() {
        0.0
    } else {
        success_ratio.clamp(0.0, 1.0)
    };
    let latency_term = if max_latency_secs > 0.0 && max_latency_secs.is_finite() {
        let relative = latency_secs / max_latency_secs;
        if relative.is_nan() {
            0.0
        } else {
            1.0 - relative.clamp(0.0, 1.0)
        }
    } else {
        1.0
    };
    SUCCESS_WEIGHT * ratio + LATENCY_WEIGHT * latency_term
}

/// Each selection takes the eligible endpoint with the highest
/// [`performance_score`], `max_latency` being the largest EWMA latency in the
/// pool.
///
/// **Small pools** (up to [`Sampling::exact_scan_limit`], default 64) are
/// scanned exactly: two passes over the atomics, the true best is chosen,
/// ties broken at random. About 1 ns per endpoint.
///
/// **Large pools** would cost about 1 µs per selection at 1000 endpoints if
/// scanned, so they use a cached ranking instead: a full rescan records the
/// pool's max latency and its top 4 endpoints, and is repeated on about one
/// selection in [`DEFAULT_REFRESH_EVERY`] (and whenever the pool changes).
/// Each selection then re-scores, from live statistics, the 4 cached leaders
/// plus [`Sampling::sample_size`] (default 4) random eligible endpoints, and
/// takes the best. The trade-offs: an endpoint that improves sharply is only
/// found by sampling until the next rescan; a cached leader that degrades
/// loses at once since leaders are re-scored live; the max latency may be
/// stale by up to one refresh period, and latencies above it count as the
/// worst. Amortised cost: 8 scores plus 1/1024 of a scan.
///
/// The ranking belongs to one pool: give each pool its own
/// `PerformanceScore`, or every switch between pools forces a rescan.
///
/// Like any "pick the best" rule it concentrates traffic on the leader;
/// prefer [`PowerOfTwoChoices`](super::PowerOfTwoChoices) when spreading load
/// matters more than picking the best.
#[derive(Debug)]
pub struct PerformanceScore {
    sampling: Sampling,
    unknown_success_ratio: f64,
    refresh_every: u32,
    /// A draw of `next_u32() <= refresh_below` happens once in `refresh_every`.
    refresh_below: u32,
    ranking: Ranking,
}

impl PerformanceScore {
    /// Exact up to 64 endpoints, ranking + 4 samples above, unknown
    /// endpoints scored with [`DEFAULT_UNKNOWN_SUCCESS_RATIO`].
    pub const fn new() -> Self {
        Self {
            sampling: Sampling::with_sample_size(DEFAULT_SAMPLE_SIZE),
            unknown_success_ratio: DEFAULT_UNKNOWN_SUCCESS_RATIO,
            refresh_every: DEFAULT_REFRESH_EVERY,
            refresh_below: refresh_threshold(DEFAULT_REFRESH_EVERY),
            ranking: Ranking::new(),
        }
    }

    /// Replaces the scan/sample rule.
    #[must_use]
    pub const fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets the success ratio assumed before an endpoint's first outcome
    /// (0 to 1).
    pub fn with_unknown_success_ratio(mut self, ratio: f64) -> Result<Self, PoolError> {
        if !(0.0..=1.0).contains(&ratio) {
            return Err(PoolError::parameter(
                "pool.strategy.unknown_success_ratio",
                ratio,
                "a number from 0 to 1",
            ));
        }
        self.unknown_success_ratio = ratio;
        Ok(self)
    }

    /// Sets how often, in selections on average, large pools are rescanned
    /// (at least 1; 1 means every selection scans).
    pub fn with_refresh_every(mut self, selections: u32) -> Result<Self, PoolError> {
        if selections == 0 {
            return Err(PoolError::parameter(
                "pool.strategy.refresh_every",
                selections,
                "an integer of at least 1",
            ));
        }
        self.refresh_every = selections;
        self.refresh_below = refresh_threshold(selections);
        Ok(self)
    }

    /// The scan/sample rule.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// The success ratio assumed before an endpoint's first outcome.
    pub fn unknown_success_ratio(&self) -> f64 {
        self.unknown_success_ratio
    }

    /// How often, in selections on average, large pools are rescanned.
    pub fn refresh_every(&self) -> u32 {
        self.refresh_every
    }

    /// The score of one endpoint given the pool's max latency (seconds):
    /// [`performance_score`] of its statistics, or of the unknown success
    /// ratio and a latency of 0 before its first outcome.
    pub fn score<A>(&self, entry: &EndpointEntry<A>, max_latency_secs: f64) -> f64 {
        let (ratio, latency) = self.inputs(entry);
        performance_score(ratio, latency, max_latency_secs)
    }

    #[inline]
    fn inputs<A>(&self, entry: &EndpointEntry<A>) -> (f64, f64) {
        let stats = entry.stats();
        match stats.success_ratio() {
            None => (self.unknown_success_ratio, 0.0),
            Some(ratio) => (ratio, stats.ewma_latency_secs().unwrap_or(0.0)),
        }
    }

    /// [`score`](Self::score) with `1 / max_latency` precomputed (0 when there
    /// is no latency spread): the same formula without a division per
    /// endpoint, for the selection loops.
    #[inline]
    fn fast_score<A>(&self, entry: &EndpointEntry<A>, inverse_max: f64) -> f64 {
        let (ratio, latency) = self.inputs(entry);
        SUCCESS_WEIGHT * ratio + LATENCY_WEIGHT * (1.0 - (latency * inverse_max).min(1.0))
    }

    fn scan<A>(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        let entries = candidates.entries();
        let inverse_max = inverse(max_latency(entries.iter().map(|e| &**e)));
        let n = entries.len();
        let start = candidates.random_index(rng);
        let mut best: Option<(usize, f64)> = None;
        for i in (start..n).chain(0..start) {
            let score = self.fast_score(&entries[i], inverse_max);
            if best.map_or(true, |(_, b)| score > b) && candidates.is_eligible(i) {
                best = Some((i, score));
            }
        }
        best.map(|(i, _)| i)
    }

    fn ranked<A>(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        let snapshot = candidates.snapshot_id();
        let mut hint = self.ranking.read(snapshot);
        if (hint.is_none() || rng.next_u32() <= self.refresh_below)
            && self.ranking.refresh(candidates, |max| {
                let inverse_max = inverse(max);
                move |entry| self.fast_score(entry, inverse_max)
            })
        {
            hint = self.ranking.read(snapshot);
        }
        // Another thread is ranking a new snapshot right now: scan this once.
        let Some(hint) = hint else {
            return self.scan(candidates, rng);
        };
        let entries = candidates.entries();
        let inverse_max = inverse(hint.max_latency);
        let unrestricted = candidates.is_unrestricted();
        let sample_size = self.sampling.sample_size();
        let mut best = BestOf::new();
        // Samples take the first positions so that they win ties: with equal
        // scores the choice is then random instead of always a cached leader.
        for_each_sample(candidates, rng, sample_size, |i, position| {
            let score = self.fast_score(&entries[i], inverse_max);
            best.offer(i, position, rank_of_score(score));
        });
        for (position, i) in hint.indices().enumerate() {
            if let Some(entry) = entries.get(i) {
                if unrestricted || candidates.is_eligible(i) {
                    let score = self.fast_score(entry, inverse_max);
                    best.offer(i, sample_size + position, rank_of_score(score));
                }
            }
        }
        best.winner()
    }
}

/// `1 / max`, or 0 when `max` gives no latency spread (all latency terms 1).
fn inverse(max: f64) -> f64 {
    if max > 0.0 && max.is_finite() {
        1.0 / max
    } else {
        0.0
    }
}

/// The largest `t` such that `P(next_u32() <= t)` is `1 / every`.
const fn refresh_threshold(every: u32) -> u32 {
    // 2^32 / every - 1, computed in u64; at most u32::MAX, so no truncation.
    ((1u64 << 32) / every as u64 - 1) as u32
}

impl Default for PerformanceScore {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> Strategy<A> for PerformanceScore {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        if candidates.is_empty() {
            None
        } else if self.sampling.scans(candidates.len()) {
            self.scan(candidates, rng)
        } else {
            self.ranked(candidates, rng)
        }
    }
}
