//! `mixgraph master`: every deliverable written in its format and on target (checked here
//! with ebur128 on the delivered files), what was done said per deliverable, the JSON
//! report and the plot beside the files, album mode, custom targets, and the failures: a
//! target beyond `--max-gain-reduction` (status 1, nothing left behind) and a chain
//! without a limiter (status 2).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic there is a failed test"
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ebur128::{EbuR128, Mode};
use serde_json::Value;

/// A music-like stereo mix: noise hits with decaying envelopes over a two-tone bed, every
/// sample scaled by `level`, `seconds` long at 44.1 kHz.
fn mix(dir: &Path, name: &str, level: f64, seconds: f64) -> PathBuf {
    let rate = 44_100;
    let frames = (seconds * f64::from(rate)) as usize;
    let hits = noise(7, frames, 1.0);
    let channels: Vec<Vec<f64>> = (0..2)
        .map(|c| {
            (0..frames)
                .map(|i| {
                    let t = i as f64 / f64::from(rate);
                    let env = (-((i % 22_050) as f64 / f64::from(rate)) * 20.0).exp();
                    let bed = 0.2 * (std::f64::consts::TAU * (110.0 + 55.0 * c as f64) * t).sin()
                        + 0.1 * (std::f64::consts::TAU * 880.0 * t).sin();
                    level * (bed + 0.6 * env * hits[i])
                })
                .collect()
        })
        .collect();
    let path = dir.join(name);
    write_i24(&path, rate, &channels);
    path
}

/// Integrated loudness and true peak of a delivered file, read by ebur128 here.
fn measure(path: &Path) -> (hound::WavSpec, f64, f64) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let scale = 1.0 / f64::from(1u32 << (spec.bits_per_sample - 1));
    let samples: Vec<f64> = r
        .samples::<i32>()
        .map(|s| f64::from(s.unwrap()) * scale)
        .collect();
    let mut meter = EbuR128::new(
        u32::from(spec.channels),
        spec.sample_rate,
        Mode::I | Mode::TRUE_PEAK,
    )
    .unwrap();
    meter.add_frames_f64(&samples).unwrap();
    let peak = (0..u32::from(spec.channels))
        .map(|c| meter.true_peak(c).unwrap())
        .fold(0.0, f64::max);
    (spec, meter.loudness_global().unwrap(), 20.0 * peak.log10())
}

