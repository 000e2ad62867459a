//! Time of the live audio callback body (`AudioCore::render`, what the cpal callback calls)
//! at 64-frame callbacks and 48 kHz with the real node catalog: the shipped mastering
//! chain(s) and a 16-stem session mixed into it. Median, 99th and 99.9th percentile and the
//! worst case against the 1.333 ms period, over all callbacks and over those during which the
//! thread kept its CPU (see `mixgraph_engine::live::callback_timing`). Target (issue 6): the
//! mastering chain's 99.9th percentile under 10% of the period. A mastering chain with a
//! `loudness_meter` is measured again without it, as the meter's cost is not spread evenly
//! over the callbacks.
//!
//! The inputs are fed through the session's rings, topped up between callbacks as the
//! decoder thread does, from two-second loops of music-like signals (pitched notes and
//! percussive noise hits, one beat at 120 bpm each, different per stem).
//!
//! Run: `cargo bench -p mixgraph-tests --bench live_callback`

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::collections::HashMap;
use std::f64::consts::TAU;

use mixgraph_chains::{ChainSpec, Endpoint, InputSpec, NodeSpec, OutputSpec, presets, validate};
use mixgraph_engine::live::callback_timing::{TimingOptions, time_callbacks};
use mixgraph_engine::{CompileConfig, Graph, ParamValue, builtin};

const RATE: f64 = 48_000.0;
const FRAMES: usize = 64;
/// The mastering presets measured, when shipped.
const MASTERING: [&str; 2] = ["master-streaming", "master-default"];
/// The mastering preset the session runs into.
const SESSION_MASTER: &str = "master-streaming";
const STEMS: usize = 16;
const BUSES: usize = 4;
/// Length of each input loop.
const LOOP_SECONDS: f64 = 2.0;
/// One beat at 120 bpm.
const BEAT_SECONDS: f64 = 0.5;

/// 16 stereo stems, each through a peak EQ band, a compressor and a pan, summed four by four
/// into buses, the buses into a stereo mix, and the mix through the mastering preset as a
/// subchain.
fn session_spec() -> ChainSpec {
    let num = |v: f64| ParamValue::Number(v);
    let mut spec = ChainSpec {
        name: Some("session-16".into()),
        outputs: vec![OutputSpec::new("out")],
        ..ChainSpec::default()
    };
    for s in 0..STEMS {
        let stem = format!("stem{s:02}");
        spec.inputs.push(InputSpec {
            name: stem.clone(),
            channels: Some(2),
        });
        let eq = NodeSpec::of_kind("peak")
            .named(format!("{stem}-eq"))
            .param("frequency", num(100.0 * 1.35f64.powi(s as i32)))
            .param("q", num(1.2))
            .param("gain", num(if s % 2 == 0 { 3.0 } else { -4.0 }));
        let comp = NodeSpec::of_kind("compressor")
            .named(format!("{stem}-comp"))
            .param("threshold", num(-24.0))
            .param("ratio", num(3.0))
            .param("attack", num(10.0))
            .param("release", num(120.0));
        let pan = NodeSpec::of_kind("pan")
            .named(format!("{stem}-pan"))
            .param("pan", num((s as f64 / (STEMS - 1) as f64) * 1.6 - 0.8));
        spec.nodes.extend([eq, comp, pan]);
        spec.connections.push(
            [
                stem.clone(),
                format!("{stem}-eq"),
                format!("{stem}-comp"),
                format!("{stem}-pan"),
                format!("bus{}", s % BUSES),
            ]
            .map(Endpoint::new)
            .to_vec(),
        );
    }
    for b in 0..BUSES {
        spec.nodes.push(
            NodeSpec::of_kind("sum")
                .named(format!("bus{b}"))
                .param("gain", num(-6.0)),
        );
        spec.connections
            .push(vec![Endpoint::new(format!("bus{b}")), Endpoint::new("mix")]);
    }
    spec.nodes.push(
        NodeSpec::of_kind("sum")
            .named("mix")
            .param("gain", num(-3.0)),
    );
    spec.nodes
        .push(NodeSpec::of_chain(SESSION_MASTER).named("master"));
    spec.connections
        .push(["mix", "master", "out"].map(Endpoint::new).to_vec());
    spec
}

/// The engine graph of a chain, validated against the node catalog.
fn graph_of(spec: &ChainSpec) -> Graph {
    validate(spec, &mixgraph_nodes::catalog())
        .unwrap()
        .graph()
        .clone()
}

/// The meter node whose cost comes in one callback per 100 ms (it reads momentary and
/// short-term loudness over the last 0.4 and 3 s at each 100 ms boundary).
const METER: &str = "loudness_meter";

/// A series chain with its loudness meter steps taken out; `None` when it has none.
fn without_meter(spec: &ChainSpec) -> Option<ChainSpec> {
    let mut unmetered = spec.clone();
    unmetered
        .series
        .retain(|n| n.kind.as_deref() != Some(METER));
    (unmetered.series.len() < spec.series.len()).then_some(unmetered)
}

