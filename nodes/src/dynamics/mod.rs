//! Dynamics nodes: compressor, expander/gate, multiband compressor, limiter, clipper, de-esser.

pub mod clipper;
pub mod compressor;
pub mod compressor_core;
pub mod deesser;
pub mod expander;
pub mod gain_computer;
pub mod limiter;
pub mod lookahead;
pub mod multiband_compressor;
#[cfg(test)]
pub(crate) mod test_support;

use mixgraph_engine::Catalog;

/// How far a filter's ringing decays before it counts as ended, for declared tails (as in
/// the filter family).
pub(crate) const TAIL_DECAY_DB: f64 = 120.0;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(clipper::Clipper);
    c.register(compressor::Compressor);
    c.register(deesser::Deesser);
    c.register(expander::Expander);
    c.register(limiter::Limiter);
    c.register(multiband_compressor::MultibandCompressor);
}
