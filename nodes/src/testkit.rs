//! Helpers for testing nodes through the real engine: render a node over given input, and
//! check the contract every node must keep (block-size invariance, reset, finite output,
//! no slowdown on denormals). Also signal generators.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure here is a failed test"
)]

use std::sync::Arc;

use mixgraph_engine::{CompileConfig, Graph, NodeType, ParamKind, ParamValue, Schedule, compile};

/// A numeric parameter for [`render`].
pub fn num(name: &str, value: f64) -> (String, ParamValue) {
    (name.to_string(), ParamValue::Number(value))
}

/// A choice or path parameter for [`render`].
pub fn text(name: &str, value: &str) -> (String, ParamValue) {
    (name.to_string(), ParamValue::Text(value.to_string()))
}

/// A flag parameter for [`render`].
pub fn flag(name: &str, value: bool) -> (String, ParamValue) {
    (name.to_string(), ParamValue::Bool(value))
}

/// Audio for one port: channels of samples.
pub type PortAudio = Vec<Vec<f32>>;

/// A graph: one `input` per entry of `inputs` wired to the node's input ports in order, and
/// one `output` per output port.
pub fn graph_for(node: Arc<dyn NodeType>, params: &[(String, ParamValue)], inputs: usize) -> Graph {
    let catalog = mixgraph_engine::Catalog::with_builtins();
    let mut g = Graph::new();
    let d = node.descriptor().clone();
    let id = g.add_node("node", node, params).expect("params");
    for p in 0..inputs {
        let i = g
            .add_node(format!("in{p}"), catalog.get("input").unwrap(), &[])
            .unwrap();
        g.connect_ports(i, 0, id, p).unwrap();
    }
    for p in 0..d.outputs.len() {
        let o = g
            .add_node(format!("out{p}"), catalog.get("output").unwrap(), &[])
            .unwrap();
        g.connect_ports(id, p, o, 0).unwrap();
    }
    g
}

/// Renders `node` over `inputs` (one entry per input port, all the same length) in blocks of
/// `block` frames and returns every output port's audio, as many frames as the input.
pub fn render(
    node: impl NodeType,
    params: &[(String, ParamValue)],
    inputs: &[PortAudio],
    sample_rate: f64,
    block: usize,
) -> Vec<PortAudio> {
    render_arc(Arc::new(node), params, inputs, sample_rate, block)
}

/// [`render`] for a shared node type.
pub fn render_arc(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    inputs: &[PortAudio],
    sample_rate: f64,
    block: usize,
) -> Vec<PortAudio> {
    let g = graph_for(node, params, inputs.len());
    render_graph(&g, inputs, sample_rate, block)
}

/// Renders a graph whose inputs are named `in0`, `in1`... (fed from `inputs`, in that order)
/// and returns its outputs in schedule order.
pub fn render_graph(
    g: &Graph,
    inputs: &[PortAudio],
    sample_rate: f64,
    block: usize,
) -> Vec<PortAudio> {
    render_graph_with(g, inputs, sample_rate, block, |_, _| {})
}

/// [`render_graph`], calling `before_block(schedule, position)` before every block (to change
/// parameters with [`Schedule::set_param`] at a known frame, as a live control would).
pub fn render_graph_with(
    g: &Graph,
    inputs: &[PortAudio],
    sample_rate: f64,
    block: usize,
    mut before_block: impl FnMut(&mut Schedule, usize),
) -> Vec<PortAudio> {
    let mut config = CompileConfig::new(sample_rate, block);
    for (p, audio) in inputs.iter().enumerate() {
        config.input_channels.insert(format!("in{p}"), audio.len());
    }
    let mut s = compile(g, &config).expect("compile");
    let len = inputs.first().map_or(0, |a| a.first().map_or(0, Vec::len));
    let order: Vec<usize> = s
        .inputs()
        .iter()
        .map(|port| port.name.trim_start_matches("in").parse::<usize>().unwrap())
        .collect();
    let mut out: Vec<PortAudio> = s
        .outputs()
        .iter()
        .map(|o| vec![Vec::with_capacity(len); o.channels])
        .collect();
    let mut pos = 0;
    while pos < len {
        let n = block.min(len - pos);
        before_block(&mut s, pos);
        for (slot, &p) in order.iter().enumerate() {
            for (ch, data) in inputs[p].iter().enumerate() {
                s.input_buffer(slot, ch)[..n].copy_from_slice(&data[pos..pos + n]);
            }
        }
        s.process(n);
        for (o, port) in out.iter_mut().enumerate() {
            for (ch, data) in port.iter_mut().enumerate() {
                data.extend_from_slice(s.output_buffer(o, ch));
            }
        }
        pos += n;
    }
    out
}

