//! Shared test support: a small catalog whose node types cover every port and parameter
//! shape validation deals with, and helpers to validate chain text.

#![allow(
    dead_code,
    reason = "each test file uses a different part of this module"
)]
#![allow(
    clippy::unwrap_used,
    clippy::result_large_err,
    reason = "test support: a failure here is a failed test; errors are as the library returns them"
)]

use mixgraph_chains::{ChainError, ChainSpec, Origin, ValidChain, load_str, validate};
use mixgraph_engine::{
    ActivateError, Catalog, Category, Channels, CompileConfig, NodeConfig, NodeDescriptor,
    NodeType, ParamSpec, PortSpec, ProcessContext, Processor, Schedule, Unit,
};

/// Copies its main input to every output channel; the processor of every test node.
struct Through;

impl Processor for Through {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for port in 0..ctx.outputs.ports() {
            for ch in 0..ctx.outputs.channels(port) {
                let x = ctx.inputs.channel(0, ch);
                ctx.outputs.channel(port, ch).copy_from_slice(x);
            }
        }
    }
    fn reset(&mut self) {}
}

/// A test node type from a static descriptor.
struct TestNode(&'static NodeDescriptor);

impl NodeType for TestNode {
    fn descriptor(&self) -> &NodeDescriptor {
        self.0
    }
    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(Through))
    }
}

/// `duck`: a main input, an optional mono sidechain `key`, and one parameter of each kind.
static DUCK: NodeDescriptor = NodeDescriptor {
    kind: "duck",
    doc: "test: ducks the input by the key",
    category: Category::Dynamics,
    source: "chains/tests/common/mod.rs",
    inputs: &[
        PortSpec::input("in", Channels::Any),
        PortSpec::sidechain("key", Channels::Exact(1)),
    ],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "depth",
            "How far to duck",
            Unit::Db,
            -60.0,
            0.0,
            -10.0,
            10.0,
        ),
        ParamSpec::choice("mode", "Knee", &["soft", "hard"], "soft"),
        ParamSpec::flag("enabled", "On or off", true),
    ],
};

/// `convolve`: needs a file path.
static CONVOLVE: NodeDescriptor = NodeDescriptor {
    kind: "convolve",
    doc: "test: needs an impulse response",
    category: Category::Time,
    source: "chains/tests/common/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::path("ir", "Impulse response file")],
};

/// `mono`: takes and gives exactly one channel.
static MONO: NodeDescriptor = NodeDescriptor {
    kind: "mono",
    doc: "test: mono only",
    category: Category::Level,
    source: "chains/tests/common/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(1))],
    outputs: &[PortSpec::output("out", Channels::Exact(1))],
    params: &[],
};

/// `probe`: a meter; it may feed nothing.
static PROBE: NodeDescriptor = NodeDescriptor {
    kind: "probe",
    doc: "test: a meter",
    category: Category::Meter,
    source: "chains/tests/common/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[],
};

/// `fork`: one input, two outputs `a` and `b`.
static FORK: NodeDescriptor = NodeDescriptor {
    kind: "fork",
    doc: "test: two copies",
    category: Category::Routing,
    source: "chains/tests/common/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[
        PortSpec::output("a", Channels::SameAsInput(0)),
        PortSpec::output("b", Channels::SameAsInput(0)),
    ],
    params: &[],
};

/// The engine's builtins, the real `gain`, and the test nodes above.
pub fn catalog() -> Catalog {
    let mut c = Catalog::with_builtins();
    c.register(mixgraph_nodes::level::gain::Gain);
    for d in [&DUCK, &CONVOLVE, &MONO, &PROBE, &FORK] {
        c.register(TestNode(d));
    }
    c
}

/// The file name test chains are given.
pub const FILE: &str = "test.ron";

/// Reads chain text named [`FILE`].
pub fn load(text: &str) -> ChainSpec {
    load_str(text, Origin::named(FILE)).unwrap()
}

/// Reads and validates chain text named [`FILE`] against the test catalog.
pub fn check(text: &str) -> Result<ValidChain, ChainError> {
    validate(&load_str(text, Origin::named(FILE))?, &catalog())
}

/// The error validating `text` gives; its message must start with the file and `line`.
pub fn error_at(text: &str, line: usize) -> ChainError {
    let e = check(text).unwrap_err();
    let message = e.to_string();
    let at = e
        .location()
        .unwrap_or_else(|| panic!("no location in {message}"));
    assert_eq!(at.file, FILE, "{message}");
    assert_eq!(at.line(), Some(line), "{message}");
    assert!(message.starts_with(&format!("{FILE}:{line}:")), "{message}");
    e
}

/// Asserts a message contains every fragment.
pub fn assert_mentions(e: &ChainError, fragments: &[&str]) {
    let message = e.to_string();
    for f in fragments {
        assert!(message.contains(f), "`{f}` missing from: {message}");
    }
}

/// Compiles a valid chain at 48 kHz with the given block and channel counts of inputs.
pub fn compile(chain: &ValidChain, block: usize, inputs: &[(&str, usize)]) -> Schedule {
    let mut config = CompileConfig::new(48_000.0, block);
    for (name, channels) in inputs {
        config.input_channels.insert((*name).to_string(), *channels);
    }
    chain.compile(&config).unwrap()
}

/// Runs a compiled schedule over whole signals, one per input in schedule order, in blocks
/// of its maximum block size; returns each output's channels.
pub fn run(s: &mut Schedule, inputs: &[(&str, Vec<Vec<f32>>)]) -> Vec<(String, Vec<Vec<f32>>)> {
    let len = inputs.first().map_or(0, |(_, a)| a[0].len());
    let block = s.max_block();
    let mut out: Vec<(String, Vec<Vec<f32>>)> = s
        .outputs()
        .iter()
        .map(|o| (o.name.clone(), vec![Vec::new(); o.channels]))
        .collect();
    let slots: Vec<usize> = s
        .inputs()
        .iter()
        .map(|port| inputs.iter().position(|(n, _)| *n == port.name).unwrap())
        .collect();
    let mut pos = 0;
    while pos < len {
        let n = block.min(len - pos);
        for (slot, &i) in slots.iter().enumerate() {
            for (ch, data) in inputs[i].1.iter().enumerate() {
                s.input_buffer(slot, ch)[..n].copy_from_slice(&data[pos..pos + n]);
            }
        }
        s.process(n);
        for (o, (_, port)) in out.iter_mut().enumerate() {
            for (ch, data) in port.iter_mut().enumerate() {
                data.extend_from_slice(&s.output_buffer(o, ch)[..n]);
            }
        }
        pos += n;
    }
    out
}

/// A deterministic test signal: `channels` channels of a different ramp-modulated tone each.
pub fn signal(seed: u32, channels: usize, len: usize) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|ch| {
            (0..len)
                .map(|n| {
                    let f = 0.01 + 0.003 * f64::from(seed) + 0.002 * ch as f64;
                    (0.5 * (f * n as f64).sin()) as f32
                })
                .collect()
        })
        .collect()
}

/// Asserts two signals agree within `tol`.
pub fn assert_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "sample {i}: {x} vs {y}");
    }
}
