//! Test support for meters: render a meter through the engine and read its readings.

use mixgraph_engine::{NodeType, ParamValue, Reading, ReadingValue};

use crate::testkit;

/// Renders `node` over `input` (one port) in blocks of `block` frames; returns its output and
/// its readings at the end.
pub(crate) fn measure(
    node: impl NodeType,
    params: &[(String, ParamValue)],
    input: &[Vec<f32>],
    sample_rate: f64,
    block: usize,
) -> (Vec<Vec<f32>>, Vec<Reading>) {
    let g = testkit::graph_for(std::sync::Arc::new(node), params, 1);
    let mut config = mixgraph_engine::CompileConfig::new(sample_rate, block);
    config.input_channels.insert("in0".to_string(), input.len());
    let mut s = mixgraph_engine::compile(&g, &config).unwrap();
    let mut out = vec![Vec::new(); input.len()];
    let len = input[0].len();
    let mut pos = 0;
    while pos < len {
        let n = block.min(len - pos);
        for (ch, x) in input.iter().enumerate() {
            s.input_buffer(0, ch)[..n].copy_from_slice(&x[pos..pos + n]);
        }
        s.process(n);
        for (ch, o) in out.iter_mut().enumerate() {
            o.extend_from_slice(s.output_buffer(0, ch));
        }
        pos += n;
    }
    let readings = s
        .readings()
        .into_iter()
        .find(|(name, _, _)| name == "node")
        .map(|r| r.2)
        .unwrap_or_default();
    (out, readings)
}

/// The value of a scalar reading; panics (failing the test) when there is none.
pub(crate) fn scalar(readings: &[Reading], name: &str) -> f64 {
    match readings.iter().find(|r| r.name == name).map(|r| &r.value) {
        Some(ReadingValue::Scalar(v)) => *v,
        other => panic!("no scalar reading `{name}`: {other:?}"),
    }
}
