//! Time of the live audio callback body ([`AudioCore::render`], what the cpal callback
//! calls) at 64-frame callbacks and 48 kHz: median, 99th and 99.9th percentile and the worst
//! case, against the 1.333 ms period.
//!
//! The engine cannot use the node catalog (it sits below it), so the chains are built from
//! node types defined here that cost what their real counterparts cost: a TDF-II biquad per
//! channel (an EQ band), a feed-forward compressor with a log-domain gain computer (a
//! `log10` and a `powf` per frame), and a latency-declaring look-ahead delay.
//!
//! The same measurement with the real node catalog and the shipped presets is
//! `tests/benches/live_callback.rs`; both use [`mixgraph_engine::live::callback_timing`].
//!
//! Run: `cargo bench -p mixgraph-engine --bench live_callback`

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

#[path = "../tests/common/mod.rs"]
mod common;

use std::f64::consts::PI;

use common::{add, catalog, input, noise, wire};
use mixgraph_engine::live::callback_timing::{CallbackTimes, TimingOptions, time_callbacks};
use mixgraph_engine::{
    ActivateError, Catalog, Category, Channels, CompileConfig, Graph, NodeConfig, NodeDescriptor,
    NodeType, ParamSpec, PortSpec, ProcessContext, Processor, Unit,
};

const RATE: f64 = 48_000.0;
const FRAMES: usize = 64;

/// A peaking EQ band (RBJ), one TDF-II section per channel.
struct Band;

static BAND: NodeDescriptor = NodeDescriptor {
    kind: "band",
    doc: "bench: peaking EQ band",
    category: Category::Tone,
    source: "engine/benches/live_callback.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number("freq", "centre", Unit::Hz, 20.0, 20_000.0, 1000.0, 0.0),
        ParamSpec::number("gain", "boost", Unit::Db, -24.0, 24.0, 3.0, 0.0),
    ],
};

struct BandProc {
    b: [f64; 3],
    a: [f64; 2],
    state: Vec<[f64; 2]>,
}

impl NodeType for Band {
    fn descriptor(&self) -> &NodeDescriptor {
        &BAND
    }
    fn activate(&self, c: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let (f, g, q) = (c.params.number("freq"), c.params.number("gain"), 1.0);
        let amp = 10f64.powf(g / 40.0);
        let w = 2.0 * PI * f / c.sample_rate;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha / amp;
        Ok(Box::new(BandProc {
            b: [
                (1.0 + alpha * amp) / a0,
                -2.0 * w.cos() / a0,
                (1.0 - alpha * amp) / a0,
            ],
            a: [-2.0 * w.cos() / a0, (1.0 - alpha / amp) / a0],
            state: vec![[0.0; 2]; c.input_channels[0]],
        }))
    }
}

impl Processor for BandProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for (ch, s) in self.state.iter_mut().enumerate() {
            let x = ctx.inputs.channel(0, ch);
            let y = ctx.outputs.channel(0, ch);
            for (o, &i) in y.iter_mut().zip(x) {
                let i = f64::from(i);
                let out = self.b[0] * i + s[0];
                s[0] = self.b[1] * i - self.a[0] * out + s[1];
                s[1] = self.b[2] * i - self.a[1] * out;
                *o = out as f32;
            }
        }
    }
    fn reset(&mut self) {
        self.state.iter_mut().for_each(|s| *s = [0.0; 2]);
    }
}

/// A stereo-linked feed-forward compressor: peak envelope, gain computer in dB.
struct Comp;

static COMP: NodeDescriptor = NodeDescriptor {
    kind: "comp",
    doc: "bench: compressor",
    category: Category::Dynamics,
    source: "engine/benches/live_callback.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "threshold",
        "threshold",
        Unit::Db,
        -60.0,
        0.0,
        -18.0,
        0.0,
    )],
};

struct CompProc {
    threshold: f64,
    attack: f64,
    release: f64,
    env: f64,
}

impl NodeType for Comp {
    fn descriptor(&self) -> &NodeDescriptor {
        &COMP
    }
    fn activate(&self, c: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let coef = |ms: f64| (-1.0 / (ms * 0.001 * c.sample_rate)).exp();
        Ok(Box::new(CompProc {
            threshold: c.params.number("threshold"),
            attack: coef(5.0),
            release: coef(80.0),
            env: 0.0,
        }))
    }
}

