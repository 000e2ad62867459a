//! `ms_encode`: turns a left/right pair into mid/side (mid on the left channel, side on the
//! right), so any node can work on the mid or the side alone.
//!
//! Mid = (L + R) / 2, side = (L − R) / 2; [`super::ms_decode`] inverts it exactly. To process
//! only the mid (or only the side) with a node: `ms_encode` → `split` → process `left` (mid)
//! or `right` (side) → `merge` → `ms_decode`. For a stereo node, process the encoded pair as a
//! whole between `ms_encode` and `ms_decode`.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, PortSpec, Processor,
};

use super::matrix::{FixedMatrix, Matrix};

/// The `ms_encode` node type.
pub struct MsEncode;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "ms_encode",
    doc: "Left/right to mid/side: out left = (L+R)/2 (mid), out right = (L-R)/2 (side); undo with ms_decode",
    category: Category::Stereo,
    source: "nodes/src/stereo/ms_encode.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[],
};

/// Mid = (L + R) / 2, side = (L − R) / 2.
const ENCODE: Matrix = Matrix {
    ll: 0.5,
    lr: 0.5,
    rl: 0.5,
    rr: -0.5,
};

impl NodeType for MsEncode {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(FixedMatrix(ENCODE)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn mid_is_the_half_sum_and_side_the_half_difference() {
        let input = testkit::noise(4, 2, 1000);
        let out = testkit::render(MsEncode, &[], std::slice::from_ref(&input), 48_000.0, 64);
        for f in 0..1000 {
            let (l, r) = (input[0][f], input[1][f]);
            assert!((out[0][0][f] - (l + r) / 2.0).abs() < 1e-7);
            assert!((out[0][1][f] - (l - r) / 2.0).abs() < 1e-7);
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(MsEncode, &[]);
    }
}
