//! The `staunch` binary.
fn main() {}
