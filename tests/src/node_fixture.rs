//! A graph around one catalog node, as the catalog-wide tests and the per-node benchmarks
//! use it: one `input` per main input port (named `in0`, `in1`... in port order; sidechain
//! inputs stay unconnected), one `output` per output port (`out0`, `out1`...), and a file
//! written for every file parameter (an impulse response: the only kind of file a node reads).

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a failed test"
)]

use std::path::Path;
use std::sync::Arc;

use mixgraph_engine::{
    Catalog, Channels, CompileConfig, Graph, NodeType, ParamKind, ParamValue, PortRole, PortSpec,
    Schedule, compile,
};
use mixgraph_nodes::testkit;

/// The engine's `input` and `output` kinds: every graph, and so every other test, runs
/// through them; they cannot sit in the middle of a graph, so the catalog-wide tests and
/// benchmarks skip them.
pub const ENDPOINTS: [&str; 2] = ["input", "output"];

/// The channel count fed to an input port: its exact count, or stereo when it takes any.
pub fn port_channels(port: &PortSpec) -> usize {
    match port.channels {
        Channels::Exact(n) => n,
        _ => 2,
    }
}

/// Writes a deterministic stereo impulse response: noise under an exponential decay of 60 dB
/// over `seconds`, 32-bit float at `sample_rate`.
pub fn write_impulse_response(path: &Path, sample_rate: u32, seconds: f64) {
    let len = ((seconds * f64::from(sample_rate)) as usize).max(1);
    let decay = (-60.0f64 / 20.0 * std::f64::consts::LN_10) / len as f64;
    let channels: Vec<Vec<f32>> = testkit::noise(11, 2, len)
        .into_iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .map(|(n, x)| x * (0.5 * (decay * n as f64).exp()) as f32)
                .collect()
        })
        .collect();
    crate::wav::write_f32(path, sample_rate, &channels);
}

/// Values for the file parameters of a node (which have no default): an impulse response of
/// `ir_seconds` written into `dir` at `sample_rate`.
pub fn file_params(
    node: &dyn NodeType,
    dir: &Path,
    sample_rate: u32,
    ir_seconds: f64,
) -> Vec<(String, ParamValue)> {
    let d = node.descriptor();
    d.params
        .iter()
        .filter(|p| matches!(p.kind, ParamKind::Path))
        .map(|p| {
            let path = dir.join(format!("{}-{}-{sample_rate}.wav", d.kind, p.name));
            if !path.exists() {
                write_impulse_response(&path, sample_rate, ir_seconds);
            }
            (
                p.name.to_string(),
                ParamValue::Text(path.to_string_lossy().into_owned()),
            )
        })
        .collect()
}

/// One node of the catalog in a graph of its own.
pub struct NodeFixture {
    /// The node's kind.
    pub kind: &'static str,
    /// `in0`... -> the node (named `node`) -> `out0`...
    pub graph: Graph,
    /// Channel count of each graph input, `in0` first.
    pub input_channels: Vec<usize>,
}

impl NodeFixture {
    /// Builds the graph around `node` with the given parameters (the rest at their defaults).
    pub fn new(node: Arc<dyn NodeType>, params: &[(String, ParamValue)]) -> Self {
        let builtins = Catalog::with_builtins();
        let d = node.descriptor().clone();
        let mut g = Graph::new();
        let id = g.add_node("node", node, params).unwrap();
        let mut input_channels = Vec::new();
        for (p, port) in d.inputs.iter().enumerate() {
            if port.role == PortRole::Main {
                let i = g
                    .add_node(
                        format!("in{}", input_channels.len()),
                        builtins.get("input").unwrap(),
                        &[],
                    )
                    .unwrap();
                g.connect_ports(i, 0, id, p).unwrap();
                input_channels.push(port_channels(port));
            }
        }
        for p in 0..d.outputs.len() {
            let o = g
                .add_node(format!("out{p}"), builtins.get("output").unwrap(), &[])
                .unwrap();
            g.connect_ports(id, p, o, 0).unwrap();
        }
        NodeFixture {
            kind: d.kind,
            graph: g,
            input_channels,
        }
    }

    /// Compiles the graph with every input at its channel count.
    pub fn compile(&self, sample_rate: f64, block: usize) -> Schedule {
        let mut config = CompileConfig::new(sample_rate, block);
        for (p, &n) in self.input_channels.iter().enumerate() {
            config.input_channels.insert(format!("in{p}"), n);
        }
        compile(&self.graph, &config).unwrap_or_else(|e| panic!("`{}`: {e}", self.kind))
    }

    /// The same `signal` (one channel) on every channel of every input port.
    pub fn inputs_of(&self, signal: &[f32]) -> Vec<testkit::PortAudio> {
        self.input_channels
            .iter()
            .map(|&n| vec![signal.to_vec(); n])
            .collect()
    }

    /// Deterministic noise in -1..1 on every channel of every input port (different on each).
    pub fn noise_inputs(&self, seed: u64, len: usize) -> Vec<testkit::PortAudio> {
        self.input_channels
            .iter()
            .enumerate()
            .map(|(p, &n)| testkit::noise(seed + p as u64, n, len))
            .collect()
    }
}

/// Copies frames `pos..pos + n` of `inputs` (indexed like `in0`, `in1`...) into the
/// schedule's input buffers, whatever order the schedule keeps its inputs in.
pub fn load_block(s: &mut Schedule, inputs: &[testkit::PortAudio], pos: usize, n: usize) {
    for slot in 0..s.inputs().len() {
        let p: usize = s.inputs()[slot]
            .name
            .trim_start_matches("in")
            .parse()
            .unwrap();
        for (ch, data) in inputs[p].iter().enumerate() {
            s.input_buffer(slot, ch)[..n].copy_from_slice(&data[pos..pos + n]);
        }
    }
}

/// Every channel of every output of the last block, appended to `out` (one entry per
/// output channel, outputs in schedule order).
pub fn collect_block(s: &Schedule, out: &mut Vec<Vec<f32>>) {
    let mut k = 0;
    for o in 0..s.outputs().len() {
        for ch in 0..s.outputs()[o].channels {
            if out.len() <= k {
                out.push(Vec::new());
            }
            out[k].extend_from_slice(s.output_buffer(o, ch));
            k += 1;
        }
    }
}
