//! What every meter shares: one input of any channel count, copied unchanged to the output.

use mixgraph_engine::{Channels, PortSpec, ProcessContext};

/// A meter's input ports: one main input, any channel count.
pub(crate) const INPUTS: &[PortSpec] = &[PortSpec::input("in", Channels::Any)];
/// A meter's output ports: the input, unchanged.
pub(crate) const OUTPUTS: &[PortSpec] = &[PortSpec::output("out", Channels::SameAsInput(0))];

/// Copies every input channel to the same output channel.
#[inline]
pub(crate) fn pass_through(ctx: &mut ProcessContext<'_>) {
    for ch in 0..ctx.outputs.channels(0) {
        let input = ctx.inputs.channel(0, ch);
        let output = ctx.outputs.channel(0, ch);
        for (o, x) in output.iter_mut().zip(input) {
            *o = *x;
        }
    }
}
