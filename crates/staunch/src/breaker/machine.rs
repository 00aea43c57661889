//! The breaker's shared state and its state machine.
//!
//! The hot state is one packed [`Word`]: admission in the closed state is a
//! single load, and a closed-state success touches nothing shared unless a
//! rule needs it. Every change of state goes through [`Shared::transition`],
//! which takes the control lock, checks that the state it starts from is
//! still current (same generation) and only then publishes the new word, so
//! concurrent failures open the breaker exactly once and no change is lost.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::error::Rejected;
use super::observer::{log_transition, BreakerObserver};
use super::rules::Rules;
use super::window::Window;
use super::word::Word;
use super::{BreakerConfig, CircuitState, Snapshot, Transition};
use crate::clock::Clock;

/// Marks "no time stored" in the wall-clock atomics.
const NONE: u64 = u64::MAX;

/// Keeps a hot atomic on its own cache lines, so writes to one do not slow
/// down reads of another.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

impl<T> Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The fields every call reads, on their own cache lines: the state word
/// and the two flags that decide whether a success has anything to record.
#[derive(Debug)]
#[repr(align(128))]
struct Hot {
    word: AtomicU64,
    /// The slow-call rule is on: permits measure their latency.
    timed: bool,
    /// Every call is counted in the window.
    counted: bool,
}

/// What a permit remembers about the state it was granted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    /// The word's generation at admission.
    pub(crate) generation: u32,
    /// Admitted as a half-open probe (holds a probe slot).
    pub(crate) probe: bool,
}

/// Taken only to change state or to add observers.
struct Control {
    /// Trips since the breaker last closed (drives open-duration growth).
    trips: u32,
    observers: Vec<Arc<dyn BreakerObserver>>,
}

/// One breaker's state, shared by every handle and permit.
pub(crate) struct Shared {
    hot: Hot,
    consecutive: Padded<AtomicU64>,
    window: Window,
    /// When an open breaker admits the next probe (nanoseconds since `origin`).
    next_probe: AtomicU64,
    /// When it last opened or was isolated (nanoseconds since the Unix epoch).
    opened_wall: AtomicU64,
    /// How long the current open period lasts (nanoseconds).
    open_for: AtomicU64,
    pub(crate) rules: Rules,
    pub(crate) config: BreakerConfig,
    pub(crate) key: Box<str>,
    pub(crate) clock: Arc<dyn Clock>,
    origin: Instant,
    control: Mutex<Control>,
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn wall_nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(nanos)
        .unwrap_or(0)
        .min(NONE - 1)
}

fn wall_time(stored: u64) -> Option<SystemTime> {
    (stored != NONE).then(|| UNIX_EPOCH + Duration::from_nanos(stored))
}

