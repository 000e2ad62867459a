//! End to end, for each shipped recipe: synthesized input WAVs in a temporary folder, the
//! recipe run on them, its chain validated and rendered through the engine, and the result
//! checked with independent measurements (the `ebur128` crate, tone levels computed here).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test with its location"
)]

mod common;

use std::f64::consts::TAU;
use std::path::Path;

use common::{
    Audio, RATE, integrated_lufs, noise, one_pole_lowpass, options_with, recipe, render,
    true_peak_dbtp, write_wav,
};
use mixgraph_chains::ChainSpec;
use mixgraph_engine::ParamValue;
use mixgraph_scripts::{ScriptOptions, ScriptOutput, run_file};

/// Gaussian-like noise (the sum of four uniform ones), each channel its own.
fn gaussian(seed: u64, channels: usize, frames: usize) -> Audio {
    let parts: Vec<Audio> = (0..4)
        .map(|i| noise(seed * 10 + i, channels, frames, 0.5))
        .collect();
    common::mix(&parts)
}

/// Scales `audio` to read `lufs` on the ebur128 meter.
fn to_loudness(mut audio: Audio, lufs: f64) -> Audio {
    let gain = 10f64.powf((lufs - integrated_lufs(&audio)) / 20.0) as f32;
    audio.iter_mut().flatten().for_each(|x| *x *= gain);
    audio
}

/// The first difference: a +6 dB/octave slope (a bright signal from noise).
fn differentiate(audio: &mut Audio) {
    for channel in audio {
        let mut previous = 0.0;
        for x in channel.iter_mut() {
            let d = *x - previous;
            previous = *x;
            *x = d;
        }
    }
}

/// How much of the signal's power is in its changes: the power of the first difference over
/// the power of the signal (brighter signals read higher).
fn brightness(audio: &Audio) -> f64 {
    let mut diff = 0.0;
    let mut total = 0.0;
    for channel in audio {
        for w in channel.windows(2) {
            diff += f64::from(w[1] - w[0]).powi(2);
            total += f64::from(w[1]).powi(2);
        }
    }
    diff / total
}

fn param(chain: &ChainSpec, node: &str, name: &str) -> Option<f64> {
    let node = chain
        .nodes
        .iter()
        .find(|n| n.name.as_deref() == Some(node))?;
    node.params.iter().find_map(|(p, v)| match v {
        ParamValue::Number(x) if p == name => Some(*x),
        _ => None,
    })
}

fn has_node(chain: &ChainSpec, name: &str) -> bool {
    chain.nodes.iter().any(|n| n.name.as_deref() == Some(name))
}

fn run_recipe(name: &str, options: &ScriptOptions) -> ScriptOutput {
    let out = run_file(&recipe(name), options).unwrap_or_else(|e| panic!("{name}: {e}"));
    mixgraph_chains::validate(&out.chain, &mixgraph_nodes::catalog()).unwrap();
    out
}

// ------------------------------------------------------------------------ adaptive master

/// The rendered `audio` lands within 1 LU of `target` LUFS (ebur128 in the test).
fn assert_loudness_near(audio: &Audio, target: f64) {
    let lufs = integrated_lufs(audio);
    assert!(
        (lufs - target).abs() < 1.0,
        "at {lufs} LUFS, target {target}"
    );
}

#[test]
fn adaptive_master_brightens_a_dark_mix_and_lands_on_the_target() {
    let dir = tempfile::tempdir().unwrap();
    // Noise through two one-pole low-passes at 200 Hz: -9 dB/octave against pink above it.
    let mut dark = gaussian(1, 2, 4 * RATE as usize);
    one_pole_lowpass(&mut dark, 200.0);
    one_pole_lowpass(&mut dark, 200.0);
    let dark = to_loudness(dark, -24.0);
    let wav = dir.path().join("dark.wav");
    write_wav(&wav, &dark);
    let inputs = [("mix", wav.as_path())];
    let out = run_recipe("adaptive-master.lua", &options_with(&inputs));

    let tilt = param(&out.chain, "tilt", "slope").expect("a tilt node");
    assert!(tilt > 0.3, "tilt {tilt}");
    assert!(
        out.log
            .iter()
            .any(|l| l.starts_with("EQ:") && l.contains("brighten")),
        "{:?}",
        out.log
    );
    assert!(
        out.log.iter().any(|l| l.starts_with("compression:")),
        "{:?}",
        out.log
    );
    assert!(
        out.log
            .iter()
            .any(|l| l.starts_with("limiter:") && l.contains("spotify -14.0 LUFS")),
        "{:?}",
        out.log
    );

    let (_, outputs) = render(&out.chain, &inputs, dir.path());
    let master = &outputs[0].1;
    assert_loudness_near(master, -14.0);
    let peak = true_peak_dbtp(master);
    assert!(
        peak <= -1.0 + 0.1,
        "true peak {peak} dBTP over the -1 dBTP ceiling"
    );
    assert!(
        brightness(master) > 1.3 * brightness(&dark),
        "{} vs {}",
        brightness(master),
        brightness(&dark)
    );
}

