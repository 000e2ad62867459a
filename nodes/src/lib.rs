//! mixgraph's DSP catalog: every node type, each in its own file named after its kind,
//! grouped by family (level, filter, dynamics, stereo, time, tone, meter, routing).
//!
//! [`catalog`] returns all of them plus the engine's builtin routing nodes.

pub mod dsp;
pub mod dynamics;
pub mod filter;
pub mod level;
pub mod meter;
pub mod routing;
pub mod stereo;
pub mod testkit;
pub mod time;
pub mod tone;

use mixgraph_engine::Catalog;

/// Every node type mixgraph ships, plus the engine's `input`, `output` and `feedback`.
pub fn catalog() -> Catalog {
    let mut c = Catalog::with_builtins();
    routing::register(&mut c);
    level::register(&mut c);
    filter::register(&mut c);
    dynamics::register(&mut c);
    stereo::register(&mut c);
    time::register(&mut c);
    tone::register(&mut c);
    meter::register(&mut c);
    c
}
