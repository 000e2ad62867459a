//! `swap`: exchanges the left and right channels.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, PortSpec, Processor,
};

use super::matrix::{FixedMatrix, Matrix};

/// The `swap` node type.
pub struct Swap;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "swap",
    doc: "Exchanges the left and right channels",
    category: Category::Stereo,
    source: "nodes/src/stereo/swap.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[],
};

/// Left out = right in, right out = left in.
const SWAP: Matrix = Matrix {
    ll: 0.0,
    lr: 1.0,
    rl: 1.0,
    rr: 0.0,
};

impl NodeType for Swap {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(FixedMatrix(SWAP)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn left_and_right_trade_places() {
        let input = testkit::noise(3, 2, 1000);
        let out = testkit::render(Swap, &[], std::slice::from_ref(&input), 48_000.0, 64);
        assert_eq!(out[0][0], input[1]);
        assert_eq!(out[0][1], input[0]);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Swap, &[]);
    }
}
