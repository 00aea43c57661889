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
use super::observer::BreakerObserver;
use super::rules::Rules;
use super::window::Window;
use super::word::Word;
use super::{BreakerConfig, CircuitState};
use crate::clock::Clock;

mod outcome;
mod snapshot;
mod transition;

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
        let rules = Rules::new(&config);
        Self {
            hot: Hot {
                word: AtomicU64::new(Word::INITIAL.0),
                timed: rules.slow_call_duration.is_some(),
                counted: rules.count_calls,
            },
            consecutive: Padded(AtomicU64::new(0)),
            window: Window::new(config.window, config.window_buckets),
            next_probe: AtomicU64::new(0),
            opened_wall: AtomicU64::new(NONE),
            open_for: AtomicU64::new(0),
            rules,
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
}