#[test]
fn adaptive_master_darkens_a_bright_mix_for_another_target() {
    let dir = tempfile::tempdir().unwrap();
    let mut bright = gaussian(2, 2, 4 * RATE as usize);
    differentiate(&mut bright);
    let bright = to_loudness(bright, -20.0);
    let wav = dir.path().join("bright.wav");
    write_wav(&wav, &bright);
    let inputs = [("mix", wav.as_path())];
    let options = ScriptOptions {
        target: Some("apple".into()),
        sets: vec![("max_tilt".into(), "0.75".into())],
        ..options_with(&inputs)
    };
    let out = run_recipe("adaptive-master.lua", &options);
    let tilt = param(&out.chain, "tilt", "slope").expect("a tilt node");
    assert_eq!(tilt, -0.75, "the tilt is held to --set max_tilt");
    assert!(
        out.log.iter().any(|l| l.contains("darken")),
        "{:?}",
        out.log
    );

    let (_, outputs) = render(&out.chain, &inputs, dir.path());
    let master = &outputs[0].1;
    assert_loudness_near(master, -16.0);
    assert!(true_peak_dbtp(master) <= -0.9);
    assert!(brightness(master) < brightness(&bright));
}

#[test]
fn adaptive_master_compresses_by_the_crest_factor() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 4 * RATE as usize;
    // Dense: noise driven into a hard clip (crest about 2 dB).
    let mut dense = gaussian(3, 2, frames);
    dense
        .iter_mut()
        .flatten()
        .for_each(|x| *x = (*x * 4.0).clamp(-0.5, 0.5));
    // Peaky: quiet noise with a loud burst every second (crest well over 16 dB).
    let mut peaky = gaussian(4, 2, frames);
    for channel in &mut peaky {
        for (i, x) in channel.iter_mut().enumerate() {
            let in_burst = i % (RATE as usize) < RATE as usize / 50;
            *x *= if in_burst { 0.9 } else { 0.03 };
        }
    }
    let decide = |audio: &Audio, name: &str| {
        let wav = dir.path().join(name);
        write_wav(&wav, audio);
        run_recipe("adaptive-master.lua", &options_with(&[("mix", &wav)]))
    };
    let dense = decide(&dense, "dense.wav");
    assert!(!has_node(&dense.chain, "glue"), "{:?}", dense.log);
    assert!(
        dense
            .log
            .iter()
            .any(|l| l.contains("already dense: no compressor")),
        "{:?}",
        dense.log
    );
    let peaky = decide(&peaky, "peaky.wav");
    assert_eq!(
        param(&peaky.chain, "glue", "ratio"),
        Some(3.0),
        "{:?}",
        peaky.log
    );
    let gentle = {
        let wav = dir.path().join("peaky.wav");
        let options = ScriptOptions {
            sets: vec![("max_ratio".into(), "1.5".into())],
            ..options_with(&[("mix", &wav)])
        };
        run_recipe("adaptive-master.lua", &options)
    };
    assert_eq!(param(&gentle.chain, "glue", "ratio"), Some(1.5));
}

#[test]
fn the_recipes_refuse_a_silent_input_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("silence.wav");
    write_wav(&wav, &vec![vec![0.0; RATE as usize]; 2]);
    for (recipe_name, input) in [("adaptive-master.lua", "mix"), ("podcast.lua", "voice")] {
        let e = run_file(&recipe(recipe_name), &options_with(&[(input, &wav)])).unwrap_err();
        assert!(e.to_string().contains("is silent"), "{recipe_name}: {e}");
        assert!(e.line().is_some());
    }
}