impl Shared {
    /// A closed breaker; `config` must be valid.
    pub(crate) fn new(key: String, config: BreakerConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            hot: Hot {
                word: AtomicU64::new(Word::INITIAL.0),
                timed: config.enabled && config.slow_call_rate.is_some(),
                counted: config.needs_call_counts(),
            },
            consecutive: Padded(AtomicU64::new(0)),
            window: Window::new(config.window, config.window_buckets),
            next_probe: AtomicU64::new(0),
            opened_wall: AtomicU64::new(NONE),
            open_for: AtomicU64::new(0),
            rules: Rules::new(&config),
            origin: clock.now(),
            config,
            key: key.into_boxed_str(),
            clock,
            control: Mutex::new(Control {
                trips: 0,
                observers: Vec::new(),
            }),
        }
    }

    #[inline]
    fn load(&self) -> Word {
        Word(self.hot.word.load(Ordering::Acquire))
    }

    fn now_nanos(&self) -> u64 {
        nanos(self.clock.now().saturating_duration_since(self.origin))
    }

    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current state (an open breaker past its open duration still
    /// reads open until the next acquire).
    pub(crate) fn state(&self) -> CircuitState {
        self.load().state()
    }

    /// Admits a call or says why not. Closed: one atomic load.
    #[inline]
    pub(crate) fn acquire(&self) -> Result<Ticket, Rejected> {
        let word = self.load();
        if word.state() == CircuitState::Closed {
            return Ok(Ticket {
                generation: word.generation(),
                probe: false,
            });
        }
        self.acquire_slow(word)
    }

    #[cold]
    fn acquire_slow(&self, mut word: Word) -> Result<Ticket, Rejected> {
        loop {
            match word.state() {
                CircuitState::Closed => {
                    return Ok(Ticket {
                        generation: word.generation(),
                        probe: false,
                    })
                }
                CircuitState::Isolated => return Err(Rejected::isolated()),
                CircuitState::Open => {
                    let next = self.next_probe.load(Ordering::Acquire);
                    let now = self.now_nanos();
                    if now < next {
                        return Err(Rejected::open(Duration::from_nanos(next - now)));
                    }
                    self.transition(
                        word.generation(),
                        CircuitState::Open,
                        CircuitState::HalfOpen,
                        "open duration elapsed".to_owned(),
                    );
                    word = self.load();
                }
                CircuitState::HalfOpen => {
                    if word.in_flight() >= self.rules.half_open_max_calls {
                        return Err(Rejected::half_open(word.in_flight()));
                    }
                    let taken = word.with_in_flight(word.in_flight() + 1);
                    match self.hot.word.compare_exchange_weak(
                        word.0,
                        taken.0,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => {
                            return Ok(Ticket {
                                generation: word.generation(),
                                probe: true,
                            })
                        }
                        Err(current) => word = Word(current),
                    }
                }
            }
        }
    }

    /// Records the outcome of a permit; returns the state the breaker moved
    /// to if this outcome changed it.
    #[inline]
    pub(crate) fn finish(
        &self,
        ticket: Ticket,
        failed: bool,
        latency: Option<Duration>,
    ) -> Option<CircuitState> {
        let slow = self.rules.is_slow(latency);
        if ticket.probe {
            self.finish_probe(ticket.generation, failed, slow)
        } else if failed || slow {
            self.closed_failure(ticket.generation, failed, slow)
        } else {
            self.closed_success(ticket.generation);
            None
        }
    }

    /// Whether permits must measure their latency (slow-call rule on).
    #[inline]
    pub(crate) fn timed(&self) -> bool {
        self.hot.timed
    }

    /// The hot path: nothing but loads unless a failure came before or a
    /// rule counts calls. (A disabled breaker never counts calls and never
    /// counts a failure, so it always returns at the first test.)
    #[inline]
    fn closed_success(&self, generation: u32) {
        let dirty = self.consecutive.load(Ordering::Relaxed) != 0;
        if !dirty && !self.hot.counted {
            return;
        }
        if self.load().generation() != generation {
            return;
        }
        if dirty {
            self.consecutive.store(0, Ordering::Relaxed);
        }
        if self.hot.counted {
            self.window.record(self.now_nanos(), true, false, false);
        }
    }

    /// Counts an outcome in the consecutive-failure run; returns the run.
    fn note_run(&self, failed: bool) -> u64 {
        if failed {
            self.consecutive.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
            }
            0
        }
    }

    #[cold]
    fn closed_failure(&self, generation: u32, failed: bool, slow: bool) -> Option<CircuitState> {
        if !self.rules.enabled || self.load().generation() != generation {
            return None;
        }
        let run = self.note_run(failed);
        let now = self.now_nanos();
        self.window
            .record(now, self.rules.count_calls, failed, slow);
        let reason = self
            .rules
            .check(self.window.counts(now), run, failed, slow)?;
        self.transition(generation, CircuitState::Closed, CircuitState::Open, reason)
            .then_some(CircuitState::Open)
    }

    fn finish_probe(&self, generation: u32, failed: bool, slow: bool) -> Option<CircuitState> {
        if failed || slow {
            let mut moved = None;
            if self.load().generation() == generation {
                self.note_run(failed);
                let now = self.now_nanos();
                self.window
                    .record(now, self.rules.count_calls, failed, slow);
                let reason = if failed {
                    "probe failed".to_owned()
                } else {
                    format!(
                        "probe slower than {}",
                        crate::config::format_duration(self.config.slow_call_duration)
                    )
                };
                if self.transition(
                    generation,
                    CircuitState::HalfOpen,
                    CircuitState::Open,
                    reason,
                ) {
                    moved = Some(CircuitState::Open);
                }
            }
            // The slot is freed only after the reopen, so probes in flight
            // never exceed the limit, even across half-open periods.
            self.release_probe();
            return moved;
        }
        let before = self.update_word(|w| {
            let freed = w.with_in_flight(w.in_flight().saturating_sub(1));
            if w.generation() == generation {
                freed.with_successes(w.successes().saturating_add(1))
            } else {
                freed
            }
        });
        if before.generation() != generation {
            return None;
        }
        self.note_run(false);
        if self.rules.count_calls {
            self.window.record(self.now_nanos(), true, false, false);
        }
        let successes = before.successes().saturating_add(1);
        if successes < self.rules.success_threshold {
            return None;
        }
        let reason = if successes == 1 {
            "probe succeeded".to_owned()
        } else {
            format!("{successes} probes succeeded")
        };
        self.transition(
            generation,
            CircuitState::HalfOpen,
            CircuitState::Closed,
            reason,
        )
        .then_some(CircuitState::Closed)
    }

    /// Frees the probe slot of a permit that ends without an outcome or from
    /// an earlier half-open period.
    pub(crate) fn release_probe(&self) {
        self.update_word(|w| w.with_in_flight(w.in_flight().saturating_sub(1)));
    }

    /// Applies `change` atomically; returns the word before.
    fn update_word(&self, change: impl Fn(Word) -> Word) -> Word {
        let mut current = self.load();
        loop {
            match self.hot.word.compare_exchange_weak(
                current.0,
                change(current).0,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return current,
                Err(now) => current = Word(now),
            }
        }
    }

    /// Moves `from` (in generation `generation`) to `to`, unless another
    /// change got there first. Returns whether this call made the change.
    fn transition(
        &self,
        generation: u32,
        from: CircuitState,
        to: CircuitState,
        reason: String,
    ) -> bool {
        let mut control = self.lock();
        let current = self.load();
        if current.generation() != generation || current.state() != from {
            return false;
        }
        self.apply(&mut control, to, reason, true);
        true
    }

    /// Closes the breaker by hand, clearing its counts.
    pub(crate) fn reset(&self) {
        let mut control = self.lock();
        let changed = self.load().state() != CircuitState::Closed;
        self.apply(
            &mut control,
            CircuitState::Closed,
            "reset by hand".to_owned(),
            changed,
        );
    }

    /// Forces the breaker open until reset.
    pub(crate) fn isolate(&self) {
        let mut control = self.lock();
        if self.load().state() != CircuitState::Isolated {
            let reason = "isolated by hand".to_owned();
            self.apply(&mut control, CircuitState::Isolated, reason, true);
        }
    }

    /// Performs a change under the control lock: side effects first, then
    /// the new word, then the event (if `notify`).
    fn apply(&self, control: &mut Control, to: CircuitState, reason: String, notify: bool) {
        let from = self.load().state();
        let now = self.now_nanos();
        let at = self.clock.system_now();
        let failure_count = self.window.counts(now).failures;
        match to {
            CircuitState::Open => {
                control.trips = control.trips.saturating_add(1);
                let open_for = nanos(self.config.open_duration_for_trip(control.trips));
                self.open_for.store(open_for, Ordering::Release);
                self.opened_wall.store(wall_nanos(at), Ordering::Release);
                self.next_probe
                    .store(now.saturating_add(open_for), Ordering::Release);
            }
            CircuitState::Isolated => {
                self.opened_wall.store(wall_nanos(at), Ordering::Release);
                self.next_probe.store(u64::MAX, Ordering::Release);
            }
            CircuitState::Closed => {
                control.trips = 0;
                self.window.clear();
                self.consecutive.store(0, Ordering::SeqCst);
                self.opened_wall.store(NONE, Ordering::Release);
                self.next_probe.store(0, Ordering::Release);
            }
            CircuitState::HalfOpen => {}
        }
        // Only the lock holder changes the generation; other writers only
        // move the probe counters, so this retries at most a few times.
        self.update_word(|w| w.advanced(to));
        if notify {
            let transition = Transition {
                key: self.key.to_string(),
                from,
                to,
                at,
                failure_count,
                reason,
            };
            log_transition(&transition);
            for observer in &control.observers {
                observer.on_transition(&transition);
            }
        }
    }

    /// Adds an observer for every later transition.
    pub(crate) fn add_observer(&self, observer: Arc<dyn BreakerObserver>) {
        self.lock().observers.push(observer);
    }

    /// The current picture, from atomics only.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let word = self.load();
        let state = word.state();
        let now = self.now_nanos();
        let counts = self.window.counts(now);
        let counted = self.rules.count_calls;
        let opened_at = match state {
            CircuitState::Closed => None,
            _ => wall_time(self.opened_wall.load(Ordering::Acquire)),
        };
        let open = state == CircuitState::Open;
        let open_for = Duration::from_nanos(self.open_for.load(Ordering::Acquire));
        Snapshot {
            state,
            failures_in_window: counts.failures,
            successes_in_window: counted.then(|| counts.calls.saturating_sub(counts.failures)),
            calls_in_window: counted.then_some(counts.calls),
            slow_calls_in_window: self.rules.slow_call_duration.map(|_| counts.slow),
            consecutive_failures: self.consecutive.load(Ordering::Acquire),
            probes_in_flight: word.in_flight(),
            opened_at,
            next_probe_at: opened_at.filter(|_| open).map(|at| at + open_for),
            next_probe_in: open.then(|| {
                Duration::from_nanos(self.next_probe.load(Ordering::Acquire).saturating_sub(now))
            }),
        }
    }
}
