//! Dynamics nodes: compressor, expander/gate, multiband compressor, limiter, clipper, de-esser.


use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    let _ = &c;
}
