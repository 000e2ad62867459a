//! Meter nodes: peak/RMS, phase correlation, loudness, spectrum. They pass audio through unchanged.

mod channel_names;
pub mod correlation_meter;
pub mod loudness_meter;
#[cfg(test)]
mod measure;
mod pass_through;
pub mod peak_meter;
pub mod spectrum;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(peak_meter::PeakMeter);
    c.register(correlation_meter::CorrelationMeter);
    c.register(loudness_meter::LoudnessMeter);
    c.register(spectrum::Spectrum);
}