/// Deterministic white noise in -1..1, `channels` x `len`.
pub fn noise(seed: u64, channels: usize, len: usize) -> PortAudio {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..channels)
        .map(|_| {
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32
                })
                .collect()
        })
        .collect()
}

/// A sine of `amplitude` at `freq` Hz, `channels` identical channels.
pub fn sine(freq: f64, sample_rate: f64, amplitude: f64, channels: usize, len: usize) -> PortAudio {
    let one: Vec<f32> = (0..len)
        .map(|n| {
            (amplitude * (2.0 * std::f64::consts::PI * freq * n as f64 / sample_rate).sin()) as f32
        })
        .collect();
    vec![one; channels]
}

/// Checks what every node must do, for the given parameters, on stereo noise (and on every
/// input port the node has): the same output at block sizes 1, 64, 1000 and 4096; the same
/// output again after `reset`; finite output at every extreme of every numeric parameter.
pub fn check_node_contract(node: impl NodeType, params: &[(String, ParamValue)]) {
    check_node_contract_arc(Arc::new(node), params);
}

/// [`check_node_contract`] for a shared node type.
pub fn check_node_contract_arc(node: Arc<dyn NodeType>, params: &[(String, ParamValue)]) {
    let ports = node.descriptor().inputs.len();
    check_node_contract_with_channels_arc(node, params, &vec![2; ports]);
}

/// [`check_node_contract`] with noise of `channels[p]` channels on input port `p` (for nodes
/// with mono inputs, or to check the mono path of a node that takes any count).
pub fn check_node_contract_with_channels(
    node: impl NodeType,
    params: &[(String, ParamValue)],
    channels: &[usize],
) {
    check_node_contract_with_channels_arc(Arc::new(node), params, channels);
}

/// [`check_node_contract_with_channels`] for a shared node type.
pub fn check_node_contract_with_channels_arc(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    channels: &[usize],
) {
    let d = node.descriptor().clone();
    assert_eq!(
        channels.len(),
        d.inputs.len(),
        "`{}`: one channel count per input port",
        d.kind
    );
    let len = 9000;
    let inputs: Vec<PortAudio> = (0..d.inputs.len())
        .map(|p| noise(p as u64 + 7, channels[p], len))
        .collect();
    let sr = 48_000.0;
    let reference = render_arc(node.clone(), params, &inputs, sr, 1);
    for block in [64, 1000, 4096] {
        let out = render_arc(node.clone(), params, &inputs, sr, block);
        assert_eq!(
            out, reference,
            "`{}`: output at block size {block} differs from block size 1",
            d.kind
        );
    }
    // reset: process, reset, process again -> identical.
    let g = graph_for(node.clone(), params, inputs.len());
    let mut config = CompileConfig::new(sr, 512);
    for (p, &count) in channels.iter().enumerate() {
        config.input_channels.insert(format!("in{p}"), count);
    }
    let mut s = compile(&g, &config).unwrap();
    let run = |s: &mut mixgraph_engine::Schedule| {
        let mut first = Vec::new();
        for b in 0..4 {
            for slot in 0..s.inputs().len() {
                let p: usize = s.inputs()[slot].name[2..].parse().unwrap();
                for (ch, data) in inputs[p].iter().enumerate() {
                    s.input_buffer(slot, ch)[..512].copy_from_slice(&data[b * 512..(b + 1) * 512]);
                }
            }
            s.process(512);
            for o in 0..s.outputs().len() {
                for ch in 0..s.outputs()[o].channels {
                    first.extend_from_slice(s.output_buffer(o, ch));
                }
            }
        }
        first
    };
    let a = run(&mut s);
    s.reset();
    let b = run(&mut s);
    assert_eq!(a, b, "`{}`: output after reset differs", d.kind);
    // Extremes of every numeric parameter give finite output, also on full-scale input.
    let loud: Vec<PortAudio> = inputs
        .iter()
        .map(|p| {
            p.iter()
                .map(|c| c.iter().map(|x| x.signum() * 1.0).collect())
                .collect()
        })
        .collect();
    for spec in d.params {
        if let ParamKind::Number { min, max, .. } = spec.kind {
            for v in [min, max] {
                let mut ps: Vec<(String, ParamValue)> = params
                    .iter()
                    .filter(|(n, _)| n != spec.name)
                    .cloned()
                    .collect();
                ps.push(num(spec.name, v));
                for input in [&inputs, &loud] {
                    let short: Vec<PortAudio> = input
                        .iter()
                        .map(|p| p.iter().map(|c| c[..2048].to_vec()).collect())
                        .collect();
                    let out = render_arc(node.clone(), &ps, &short, sr, 256);
                    assert!(
                        out.iter().flatten().flatten().all(|x| x.is_finite()),
                        "`{}`: non-finite output with {} = {v}",
                        d.kind,
                        spec.name
                    );
                }
            }
        }
    }
}

