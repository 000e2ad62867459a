//! `ms_decode`: turns a mid/side pair (mid on the left channel, side on the right) back into
//! left/right: L = M + S, R = M − S, the exact inverse of [`super::ms_encode`].

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, PortSpec, Processor,
};

use super::matrix::{FixedMatrix, Matrix};

/// The `ms_decode` node type.
pub struct MsDecode;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "ms_decode",
    doc: "Mid/side to left/right: L = M+S, R = M-S (mid on the left input channel, side on the right)",
    category: Category::Stereo,
    source: "nodes/src/stereo/ms_decode.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[],
};

/// L = M + S, R = M − S.
const DECODE: Matrix = Matrix {
    ll: 1.0,
    lr: 1.0,
    rl: 1.0,
    rr: -1.0,
};

impl NodeType for MsDecode {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(FixedMatrix(DECODE)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::Graph;

    use super::*;
    use crate::stereo::ms_encode::MsEncode;
    use crate::testkit;

    #[test]
    fn left_is_mid_plus_side_and_right_mid_minus_side() {
        let input = testkit::noise(5, 2, 1000);
        let out = testkit::render(MsDecode, &[], std::slice::from_ref(&input), 48_000.0, 64);
        for f in 0..1000 {
            let (m, s) = (input[0][f], input[1][f]);
            assert!((out[0][0][f] - (m + s)).abs() < 1e-6);
            assert!((out[0][1][f] - (m - s)).abs() < 1e-6);
        }
    }

    #[test]
    fn encode_then_decode_is_the_identity() {
        let catalog = mixgraph_engine::Catalog::with_builtins();
        let mut g = Graph::new();
        let input = g
            .add_node("in0", catalog.get("input").unwrap(), &[])
            .unwrap();
        let enc = g.add_node("enc", Arc::new(MsEncode), &[]).unwrap();
        let dec = g.add_node("dec", Arc::new(MsDecode), &[]).unwrap();
        let output = g
            .add_node("out", catalog.get("output").unwrap(), &[])
            .unwrap();
        g.connect(input, "out", enc, "in").unwrap();
        g.connect(enc, "out", dec, "in").unwrap();
        g.connect(dec, "out", output, "in").unwrap();
        let audio = testkit::noise(6, 2, 4000);
        let out = testkit::render_graph(&g, std::slice::from_ref(&audio), 48_000.0, 256);
        for ch in 0..2 {
            for (o, i) in out[0][ch].iter().zip(&audio[ch]) {
                assert!((o - i).abs() < 1e-6, "{o} != {i}");
            }
        }
    }

    #[test]
    fn the_mid_alone_can_be_processed_between_split_and_merge() {
        // ms_encode -> split -> gain on `left` (the mid) -> merge -> ms_decode.
        let catalog = crate::catalog();
        let node = |g: &mut Graph, name: &str, kind: &str, params: &[_]| {
            g.add_node(name, catalog.get(kind).unwrap(), params)
                .unwrap()
        };
        let mut g = Graph::new();
        let input = node(&mut g, "in0", "input", &[]);
        let enc = node(&mut g, "enc", "ms_encode", &[]);
        let split = node(&mut g, "split", "split", &[]);
        let mid_gain = node(&mut g, "mid_gain", "gain", &[testkit::num("gain", -6.0)]);
        let merge = node(&mut g, "merge", "merge", &[]);
        let dec = node(&mut g, "dec", "ms_decode", &[]);
        let output = node(&mut g, "out", "output", &[]);
        g.connect(input, "out", enc, "in").unwrap();
        g.connect(enc, "out", split, "in").unwrap();
        g.connect(split, "left", mid_gain, "in").unwrap();
        g.connect(mid_gain, "out", merge, "left").unwrap();
        g.connect(split, "right", merge, "right").unwrap();
        g.connect(merge, "out", dec, "in").unwrap();
        g.connect(dec, "out", output, "in").unwrap();
        let audio = testkit::noise(7, 2, 3000);
        let out = testkit::render_graph(&g, std::slice::from_ref(&audio), 48_000.0, 512);
        let k = 10f32.powf(-6.0 / 20.0);
        for f in 0..3000 {
            let (l, r) = (audio[0][f], audio[1][f]);
            let (m, s) = ((l + r) / 2.0, (l - r) / 2.0);
            assert!((out[0][0][f] - (k * m + s)).abs() < 1e-6);
            assert!((out[0][1][f] - (k * m - s)).abs() < 1e-6);
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(MsDecode, &[]);
    }
}
