//! Building and compiling: the series short form, output declarations, a graph the engine
//! compiles and runs with the expected result, and every shipped preset against the real
//! catalog.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test with its location"
)]

mod common;

use common::{assert_close, catalog, check, compile, run, signal};
use mixgraph_chains::{presets, validate};
use mixgraph_engine::{Dither, OutputFormat, SampleFormat};

fn db(x: f64) -> f32 {
    10f64.powf(x / 20.0) as f32
}

#[test]
fn series_short_form_names_steps_and_wires_first_input_to_every_output() {
    let chain = check(
        r#"Chain(
    inputs: ["in"],
    outputs: ["out", Output(name: "cd", format: Pcm16)],
    series: ["gain", Node(kind: "gain", params: {"gain": -6.0}), Node(name: "trim", kind: "gain", params: {"gain": 1.5})],
)
"#,
    )
    .unwrap();
    let g = chain.graph();
    let mut names: Vec<String> = g.nodes().map(|(_, n)| n.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["cd", "gain-1", "gain-2", "in", "out", "trim"]);
    let pairs: Vec<(String, String)> = g
        .connections()
        .map(|(a, _, b)| {
            (
                g.node(a).unwrap().name.clone(),
                g.node(b).unwrap().name.clone(),
            )
        })
        .collect();
    for pair in [
        ("in", "gain-1"),
        ("gain-1", "gain-2"),
        ("gain-2", "trim"),
        ("trim", "out"),
        ("trim", "cd"),
    ] {
        assert!(
            pairs.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{pair:?} missing from {pairs:?}"
        );
    }
    assert_eq!(pairs.len(), 5);

    let input = signal(4, 2, 1500);
    let mut s = compile(&chain, 128, &[("in", 2)]);
    let out = run(&mut s, &[("in", input.clone())]);
    let gain = db(-6.0) * db(1.5);
    for (_, port) in &out {
        assert_eq!(port.len(), 2);
        for (got, x) in port.iter().zip(&input) {
            let expect: Vec<f32> = x.iter().map(|v| v * gain).collect();
            assert_close(got, &expect, 1e-6);
        }
    }
}

#[test]
fn outputs_declare_their_format_with_dither_resolved() {
    let chain = check(
        r#"Chain(
    sample_rate: 48000,
    inputs: ["in"],
    outputs: [
        "plain",
        Output(name: "cd", sample_rate: 44100, format: Pcm16),
        Output(name: "float", format: Float32),
        Output(name: "shaped", format: Pcm16, dither: TpdfShaped),
        Output(name: "raw", format: Pcm16, dither: None),
    ],
    series: ["gain"],
)
"#,
    )
    .unwrap();
    let built = chain.build();
    assert_eq!(built.sample_rate, Some(48000));
    assert_eq!(built.inputs.len(), 1);
    let formats: Vec<(&str, OutputFormat)> = built
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), o.format))
        .collect();
    let f = |sample_rate, format, dither| OutputFormat {
        sample_rate,
        format,
        dither,
    };
    assert_eq!(
        formats,
        [
            ("plain", f(None, SampleFormat::Pcm24, Dither::None)),
            ("cd", f(Some(44100), SampleFormat::Pcm16, Dither::Tpdf)),
            ("float", f(None, SampleFormat::Float32, Dither::None)),
            ("shaped", f(None, SampleFormat::Pcm16, Dither::TpdfShaped)),
            ("raw", f(None, SampleFormat::Pcm16, Dither::None)),
        ]
    );
}

#[test]
fn fan_in_sums_and_automation_reaches_the_graph() {
    let chain = check(
        r#"Chain(
    inputs: ["a", "b"],
    outputs: [Output(name: "sum", from: "bus")],
    nodes: [
        Node(name: "ga", kind: "gain", params: {"gain": -6.0}),
        Node(name: "gb", kind: "gain", params: {"gain": -12.0}),
        Node(name: "bus", kind: "gain", automation: {"gain": [(0.0, 0.0), (10.0, -10.0, Step)]}),
    ],
    connections: [["a", "ga", "bus"], ["b", "gb", "bus"]],
)
"#,
    )
    .unwrap();
    let bus = chain
        .graph()
        .node(chain.graph().node_id("bus").unwrap())
        .unwrap();
    assert_eq!(bus.automation.len(), 1);
    assert_eq!(bus.automation[0].points.len(), 2);
    let (a, b) = (signal(5, 2, 900), signal(6, 2, 900));
    let mut s = compile(&chain, 100, &[("a", 2), ("b", 2)]);
    let out = run(&mut s, &[("a", a.clone()), ("b", b.clone())]);
    assert_eq!(out[0].1.len(), 2);
    for ((got, a), b) in out[0].1.iter().zip(&a).zip(&b) {
        // The step to -10 dB comes at 10 s, after this signal ends: the bus is at 0 dB.
        let expect: Vec<f32> = a
            .iter()
            .zip(b)
            .map(|(x, y)| x * db(-6.0) + y * db(-12.0))
            .collect();
        assert_close(got, &expect, 1e-6);
    }
}

#[test]
fn relative_path_parameters_resolve_against_the_chain_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rev.ron");
    std::fs::write(&path, "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [Node(kind: \"convolve\", params: {\"ir\": \"irs/hall.wav\"})],\n)\n").unwrap();
    let chain = validate(&mixgraph_chains::load_file(&path).unwrap(), &catalog()).unwrap();
    let g = chain.graph();
    let node = g.node(g.node_id("convolve").unwrap()).unwrap();
    assert_eq!(node.base_dir.as_deref(), Some(dir.path()));
}

