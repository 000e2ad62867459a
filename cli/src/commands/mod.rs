//! One module per `mixgraph` command.

pub mod check;
pub mod graph;
pub mod nodes;
pub mod render;