fn run(args: &[&str]) -> std::process::Output {
    mixgraph().arg("master").args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_deliverable_lands_on_target_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = mix(dir.path(), "song.wav", 0.25, 6.0);
    let out_dir = dir.path().join("out");
    let out = run(&[
        s(&input),
        "--target",
        "spotify",
        "--deliver",
        "streaming,cd,broadcast",
        "--out",
        s(&out_dir),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        files(&out_dir),
        [
            "master-report.json",
            "song-broadcast.wav",
            "song-cd.wav",
            "song-master.png",
            "song-streaming.wav"
        ]
    );
    for (name, rate, bits) in [
        ("streaming", 44_100, 24),
        ("cd", 44_100, 16),
        ("broadcast", 48_000, 24),
    ] {
        let (spec, loudness, peak) = measure(&out_dir.join(format!("song-{name}.wav")));
        assert_eq!(
            (spec.sample_rate, spec.bits_per_sample),
            (rate, bits),
            "{name}"
        );
        assert!((loudness + 14.0).abs() <= 0.1, "{name}: {loudness} LUFS");
        assert!(peak <= -1.0, "{name}: {peak} dBTP");
        // One line per deliverable says the path taken, the measurement and the verdict.
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap();
        assert!(line.contains("LUFS") && line.ends_with("pass"), "{line}");
        assert!(
            line.contains("gain +") && line.contains("limiting"),
            "{line}"
        );
    }
    // What happened along the way went to stderr.
    assert!(
        stderr.contains("rendered streaming, cd, broadcast"),
        "{stderr}"
    );
    // The report says the same, for machines.
    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("master-report.json")).unwrap())
            .unwrap();
    assert_eq!(report["passes"], true);
    assert_eq!(report["chain"], "master-default");
    let deliverables = report["tracks"][0]["deliverables"].as_array().unwrap();
    assert_eq!(deliverables.len(), 3);
    for d in deliverables {
        assert_eq!(d["processing"], "gain_and_limiting");
        assert!(d["max_gain_reduction_db"].as_f64().unwrap() > 0.0);
        assert!(d["loudness_deviation_lu"].as_f64().unwrap().abs() <= 0.1);
    }
    assert!(
        report["tracks"][0]["input"]["integrated_lufs"]
            .as_f64()
            .unwrap()
            < -16.0
    );
    let png = std::fs::read(out_dir.join("song-master.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
}

#[test]
fn json_output_custom_targets_and_single_deliverables() {
    let dir = tempfile::tempdir().unwrap();
    let input = mix(dir.path(), "quiet.wav", 0.05, 5.0);
    let out_dir = dir.path().join("o");
    let out = mixgraph()
        .args([
            "--json",
            "master",
            s(&input),
            "--lufs",
            "-20",
            "--tp",
            "-3",
            "--deliver",
            "cd",
            "--out",
            s(&out_dir),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["name"], "custom");
    assert_eq!(report["tracks"][0]["deliverables"][0]["deliverable"], "cd");
    let (spec, loudness, peak) = measure(&out_dir.join("quiet-cd.wav"));
    assert_eq!(spec.bits_per_sample, 16);
    assert!((loudness + 20.0).abs() <= 0.1, "{loudness}");
    assert!(peak <= -3.0, "{peak}");
    assert_eq!(report["tracks"][0]["deliverables"][0]["dither"], "tpdf");
}

#[test]
fn an_album_is_reported_per_track_and_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let one = mix(dir.path(), "one.wav", 0.2, 4.0);
    let two = mix(dir.path(), "two.wav", 0.1, 4.0);
    let out_dir = dir.path().join("album");
    let out = run(&[
        s(&one),
        s(&two),
        "--album",
        "--target",
        "ebu-r128",
        "--deliver",
        "streaming",
        "--out",
        s(&out_dir),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("album mode"), "{stdout}");
    let album_line = stdout
        .lines()
        .find(|l| l.starts_with("album streaming"))
        .unwrap();
    assert!(album_line.ends_with("pass"), "{album_line}");
    let (_, a, _) = measure(&out_dir.join("one-streaming.wav"));
    let (_, b, _) = measure(&out_dir.join("two-streaming.wav"));
    // Half the level is 6 dB quieter, before and after.
    assert!(((a - b) - 20.0 * 2f64.log10()).abs() < 0.05, "{a} {b}");
}

#[test]
fn a_target_beyond_the_allowed_gain_reduction_fails_with_status_1_and_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = mix(dir.path(), "dynamic.wav", 0.05, 4.0);
    let out_dir = dir.path().join("never");
    let out = run(&[
        s(&input),
        "--target",
        "spotify",
        "--max-gain-reduction",
        "0.3",
        "--out",
        s(&out_dir),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("within the maximum gain reduction of 0.3 dB"),
        "{stderr}"
    );
    assert!(stderr.contains("the limiter would need"), "{stderr}");
    assert!(!out_dir.exists(), "no deliverable, no folder");
}

#[test]
fn bad_input_exits_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = mix(dir.path(), "in.wav", 0.1, 2.0);
    let out_dir = dir.path().join("out");
    let no_limiter = chain(
        dir.path(),
        "plain.ron",
        r#"Chain(inputs: ["in"], outputs: ["out"], series: ["gain"])"#,
    );
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec![
                s(&input),
                "--target",
                "spotify",
                "--chain",
                s(&no_limiter),
                "--out",
                s(&out_dir),
            ],
            "no `limiter` node",
        ),
        (
            vec![s(&input), "--out", s(&out_dir)],
            "a loudness target is needed",
        ),
        (
            vec![
                s(&input),
                "--target",
                "spotify",
                "--deliver",
                "vinyl",
                "--out",
                s(&out_dir),
            ],
            "unknown deliverable `vinyl`",
        ),
        (
            vec!["missing.wav", "--target", "spotify", "--out", s(&out_dir)],
            "missing.wav",
        ),
    ];
    for (args, needle) in cases {
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out_dir.exists(), "{args:?}");
    }
}
