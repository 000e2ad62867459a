//! Stereo nodes: pan, balance, width, mid/side, bass to mono, channel swap.
//!
//! To work on the mid or the side alone: `ms_encode` → `split` → process `left` (the mid) or
//! `right` (the side) → `merge` → `ms_decode`.

pub mod balance;
pub mod bass_mono;
pub(crate) mod matrix;
pub mod ms_decode;
pub mod ms_encode;
pub mod pan;
pub mod swap;
pub mod width;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(pan::Pan);
    c.register(balance::Balance);
    c.register(width::Width);
    c.register(bass_mono::BassMono);
    c.register(swap::Swap);
    c.register(ms_encode::MsEncode);
    c.register(ms_decode::MsDecode);
}
