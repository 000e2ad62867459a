//! Callback-time benchmark of the live runtime (being written).
fn main() {}