// ------------------------------------------------------------------------ stems bus

/// A sine of `hz` at `amplitude` from `from` to `to` seconds (silence elsewhere), mono.
fn tone(hz: f64, amplitude: f64, seconds: f64, from: f64, to: f64) -> Audio {
    let frames = (seconds * f64::from(RATE)) as usize;
    let samples = (0..frames)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            if (from..to).contains(&t) {
                (amplitude * (TAU * hz * t).sin()) as f32
            } else {
                0.0
            }
        })
        .collect();
    vec![samples]
}

/// The amplitude of the `hz` component of `signal` over [from, from + 1 s): the projection
/// onto a sine and a cosine (every integer frequency is orthogonal to the others over 1 s).
fn amplitude(signal: &[f32], hz: f64, from: f64) -> f64 {
    let start = (from * f64::from(RATE)) as usize;
    let (mut s, mut c) = (0.0, 0.0);
    for (i, &x) in signal[start..start + RATE as usize].iter().enumerate() {
        let phase = TAU * hz * (start + i) as f64 / f64::from(RATE);
        s += f64::from(x) * phase.sin();
        c += f64::from(x) * phase.cos();
    }
    2.0 * (s * s + c * c).sqrt() / f64::from(RATE)
}

#[test]
fn stems_bus_groups_the_stems_and_ducks_the_music_under_the_vocals() {
    let dir = tempfile::tempdir().unwrap();
    let seconds = 4.0;
    let stems = [
        ("kick", tone(150.0, 0.1, seconds, 0.0, seconds)),
        ("bass", tone(55.0, 0.1, seconds, 0.0, seconds)),
        ("keys", tone(440.0, 0.1, seconds, 0.0, seconds)),
        ("lead-vox", tone(2500.0, 0.1, seconds, 2.0, seconds)),
    ];
    let mut paths = Vec::new();
    for (name, audio) in &stems {
        let path = dir.path().join(format!("{name}.wav"));
        write_wav(&path, audio);
        paths.push((*name, path));
    }
    let inputs: Vec<(&str, &Path)> = paths.iter().map(|(n, p)| (*n, p.as_path())).collect();
    let out = run_recipe("stems-bus.lua", &options_with(&inputs));

    for (bus, stem) in [
        ("drums-bus", "kick"),
        ("bass-bus", "bass"),
        ("music-bus", "keys"),
        ("vocals-bus", "lead-vox"),
    ] {
        assert!(
            out.chain
                .connections
                .iter()
                .any(|c| c[0].node == stem && c[1].node == bus),
            "{stem} does not feed {bus}"
        );
    }
    let master = out
        .chain
        .nodes
        .iter()
        .find(|n| n.name.as_deref() == Some("master"))
        .unwrap();
    assert_eq!(master.chain.as_deref(), Some("master-streaming"));
    assert!(
        out.log.iter().any(|l| l.starts_with("ducking:")),
        "{:?}",
        out.log
    );

    let (_, outputs) = render(&out.chain, &inputs, dir.path());
    let mix = &outputs[0].1[0];
    // Keys against bass (which is never ducked), before the vocals and while they sing.
    let keys_over_bass =
        |from: f64| 20.0 * (amplitude(mix, 440.0, from) / amplitude(mix, 55.0, from)).log10();
    let before = keys_over_bass(1.0);
    let during = keys_over_bass(3.0);
    let ducked = before - during;
    assert!(before.abs() < 0.5, "keys and bass start level: {before} dB");
    assert!(
        (ducked - 4.0).abs() < 1.0,
        "the music ducked by {ducked} dB, asked 4"
    );
    assert!(amplitude(mix, 2500.0, 3.0) > 0.01 && amplitude(mix, 2500.0, 1.0) < 1e-3);

    // Deeper ducking when asked, and the master built by the recipe when asked.
    let deeper = ScriptOptions {
        sets: vec![
            ("duck".into(), "8".into()),
            ("master".into(), "built".into()),
        ],
        ..options_with(&inputs)
    };
    let out = run_recipe("stems-bus.lua", &deeper);
    assert!(has_node(&out.chain, "limiter") && !has_node(&out.chain, "master"));
    let ratio = param(&out.chain, "duck", "ratio").unwrap();
    assert!(
        (10.0 * (1.0 - 1.0 / ratio) - 8.0).abs() < 1e-9,
        "ratio {ratio}"
    );
}

