//! Tone nodes: saturation.

pub mod saturation;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(saturation::Saturation);
}
