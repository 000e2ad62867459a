//! Test-only node types and helpers for the engine's integration tests (the real catalog
//! lives in mixgraph-nodes, which the engine does not depend on).

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared by several test binaries, each using a part"
)]

pub mod random_dag;

use std::sync::Arc;

use mixgraph_engine::{
    ActivateError, Catalog, Category, Channels, CompileConfig, Graph, NodeConfig, NodeDescriptor,
    NodeId, NodeType, ParamSpec, ParamValue, PortSpec, ProcessContext, Processor, Schedule,
    Smoothed, Unit, compile,
};

/// Multiplies by a linear factor `k` (smoothed); any channels.
pub struct Scale;

static SCALE: NodeDescriptor = NodeDescriptor {
    kind: "scale",
    doc: "test: multiply by k",
    category: Category::Level,
    source: "engine/tests/common/mod.rs",
    inputs: &[
        PortSpec::input("in", Channels::Any),
        PortSpec::sidechain("key", Channels::Any),
    ],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "k",
        "factor",
        Unit::Factor,
        -10.0,
        10.0,
        1.0,
        10.0,
    )],
};

struct ScaleProc {
    k0: f64,
    k: Smoothed,
}

impl NodeType for Scale {
    fn descriptor(&self) -> &NodeDescriptor {
        &SCALE
    }
    fn activate(&self, c: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let k0 = c.params.number("k");
        Ok(Box::new(ScaleProc {
            k0,
            k: Smoothed::new(k0),
        }))
    }
}

impl Processor for ScaleProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let chans = ctx.outputs.channels(0);
        for f in 0..ctx.frames() {
            let k = self.k.next() as f32;
            for ch in 0..chans {
                ctx.outputs.channel(0, ch)[f] = ctx.inputs.channel(0, ch)[f] * k;
            }
        }
    }
    fn set_param(&mut self, _index: usize, value: f64, ramp: usize) {
        self.k.set(value, ramp);
    }
    fn reset(&mut self) {
        self.k.reset(self.k0);
    }
}

/// Delays by `frames` and declares that latency; any channels.
pub struct Lag;

static LAG: NodeDescriptor = NodeDescriptor {
    kind: "lag",
    doc: "test: a latency-declaring delay",
    category: Category::Time,
    source: "engine/tests/common/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "frames",
        "latency",
        Unit::Samples,
        0.0,
        100_000.0,
        64.0,
        0.0,
    )],
};

struct LagProc {
    lines: Vec<Vec<f32>>,
    pos: usize,
}

impl NodeType for Lag {
    fn descriptor(&self) -> &NodeDescriptor {
        &LAG
    }
    fn activate(&self, c: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let n = c.params.number("frames") as usize;
        Ok(Box::new(LagProc {
            lines: vec![vec![0.0; n.max(1)]; c.input_channels[0]],
            pos: 0,
        }))
    }
}

impl Processor for LagProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let len = self.lines.first().map_or(1, Vec::len);
        let latency = self.latency();
        let start = self.pos;
        for (ch, line) in self.lines.iter_mut().enumerate() {
            let x = ctx.inputs.channel(0, ch);
            let out = ctx.outputs.channel(0, ch);
            let mut p = start;
            for (o, i) in out.iter_mut().zip(x) {
                if latency == 0 {
                    *o = *i;
                } else {
                    *o = line[p];
                    line[p] = *i;
                    p = (p + 1) % len;
                }
            }
        }
        self.pos = (start + ctx.frames()) % len;
    }
    fn reset(&mut self) {
        for l in &mut self.lines {
            l.fill(0.0);
        }
        self.pos = 0;
    }
    fn latency(&self) -> usize {
        match self.lines.first() {
            Some(l) if l.len() > 1 => l.len(),
            _ => 0,
        }
    }
}

/// A catalog with the builtins plus `scale` and `lag`.
pub fn catalog() -> Catalog {
    let mut c = Catalog::with_builtins();
    c.register(Scale);
    c.register(Lag);
    c
}

/// Adds a node of `kind` with numeric params.
pub fn add(g: &mut Graph, c: &Catalog, name: &str, kind: &str, params: &[(&str, f64)]) -> NodeId {
    let params: Vec<(String, ParamValue)> = params
        .iter()
        .map(|(n, v)| (n.to_string(), ParamValue::Number(*v)))
        .collect();
    g.add_node(name, c.get(kind).unwrap(), &params).unwrap()
}

/// Adds an `input` node with a fixed channel count.
pub fn input(g: &mut Graph, c: &Catalog, name: &str, channels: usize) -> NodeId {
    add(g, c, name, "input", &[("channels", channels as f64)])
}

/// Connects main ports.
pub fn wire(g: &mut Graph, a: NodeId, b: NodeId) {
    g.connect_ports(a, 0, b, 0).unwrap();
}

/// Deterministic noise in -1..1.
pub fn noise(seed: u64, len: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32
        })
        .collect()
}

/// Runs a compiled schedule over per-input channel data (inputs in schedule order) and
/// returns every output's channels.
pub fn run(
    s: &mut Schedule,
    inputs: &[Vec<Vec<f32>>],
    len: usize,
    block: usize,
) -> Vec<Vec<Vec<f32>>> {
    let mut out: Vec<Vec<Vec<f32>>> = s
        .outputs()
        .iter()
        .map(|o| vec![Vec::new(); o.channels])
        .collect();
    let mut pos = 0;
    while pos < len {
        let n = block.min(len - pos);
        for (i, chans) in inputs.iter().enumerate() {
            for (ch, data) in chans.iter().enumerate() {
                s.input_buffer(i, ch)[..n].copy_from_slice(&data[pos..pos + n]);
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

/// Compiles with a sample rate of 48 kHz.
pub fn build(g: &Graph, block: usize) -> Schedule {
    compile(g, &CompileConfig::new(48_000.0, block)).unwrap()
}

/// Shares a node type.
pub fn arc<T: NodeType>(t: T) -> Arc<dyn NodeType> {
    Arc::new(t)
}
