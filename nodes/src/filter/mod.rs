//! Filters and equalizers: RBJ biquads, parametric and tilt EQ, Linkwitz-Riley crossovers.
//!
//! Every biquad-based node runs on [`cascade`]'s processor with its own design function;
//! [`params`] holds the shared parameter vocabulary and [`design`] the shared designs.

pub mod allpass;
pub mod bandpass;
mod cascade;
pub mod crossover;
mod design;
pub mod eq;
pub mod highpass;
pub mod highshelf;
pub mod lowpass;
pub mod lowshelf;
pub mod notch;
mod params;
pub mod peak;
#[cfg(test)]
mod testing;
pub mod tilt;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(lowpass::Lowpass);
    c.register(highpass::Highpass);
    c.register(bandpass::Bandpass);
    c.register(notch::Notch);
    c.register(peak::Peak);
    c.register(lowshelf::Lowshelf);
    c.register(highshelf::Highshelf);
    c.register(allpass::Allpass);
    c.register(eq::Eq);
    c.register(tilt::Tilt);
    c.register(crossover::Crossover);
}
