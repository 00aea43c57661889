//! Classification: is an HTTP outcome a success, worth retrying, or final,
//! and does it count against the endpoint's circuit breaker?

mod classifier;
mod error_kind;
mod status;

pub use classifier::{Classification, HttpClassifier};
pub use error_kind::{ErrorKind, ErrorKinds};
pub use status::StatusSet;
