//! `merge`: two mono signals, `left` and `right`, into one stereo signal.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, PortSpec,
    ProcessContext, Processor,
};

/// The `merge` node type.
pub struct Merge;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "merge",
    doc: "Merges mono `left` and `right` inputs into one stereo output",
    category: Category::Routing,
    source: "nodes/src/routing/merge.rs",
    inputs: &[
        PortSpec::input("left", Channels::Exact(1)),
        PortSpec::input("right", Channels::Exact(1)),
    ],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[],
};

impl NodeType for Merge {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(MergeProcessor))
    }
}

struct MergeProcessor;

impl Processor for MergeProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for ch in 0..2 {
            let x = ctx.inputs.channel(ch, 0);
            let out = ctx.outputs.channel(0, ch);
            let n = out.len().min(x.len());
            out[..n].copy_from_slice(&x[..n]);
        }
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn left_and_right_inputs_become_the_two_channels() {
        let (l, r) = (testkit::noise(1, 1, 700), testkit::noise(2, 1, 700));
        let out = testkit::render(Merge, &[], &[l.clone(), r.clone()], 48_000.0, 64);
        assert_eq!(out[0], vec![l[0].clone(), r[0].clone()]);
    }

    #[test]
    fn a_stereo_source_on_a_mono_input_is_refused_with_a_hint() {
        let g = testkit::graph_for(std::sync::Arc::new(Merge), &[], 2);
        let mut config = mixgraph_engine::CompileConfig::new(48_000.0, 64);
        config.input_channels.insert("in0".to_string(), 2);
        config.input_channels.insert("in1".to_string(), 1);
        let err = mixgraph_engine::compile(&g, &config)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("downmix"), "{err}");
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract_with_channels(Merge, &[], &[1, 1]);
    }
}