impl Processor for CompProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let channels = ctx.outputs.channels(0);
        for f in 0..ctx.frames() {
            let level = (0..channels)
                .map(|ch| f64::from(ctx.inputs.channel(0, ch)[f].abs()))
                .fold(0.0, f64::max);
            let coef = if level > self.env {
                self.attack
            } else {
                self.release
            };
            self.env = level + coef * (self.env - level);
            let over = 20.0 * self.env.max(1e-9).log10() - self.threshold;
            let gain = if over > 0.0 {
                10f64.powf(-over * 0.75 / 20.0)
            } else {
                1.0
            } as f32;
            for ch in 0..channels {
                ctx.outputs.channel(0, ch)[f] = ctx.inputs.channel(0, ch)[f] * gain;
            }
        }
    }
    fn reset(&mut self) {
        self.env = 0.0;
    }
}

fn bench_catalog() -> Catalog {
    let mut c = catalog();
    c.register(Band);
    c.register(Comp);
    c
}

/// `from` -> six EQ bands -> compressor -> limiter stage (compressor plus a 1 ms look-ahead
/// delay) -> returns the last node.
fn master_section(
    g: &mut Graph,
    c: &Catalog,
    prefix: &str,
    from: mixgraph_engine::NodeId,
) -> mixgraph_engine::NodeId {
    let mut last = from;
    for (i, freq) in [40.0, 120.0, 400.0, 1500.0, 5000.0, 12_000.0]
        .iter()
        .enumerate()
    {
        let band = add(
            g,
            c,
            &format!("{prefix}eq{i}"),
            "band",
            &[("freq", *freq), ("gain", 2.0)],
        );
        wire(g, last, band);
        last = band;
    }
    for (name, threshold) in [("comp", -20.0), ("limit", -3.0)] {
        let n = add(
            g,
            c,
            &format!("{prefix}{name}"),
            "comp",
            &[("threshold", threshold)],
        );
        wire(g, last, n);
        last = n;
    }
    let lookahead = add(
        g,
        c,
        &format!("{prefix}lookahead"),
        "lag",
        &[("frames", 48.0)],
    );
    wire(g, last, lookahead);
    lookahead
}

/// A stereo mastering chain.
fn mastering_chain() -> Graph {
    let c = bench_catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "mix", 2);
    let last = master_section(&mut g, &c, "", a);
    let out = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, last, out);
    g
}

/// 16 stereo stems, each through three EQ bands and a compressor, summed into a bus, then
/// the mastering chain.
fn session_chain() -> Graph {
    let c = bench_catalog();
    let mut g = Graph::new();
    let bus = add(&mut g, &c, "bus", "scale", &[("k", 0.25)]);
    for s in 0..16 {
        let stem = input(&mut g, &c, &format!("stem{s}"), 2);
        let mut last = stem;
        for (i, freq) in [80.0, 800.0, 8000.0].iter().enumerate() {
            let band = add(
                &mut g,
                &c,
                &format!("stem{s}_eq{i}"),
                "band",
                &[("freq", *freq), ("gain", -2.0)],
            );
            wire(&mut g, last, band);
            last = band;
        }
        let comp = add(
            &mut g,
            &c,
            &format!("stem{s}_comp"),
            "comp",
            &[("threshold", -24.0)],
        );
        wire(&mut g, last, comp);
        wire(&mut g, comp, bus);
    }
    let last = master_section(&mut g, &c, "master_", bus);
    let out = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, last, out);
    g
}

/// Times the callbacks of `graph`, every input fed from a loop of noise at half scale.
fn measure(graph: &Graph, callbacks: usize) -> CallbackTimes {
    let options = TimingOptions {
        frames: FRAMES,
        callbacks,
        ..TimingOptions::default()
    };
    let times = time_callbacks(graph, CompileConfig::new(RATE, FRAMES), &options, |ring| {
        noise(5, ring.channels() * 4096)
            .iter()
            .map(|x| x * 0.5)
            .collect()
    })
    .unwrap();
    assert_eq!(times.underruns(), 0, "the rings were kept fed");
    times
}

fn report(name: &str, nodes: usize, times: &CallbackTimes) {
    println!("{name} ({nodes} nodes, {} callbacks)", times.len());
    println!("{}", times.summary());
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this briefly as a check.
    let quick = !std::env::args().any(|a| a == "--bench");
    let callbacks = if quick { 2000 } else { 45_000 };
    println!(
        "live callback body, {FRAMES}-frame callbacks at {} Hz (period {:.3} ms)",
        RATE as u32,
        1000.0 * FRAMES as f64 / RATE
    );
    let master = mastering_chain();
    report(
        "mastering chain (test nodes)",
        master.node_count(),
        &measure(&master, callbacks),
    );
    let session = session_chain();
    report(
        "16-stem session (test nodes)",
        session.node_count(),
        &measure(&session, callbacks),
    );
}