#[test]
fn compile_errors_with_real_channel_counts_are_located() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"m\", kind: \"mono\"),\n    ],\n    connections: [[\"in\", \"m\", \"out\"]],\n)\n";
    // Declared with no channel count, the input defaults to 2 at validation...
    assert!(check(text).is_err());
    // ...and a declared mono input validates, then fails to compile when a stereo file is bound.
    let chain = check(&text.replace("[\"in\"]", "[Input(name: \"in\", channels: 1)]")).unwrap();
    let mut config = mixgraph_engine::CompileConfig::new(48_000.0, 64);
    config.input_channels.insert("in".into(), 2);
    let Err(e) = chain.compile(&config) else {
        panic!("a stereo file into a mono node compiled")
    };
    assert!(
        matches!(
            &e,
            mixgraph_chains::ChainError::ChannelMismatch { found: 2, .. }
        ),
        "{e:?}"
    );
    assert_eq!(e.location().unwrap().line(), Some(5));
}

#[test]
fn every_shipped_preset_loads_validates_and_compiles_with_the_real_catalog() {
    let catalog = mixgraph_nodes::catalog();
    assert!(!presets::list().is_empty());
    for preset in presets::list() {
        let spec = preset.load().unwrap_or_else(|e| panic!("{e}"));
        let chain = validate(&spec, &catalog).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            chain.name(),
            Some(preset.name),
            "a preset's name is its file name"
        );
        assert!(
            chain.description().is_some(),
            "{}: add a description",
            preset.name
        );
        let config = mixgraph_engine::CompileConfig::new(48_000.0, 512);
        let schedule = chain.compile(&config).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            schedule.inputs().len(),
            chain.inputs().len(),
            "{}",
            preset.name
        );
        assert_eq!(
            schedule.outputs().len(),
            chain.outputs().len(),
            "{}",
            preset.name
        );
        assert!(presets::get(preset.name).is_some());
    }
}

/// A number parameter of a node of a chain, as written.
fn param(spec: &mixgraph_chains::ChainSpec, node: &str, param: &str) -> f64 {
    let node = spec
        .nodes
        .iter()
        .find(|n| n.name.as_deref() == Some(node))
        .unwrap();
    match node.params.iter().find(|(p, _)| p == param).unwrap().1 {
        mixgraph_engine::ParamValue::Number(x) => x,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn mix_basic_pans_each_mono_stem_by_the_pan_law_and_sums_them_on_the_bus() {
    let spec = presets::get("mix-basic").unwrap().load().unwrap();
    let chain = validate(&spec, &mixgraph_nodes::catalog()).unwrap();
    let names = ["drums", "bass", "chords", "lead"];
    let stems: Vec<(&str, Vec<Vec<f32>>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, signal(i as u32, 1, 800)))
        .collect();
    let mut s = compile(
        &chain,
        256,
        &[("drums", 1), ("bass", 1), ("chords", 1), ("lead", 1)],
    );
    let out = run(&mut s, &stems);
    assert_eq!(out[0].0, "mix");
    assert_eq!(out[0].1.len(), 2, "a stereo mix");
    // The -3 dB pan law: with theta = (p + 1) * pi / 4, left = cos(theta), right = sin(theta).
    let bus = db(param(&spec, "bus", "gain"));
    let strips: Vec<(f32, f32)> = names
        .iter()
        .map(|n| {
            let g = db(param(&spec, &format!("{n}-gain"), "gain"));
            let theta =
                (param(&spec, &format!("{n}-pan"), "pan") + 1.0) * std::f64::consts::FRAC_PI_4;
            (g * theta.cos() as f32, g * theta.sin() as f32)
        })
        .collect();
    for (side, got) in out[0].1.iter().enumerate() {
        let expect: Vec<f32> = (0..800)
            .map(|n| {
                let sum: f32 = stems
                    .iter()
                    .zip(&strips)
                    .map(|((_, x), (l, r))| x[0][n] * if side == 0 { l } else { r })
                    .sum();
                sum * bus
            })
            .collect();
        assert_close(got, &expect, 1e-5);
    }
}

#[test]
fn master_streaming_keeps_a_loud_signal_under_its_ceiling() {
    let chain = validate(
        &presets::get("master-streaming").unwrap().load().unwrap(),
        &mixgraph_nodes::catalog(),
    )
    .unwrap();
    // Noise at +12 dB over full scale: far beyond any ceiling.
    let loud: Vec<Vec<f32>> = signal(9, 2, 24_000)
        .into_iter()
        .enumerate()
        .map(|(ch, x)| {
            x.iter()
                .enumerate()
                .map(|(n, v)| v * 8.0 * if (n + ch) % 7 == 0 { -1.0 } else { 1.0 })
                .collect()
        })
        .collect();
    let mut s = compile(&chain, 512, &[("in", 2)]);
    let out = run(&mut s, &[("in", loud)]);
    // A sample peak never exceeds the true peak, which the limiter holds at -1 dBTP.
    let ceiling = db(-1.0);
    let peak = out[0].1.iter().flatten().fold(0f32, |m, x| m.max(x.abs()));
    assert!(
        peak > 0.5 * ceiling,
        "the master passes the signal: peak {peak}"
    );
    assert!(
        peak <= ceiling * 1.0001,
        "peak {peak} over the ceiling {ceiling}"
    );
}

#[test]
fn master_cd_wraps_the_streaming_master_and_writes_dithered_16_bit() {
    let chain = validate(
        &presets::get("master-cd").unwrap().load().unwrap(),
        &mixgraph_nodes::catalog(),
    )
    .unwrap();
    assert!(chain.graph().node_id("master/limiter").is_some());
    assert!(chain.graph().node_id("master/meter").is_some());
    let out = &chain.outputs()[0];
    assert_eq!(
        out.format,
        OutputFormat {
            sample_rate: Some(44_100),
            format: SampleFormat::Pcm16,
            dither: Dither::TpdfShaped
        }
    );
}
