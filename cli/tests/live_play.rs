//! `mixgraph play` end to end without a sound card: ALSA's `file` plugin, set up as the
//! default PCM in an `.asoundrc` under a temporary HOME, writes what the player sends to a
//! raw file, which must equal `mixgraph render` of the same chain and input.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use std::path::Path;

use common::*;

/// Writes an `.asoundrc` under `dir/home` making the default PCM write raw samples to
/// `dir/out.raw`; returns the HOME to use.
fn alsa_home(dir: &Path) -> std::path::PathBuf {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let conf = format!(
        "pcm.!default {{\n  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"raw\"\n}}\n",
        dir.join("out.raw").display()
    );
    std::fs::write(home.join(".asoundrc"), conf).unwrap();
    home
}

#[test]
fn play_sends_through_alsa_exactly_what_render_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("music.wav");
    let len = 20_000; // fits in the player's read-ahead (0.5 s), so an unpaced device cannot starve it
    write_f32(&input, 48_000, &[noise(31, len, 0.8), noise(32, len, 0.6)]);
    let chain = chain(
        dir.path(),
        "master.ron",
        r#"Chain(
            inputs: ["music"],
            outputs: [Output(name: "out", from: "limit", format: Float32)],
            nodes: [
                Node(name: "tone", kind: "peak", params: {}),
                Node(name: "comp", kind: "compressor", params: {}),
                Node(name: "limit", kind: "limiter", params: {"input_gain": 6.0}),
            ],
            connections: [["music", "tone", "comp", "limit"]],
        )"#,
    );
    let rendered = dir.path().join("rendered.wav");
    mixgraph()
        .args(["render", chain.to_str().unwrap(), "--input"])
        .arg(format!("music={}", input.display()))
        .arg("--output")
        .arg(format!("out={}", rendered.display()))
        .assert()
        .success();
    let (_, expected) = read_f32(&rendered);

    let home = alsa_home(dir.path());
    let output = mixgraph()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .args(["--json", "play", chain.to_str().unwrap(), "--input"])
        .arg(format!("music={}", input.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["status"]["underruns"], 0, "{summary}");
    assert_eq!(summary["stopped_by"], "end");
    assert_eq!(summary["session"]["output_stream"]["format"], "f32");

    let bytes = std::fs::read(dir.path().join("out.raw")).unwrap();
    let raw: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let live: Vec<Vec<f32>> = (0..2)
        .map(|ch| raw.iter().skip(ch).step_by(2).copied().collect())
        .collect();
    // The render trims the limiter's look-ahead; the device hears it as silence first.
    let first = |x: &[f32]| x.iter().position(|&v| v != 0.0).unwrap();
    let offset = first(&live[0]) - first(&expected[0]);
    assert!(offset > 0, "the look-ahead delays live output");
    for ch in 0..2 {
        let n = expected[ch].len();
        assert!(n >= len);
        let worst = live[ch][offset..offset + n]
            .iter()
            .zip(&expected[ch])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst <= 1e-6, "channel {ch}: largest difference {worst}");
    }
}
