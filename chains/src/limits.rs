//! Limits that keep an untrusted chain (a preset shared by a stranger) from exhausting memory
//! or time. Each is far above anything a real session needs.

/// Largest chain file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Deepest nesting of subchains (a chain in a chain in a chain...).
pub const MAX_SUBCHAIN_DEPTH: usize = 32;

/// Most nodes in a chain once its subchains are expanded (inputs, outputs and subchain
/// nodes of every level counted).
pub const MAX_NODES: usize = 100_000;

/// Most connections in a chain once its subchains are flattened.
pub const MAX_CONNECTIONS: usize = 1_000_000;

/// Longest name of a node, input or output, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Lowest sample rate accepted, in Hz.
pub const MIN_SAMPLE_RATE: u32 = 8_000;

/// Highest sample rate accepted, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 768_000;
