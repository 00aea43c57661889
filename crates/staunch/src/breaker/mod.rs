//! Circuit breakers: one per key, shared by every caller.

mod state;

pub use state::{CircuitState, Transition};
