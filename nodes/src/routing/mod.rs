//! Routing nodes: sum buses, channel split and merge, downmix.
//!
//! Two routing rules need no node because the engine applies them to every connection:
//! - **Fan-in is summed.** Any number of connections may go into one input port; the engine
//!   adds them sample by sample before the node runs (`sum` is that sum as a named bus with a
//!   fader).
//! - **Mono into stereo is duplicated.** A mono source feeding a wider input (a stereo port,
//!   or a sum whose widest source is stereo) is copied to every channel, so there is no
//!   `mono_to_stereo` node. The other way, a stereo source into a mono input, is refused:
//!   place a `downmix` (or a `split`) before it.

pub mod downmix;
pub mod merge;
pub mod split;
pub mod sum;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(sum::Sum);
    c.register(split::Split);
    c.register(merge::Merge);
    c.register(downmix::Downmix);
}
