//! One module per `mixgraph` command.

pub mod analyze;
pub mod check;
pub mod devices;
pub mod export;
pub mod graph;
pub mod live;
pub mod master;
pub mod nodes;
pub mod play;
pub mod render;
