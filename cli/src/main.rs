fn main() {}
//! The mixgraph command-line tool.
