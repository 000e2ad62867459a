//! One module per `mixgraph` command.

pub mod check;
pub mod devices;
pub mod graph;
pub mod live;
pub mod nodes;
pub mod play;
pub mod render;
