//! A chain a script built, exported to RON with `mixgraph_chains::save`, reads back equal and
//! renders identically: both are validated, built and compiled, the same noise is fed
//! through both schedules, and every output sample is compared.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test with its location"
)]

mod common;

use std::path::Path;

use common::noise;
use mixgraph_chains::{ChainSpec, load_file, save, validate};
use mixgraph_engine::{CompileConfig, Schedule};
use mixgraph_scripts::{ScriptOptions, run_file, run_str};

const RATE: f64 = 48_000.0;
const BLOCK: usize = 256;

/// A recipe that uses every kind of thing a chain can hold: two inputs of different widths,
/// parameters of each type, a sidechain, breakpoint and sampled automation, a shipped preset
/// and a preset file as subchains, and two outputs with their formats.
const RECIPE: &str = r#"
local vox = chain.input("vox", {channels = 2})
local key = chain.input("key", {channels = 1})
local hp = chain.node("highpass", {frequency = 120, slope = "24"})
local comp = chain.node("compressor", {threshold = -30, ratio = 4, detection = "rms", attack = 2}, {name = "duck"})
key:to(comp:port("sidechain"))
local strip = chain.preset("vocal-strip")
local local_strip = chain.preset("strips/thin.ron", {name = "thin"})
local tilt = chain.node("tilt", {pivot = 700})
tilt:automate_fn("slope", function(t) return 3 * math.sin(2 * math.pi * t) end, {to = 2, rate = 40})
local fade = chain.node("gain")
fade:automate("gain", {{0, -40}, {0.5, -6, "exp"}, {1.2, 0, "step"}, {2, -12}})
local limiter = chain.node("limiter", {ceiling = -1.5, lookahead = 3})
chain.series(vox, hp, comp, strip, local_strip, tilt, fade, limiter)
chain.output("master", limiter, {format = "pcm24"})
chain.output("cd", limiter, {format = "pcm16", sample_rate = 44100, dither = "tpdf_shaped"})
"#;

/// Compiles a chain with the inputs at their declared widths.
fn compile(spec: &ChainSpec) -> Schedule {
    let valid = validate(spec, &mixgraph_nodes::catalog()).unwrap();
    let mut config = CompileConfig::new(RATE, BLOCK);
    for input in valid.inputs() {
        config
            .input_channels
            .insert(input.name.clone(), input.channels.unwrap_or(2) as usize);
    }
    valid.compile(&config).unwrap()
}

/// Feeds each input its signal (by name) through the schedule and returns every output's
/// channels, by name.
fn process(
    schedule: &mut Schedule,
    signals: &[(&str, Vec<Vec<f32>>)],
    frames: usize,
) -> Vec<(String, Vec<Vec<f32>>)> {
    let inputs: Vec<(usize, &Vec<Vec<f32>>)> = schedule
        .inputs()
        .iter()
        .enumerate()
        .map(|(slot, port)| {
            let signal = &signals.iter().find(|(n, _)| *n == port.name).unwrap().1;
            (slot, signal)
        })
        .collect();
    let mut outputs: Vec<(String, Vec<Vec<f32>>)> = schedule
        .outputs()
        .iter()
        .map(|p| (p.name.clone(), vec![Vec::with_capacity(frames); p.channels]))
        .collect();
    let mut position = 0;
    while position < frames {
        let n = BLOCK.min(frames - position);
        for (slot, signal) in &inputs {
            for (channel, samples) in signal.iter().enumerate() {
                schedule.input_buffer(*slot, channel)[..n]
                    .copy_from_slice(&samples[position..position + n]);
            }
        }
        schedule.process(n);
        for (o, (_, channels)) in outputs.iter_mut().enumerate() {
            for (c, out) in channels.iter_mut().enumerate() {
                out.extend_from_slice(schedule.output_buffer(o, c));
            }
        }
        position += n;
    }
    outputs
}

#[test]
fn the_exported_ron_reads_back_equal_and_renders_sample_for_sample_the_same() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("strips")).unwrap();
    std::fs::write(
        dir.path().join("strips/thin.ron"),
        r#"Chain(inputs: ["in"], outputs: ["out"], series: [
            Node(kind: "lowshelf", params: {"frequency": 200.0, "gain": -4.0}),
            Node(kind: "expander", params: {"threshold": -50.0}),
        ])"#,
    )
    .unwrap();
    let script = dir.path().join("recipe.lua");
    std::fs::write(&script, RECIPE).unwrap();
    let from_script = run_file(&script, &ScriptOptions::default()).unwrap().chain;

    // Exported next to the script, as `mixgraph export recipe.lua -o preset.ron` does.
    let ron = save(&from_script);
    let exported = dir.path().join("preset.ron");
    std::fs::write(&exported, &ron).unwrap();
    let from_ron = load_file(&exported).unwrap();
    assert_eq!(
        from_ron, from_script,
        "the RON reads back to the same chain:\n{ron}"
    );
    assert_eq!(from_ron.nodes[4].automation[0].points.len(), 81);

    let frames = 2 * RATE as usize;
    let vox = noise(11, 2, frames, 0.4);
    let key = noise(12, 1, frames, 0.6);
    let signals = [("vox", vox.clone()), ("key", key)];
    let a = process(&mut compile(&from_script), &signals, frames);
    let b = process(&mut compile(&from_ron), &signals, frames);
    assert_eq!(a.len(), 2);
    for ((name_a, out_a), (name_b, out_b)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        for (ca, cb) in out_a.iter().zip(out_b) {
            assert_eq!(ca.len(), frames);
            let first_difference = ca
                .iter()
                .zip(cb)
                .position(|(x, y)| x.to_bits() != y.to_bits());
            assert_eq!(first_difference, None, "output {name_a} differs");
        }
    }
    // Not a trivial chain: the output is neither silent nor the input.
    let master = &a[0].1[0];
    let energy: f64 = master.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    assert!(energy > 1.0, "{energy}");
    assert!(
        master
            .iter()
            .zip(&vox[0])
            .any(|(o, i)| (o - i).abs() > 1e-3)
    );
}

#[test]
fn a_script_without_files_exports_to_a_preset_that_validates_anywhere() {
    let out = run_str(
        "local i = chain.input('in')\nlocal b = chain.preset('master-streaming', {name = 'master'})\nchain.series(i, b, chain.output('out'))",
        "inline.lua",
        &ScriptOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exported.ron");
    std::fs::write(&path, save(&out.chain)).unwrap();
    let reread = load_file(&path).unwrap();
    assert_eq!(reread, out.chain);
    validate(&reread, &mixgraph_nodes::catalog()).unwrap();
    assert!(Path::new(&path).exists());
}
