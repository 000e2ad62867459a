//! Time nodes: delay, algorithmic reverb, convolution reverb.

pub mod convolution;
mod crossfade_time;
pub mod delay;
mod delay_line;
mod diffuser;
mod fdn;
mod impulse_response;
pub mod reverb;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(delay::Delay);
    c.register(reverb::Reverb);
    c.register(convolution::Convolution);
}