// ------------------------------------------------------------------------ podcast

/// Speech-like: band-limited noise in syllables (4 per second, gaps between words), loud for
/// the first half and 12 dB quieter for the second, with sibilant bursts.
fn speech(seconds: f64) -> Audio {
    let frames = (seconds * f64::from(RATE)) as usize;
    let mut body = gaussian(9, 1, frames);
    one_pole_lowpass(&mut body, 3000.0);
    let mut low = body.clone();
    one_pole_lowpass(&mut low, 200.0);
    let mut hiss = gaussian(10, 1, frames);
    differentiate(&mut hiss);
    differentiate(&mut hiss);
    let mut out = vec![0.0f32; frames];
    for i in 0..frames {
        let t = i as f64 / f64::from(RATE);
        let syllable = (TAU * 4.0 * t).sin().max(0.0);
        let word = if (t % 1.5) < 1.1 { 1.0 } else { 0.0 };
        let section = if t < seconds / 2.0 { 1.0 } else { 0.25 };
        let sibilant = if (t % 1.5) > 0.9 && (t % 1.5) < 1.0 {
            0.05
        } else {
            0.0
        };
        let voice = f64::from(body[0][i] - low[0][i]) * syllable * word;
        out[i] = ((voice + sibilant * f64::from(hiss[0][i])) * section) as f32;
    }
    vec![out]
}

fn loudness_range(audio: &Audio) -> f64 {
    let mut meter = ebur128::EbuR128::new(audio.len() as u32, RATE, ebur128::Mode::LRA).unwrap();
    let planar: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planar).unwrap();
    meter.loudness_range().unwrap()
}

#[test]
fn podcast_levels_the_voice_and_delivers_it_at_minus_16_lufs() {
    let dir = tempfile::tempdir().unwrap();
    let raw = to_loudness(speech(12.0), -30.0);
    let wav = dir.path().join("raw.wav");
    write_wav(&wav, &raw);
    let inputs = [("voice", wav.as_path())];
    let out = run_recipe("podcast.lua", &options_with(&inputs));
    // The chain in signal order: what feeds what, from the input.
    let mut order = vec!["voice".to_string()];
    while let Some(next) = out
        .chain
        .connections
        .iter()
        .find(|c| Some(&c[0].node) == order.last())
    {
        order.push(next[1].node.clone());
    }
    assert_eq!(
        order,
        [
            "voice", "rumble", "leveler", "deesser", "peaks", "loudness", "limiter"
        ]
    );
    let leveler = out
        .chain
        .nodes
        .iter()
        .find(|n| n.name.as_deref() == Some("leveler"))
        .unwrap();
    let ride = &leveler.automation[0];
    // A breakpoint every 100 ms (117 windows in 12 s) except inside stretches where the gain
    // holds still.
    assert!(
        (20..=117).contains(&ride.points.len()),
        "{}",
        ride.points.len()
    );
    let gain_at = |t: f64| {
        let p = &ride.points;
        let i = p.iter().position(|b| b.time >= t).unwrap();
        let (a, b) = (&p[i - 1], &p[i]);
        a.value + (b.value - a.value) * (t - a.time) / (b.time - a.time)
    };
    // The loud first half is turned down, the quiet second half is not.
    for t in [2.0, 3.0, 4.0] {
        assert!(gain_at(t) < -3.0, "{t} s: {}", gain_at(t));
    }
    for t in [8.0, 9.0, 10.0] {
        assert!(gain_at(t) > -0.5, "{t} s: {}", gain_at(t));
    }

    let (_, outputs) = render(&out.chain, &inputs, dir.path());
    let episode = &outputs[0].1;
    assert_loudness_near(episode, -16.0);
    assert!(true_peak_dbtp(episode) <= -0.9);
    let (before, after) = (loudness_range(&raw), loudness_range(episode));
    assert!(
        after < before - 3.0,
        "loudness range {before} LU before, {after} LU after"
    );

    // A target from the command line wins over the recipe's -16.
    let broadcast = ScriptOptions {
        target: Some("ebu-r128".into()),
        ..options_with(&inputs)
    };
    let out = run_recipe("podcast.lua", &broadcast);
    assert!(
        out.log.iter().any(|l| l.contains("toward -23.0 LUFS")),
        "{:?}",
        out.log
    );
}
