//! End-to-end tests for mixgraph live in `tests/tests/`; this library holds what they share:
//! signal generators and WAV helpers.
