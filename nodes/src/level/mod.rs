//! Level nodes: gain, trim, fades, polarity, DC blocking.

pub mod gain;
