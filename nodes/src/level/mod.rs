//! Level nodes: gain, trim, fades, polarity, DC blocking.

pub(crate) mod db_gain;
pub mod dc_blocker;
pub mod fade;
pub mod gain;
pub mod polarity;
pub mod trim;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(gain::Gain);
    c.register(trim::Trim);
    c.register(fade::Fade);
    c.register(polarity::Polarity);
    c.register(dc_blocker::DcBlocker);
}
