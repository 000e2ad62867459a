//! End-to-end tests for mixgraph live in `tests/tests/`; this library holds what they share:
//! signal generators and WAV helpers, and a graph around any catalog node for the
//! catalog-wide tests and benchmarks.

pub mod node_fixture;
pub mod wav;
