//! Meter nodes: peak/RMS, phase correlation, loudness, spectrum. They pass audio through unchanged.


use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    let _ = &c;
}