/// The amplitude of the `freq` Hz component of `signal`: a least-squares fit of a sine and a
/// cosine at that frequency (exact for a pure tone; other components leak in little when the
/// signal spans many periods).
pub fn amplitude_at(signal: &[f32], freq: f64, sample_rate: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / sample_rate;
    let (mut ss, mut cc, mut sc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (n, &x) in signal.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += f64::from(x) * s;
        xc += f64::from(x) * c;
    }
    let det = ss * cc - sc * sc;
    if det.abs() < f64::MIN_POSITIVE {
        return 0.0;
    }
    let a = (xs * cc - xc * sc) / det;
    let b = (xc * ss - xs * sc) / det;
    a.hypot(b)
}

/// Allocations made while `node` processes half a second of stereo noise (scaled by `level`)
/// on each of its `ports` inputs in uneven block sizes (1 to 1024 frames), with `changes`
/// (parameter name, value) applied one after another between blocks. Counts only when the
/// test binary installs [`mixgraph_engine::alloc_counter::CountingAllocator`] as its global
/// allocator.
pub fn allocations_while_processing(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    ports: usize,
    changes: &[(&str, f64)],
    level: f32,
) -> u64 {
    use mixgraph_engine::alloc_counter;
    let d = node.descriptor().clone();
    let changes: Vec<(usize, f64)> = changes
        .iter()
        .map(|(name, v)| (d.params.iter().position(|p| p.name == *name).unwrap(), *v))
        .collect();
    let g = graph_for(node, params, ports);
    let mut config = CompileConfig::new(48_000.0, 1024);
    for p in 0..ports {
        config.input_channels.insert(format!("in{p}"), 2);
    }
    let mut s = compile(&g, &config).unwrap();
    let index = s.node_index("node").unwrap();
    let x: Vec<Vec<f32>> = noise(3, 2, 1024)
        .into_iter()
        .map(|c| c.into_iter().map(|v| level * v).collect())
        .collect();
    let blocks = [1024, 1, 37, 512, 480, 3];
    alloc_counter::reset();
    alloc_counter::watch(true);
    let (mut done, mut k) = (0, 0);
    while done < 24_000 {
        let n = blocks[k % blocks.len()];
        for slot in 0..ports {
            for (ch, data) in x.iter().enumerate() {
                s.input_buffer(slot, ch)[..n].copy_from_slice(&data[..n]);
            }
        }
        s.process(n);
        if let Some(&(param, value)) = changes.get(k % 8) {
            s.set_param(index, param, value);
        }
        done += n;
        k += 1;
    }
    alloc_counter::watch(false);
    alloc_counter::count()
}
