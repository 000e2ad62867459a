//! `split`: a stereo signal into two mono signals, `left` and `right`.
//!
//! A mono source connected to `in` is duplicated by the engine, so both outputs carry it.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, PortSpec,
    ProcessContext, Processor,
};

/// The `split` node type.
pub struct Split;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "split",
    doc: "Splits a stereo signal into mono `left` and `right` outputs",
    category: Category::Routing,
    source: "nodes/src/routing/split.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[
        PortSpec::output("left", Channels::Exact(1)),
        PortSpec::output("right", Channels::Exact(1)),
    ],
    params: &[],
};

impl NodeType for Split {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(SplitProcessor))
    }
}

struct SplitProcessor;

impl Processor for SplitProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for ch in 0..2 {
            let x = ctx.inputs.channel(0, ch);
            let out = ctx.outputs.channel(ch, 0);
            let n = out.len().min(x.len());
            out[..n].copy_from_slice(&x[..n]);
        }
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::Graph;

    use super::*;
    use crate::routing::merge::Merge;
    use crate::testkit;

    #[test]
    fn each_output_is_one_channel() {
        let input = testkit::noise(1, 2, 700);
        let out = testkit::render(Split, &[], std::slice::from_ref(&input), 48_000.0, 64);
        assert_eq!(out[0], vec![input[0].clone()]);
        assert_eq!(out[1], vec![input[1].clone()]);
    }

    #[test]
    fn split_then_merge_is_the_identity() {
        let catalog = crate::catalog();
        let mut g = Graph::new();
        let input = g
            .add_node("in0", catalog.get("input").unwrap(), &[])
            .unwrap();
        let split = g.add_node("split", Arc::new(Split), &[]).unwrap();
        let merge = g.add_node("merge", Arc::new(Merge), &[]).unwrap();
        let output = g
            .add_node("out", catalog.get("output").unwrap(), &[])
            .unwrap();
        g.connect(input, "out", split, "in").unwrap();
        g.connect(split, "left", merge, "left").unwrap();
        g.connect(split, "right", merge, "right").unwrap();
        g.connect(merge, "out", output, "in").unwrap();
        let audio = testkit::noise(2, 2, 3000);
        let out = testkit::render_graph(&g, std::slice::from_ref(&audio), 48_000.0, 100);
        assert_eq!(out[0], audio);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Split, &[]);
    }
}
