//! Stereo nodes: pan, balance, width, mid/side, bass to mono, channel swap.


use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    let _ = &c;
}
