//! Placeholder, filled in by its module.
fn main() {}
