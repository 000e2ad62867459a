//! Level nodes: gain, trim, fades, polarity, DC blocking.

pub mod gain;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    let _ = &c;
    c.register(gain::Gain);
}
