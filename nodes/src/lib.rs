//! mixgraph's DSP catalog: every node type, each in its own file named after its kind,
//! grouped by family (level, filter, dynamics, stereo, time, tone, meter, routing).
//!
//! [`catalog`] returns all of them plus the engine's builtin routing nodes.

pub mod level;
pub mod testkit;

use mixgraph_engine::Catalog;

/// Every node type mixgraph ships, plus the engine's `input`, `output` and `feedback`.
pub fn catalog() -> Catalog {
    let mut c = Catalog::with_builtins();
    c.register(level::gain::Gain);
    c
}