/// A stem's two-second stereo loop, interleaved: a note per beat (a few harmonics, with an
/// attack-decay envelope, pitch and timbre set by the stem) over percussive noise hits, the
/// balance between them also set by the stem; peaks around -6 dBFS.
fn stem_loop(stem: usize) -> Vec<f32> {
    let frames = (LOOP_SECONDS * RATE) as usize;
    let beat = (BEAT_SECONDS * RATE) as usize;
    let noise = mixgraph_nodes::testkit::noise(stem as u64 + 1, 2, frames);
    let root = 55.0 * 2f64.powf((stem % 12) as f64 / 12.0) * (1 + stem % 3) as f64;
    let notes = [0.0, 3.0, 7.0, 5.0].map(|semi| root * 2f64.powf(semi / 12.0));
    let percussive = 0.15 + 0.6 * ((stem * 7) % 5) as f64 / 4.0;
    let mut out = Vec::with_capacity(2 * frames);
    for n in 0..frames {
        let (b, in_beat) = (n / beat, (n % beat) as f64 / RATE);
        let freq = notes[b % notes.len()];
        let tone: f64 = (1..=4)
            .map(|h| (TAU * freq * h as f64 * n as f64 / RATE).sin() / h as f64)
            .sum();
        let tone = tone * (1.0 - (-in_beat / 0.005).exp()) * (-in_beat / 0.4).exp();
        let hit = (-in_beat / 0.03).exp();
        for (ch, noise) in noise.iter().enumerate() {
            let side = if ch == 0 { 1.0 } else { 0.9 };
            let x = (1.0 - percussive) * 0.3 * tone + percussive * hit * f64::from(noise[n]);
            out.push((0.5 * side * x) as f32);
        }
    }
    out
}

/// A stereo mix loop for the mastering chains: four stems summed.
fn mix_loop() -> Vec<f32> {
    let stems: Vec<Vec<f32>> = (0..4).map(stem_loop).collect();
    (0..stems[0].len())
        .map(|i| stems.iter().map(|s| s[i]).sum::<f32>() * 0.5)
        .collect()
}

/// Times the callbacks of `graph` with every input at two channels, each fed the loop
/// `signal` gives for its name.
fn measure(name: &str, graph: &Graph, callbacks: usize, signal: impl Fn(&str) -> Vec<f32>) {
    let mut config = CompileConfig::new(RATE, FRAMES);
    config.input_channels = input_names(graph)
        .map(|n| (n, 2))
        .collect::<HashMap<_, _>>();
    let options = TimingOptions {
        frames: FRAMES,
        callbacks,
        ..TimingOptions::default()
    };
    let times = time_callbacks(graph, config, &options, |ring| {
        assert_eq!(ring.channels(), 2);
        signal(ring.name())
    })
    .unwrap();
    assert_eq!(times.underruns(), 0, "the rings were kept fed");
    println!(
        "{name} ({} nodes, {} callbacks)",
        graph.node_count(),
        times.len()
    );
    println!("{}", times.summary());
}

/// The names of the graph's `input` nodes.
fn input_names(graph: &Graph) -> impl Iterator<Item = String> + '_ {
    graph
        .nodes()
        .filter(|(_, n)| n.kind.descriptor().kind == builtin::INPUT)
        .map(|(_, n)| n.name.clone())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this briefly as a check.
    let quick = !std::env::args().any(|a| a == "--bench");
    // 100,000 callbacks (133 s of audio): the 99.9th percentile rests on 100 of them.
    let callbacks = if quick { 500 } else { 100_000 };
    println!(
        "live callback body, real nodes, {FRAMES}-frame callbacks at {} Hz (period {:.3} ms)",
        RATE as u32,
        1000.0 * FRAMES as f64 / RATE
    );
    let mix = mix_loop();
    for preset in MASTERING {
        let Some(p) = presets::get(preset) else {
            println!("preset `{preset}` is not shipped: skipped");
            continue;
        };
        let spec = p.load().unwrap();
        measure(
            &format!("mastering chain `{preset}`"),
            &graph_of(&spec),
            callbacks,
            |_| mix.clone(),
        );
        if let Some(unmetered) = without_meter(&spec) {
            measure(
                &format!("mastering chain `{preset}` without its `{METER}`"),
                &graph_of(&unmetered),
                callbacks,
                |_| mix.clone(),
            );
        }
    }
    let stems: HashMap<String, Vec<f32>> = (0..STEMS)
        .map(|s| (format!("stem{s:02}"), stem_loop(s)))
        .collect();
    let session = graph_of(&session_spec());
    measure(
        &format!("16-stem session into `{SESSION_MASTER}`"),
        &session,
        callbacks,
        |name| stems[name].clone(),
    );
}
