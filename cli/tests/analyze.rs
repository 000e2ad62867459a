//! `mixgraph analyze`: an EBU Tech 3341 signal read right through the command line, every
//! figure in text and JSON, an album line for several files, named and custom targets, the
//! plot, and exit status 2 with a clear message for files that are not audio.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic there is a failed test"
)]

mod common;

use std::path::Path;

use common::*;
use ebur128::{EbuR128, Mode};
use serde_json::Value;

/// A 1 kHz sine of `dbfs` peak on every channel, `seconds` long.
fn sine(rate: u32, dbfs: f64, seconds: f64) -> Vec<f64> {
    let amplitude = 10f64.powf(dbfs / 20.0);
    (0..(seconds * f64::from(rate)) as usize)
        .map(|i| amplitude * (std::f64::consts::TAU * 1000.0 * i as f64 / f64::from(rate)).sin())
        .collect()
}

fn analyze_json(args: &[&str]) -> Value {
    let out = mixgraph()
        .arg("--json")
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn ebu_3341_case_1_reads_minus_23_lufs() {
    // Tech 3341 case 1: stereo 1 kHz at -23 dBFS for 20 s reads -23.0 LUFS (+-0.1) for M, S
    // and I.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case1.wav");
    let tone = sine(48_000, -23.0, 20.0);
    write_i24(&file, 48_000, &[tone.clone(), tone]);
    let json = analyze_json(&[path(&file)]);
    let f = &json["files"][0];
    for key in [
        "integrated_lufs",
        "max_momentary_lufs",
        "max_short_term_lufs",
    ] {
        let v = f[key].as_f64().unwrap();
        assert!((v + 23.0).abs() <= 0.1, "{key}: {v}");
    }
    assert!((f["true_peak_dbtp"].as_f64().unwrap() + 23.0).abs() < 0.1);
    assert!(f["loudness_range_lu"].as_f64().unwrap() < 0.1);
    assert_eq!(f["format"]["sample_rate_hz"], 48_000);
    assert_eq!(f["format"]["bits_per_sample"], 24);
    assert_eq!(f["format"]["channels"], 2);
    assert!((f["duration_s"].as_f64().unwrap() - 20.0).abs() < 1e-9);
    // The text form shows the same figure.
    let out = mixgraph().args(["analyze", path(&file)]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("integrated"))
        .unwrap();
    let value: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((value + 23.0).abs() <= 0.1, "{line}");
    assert!(line.ends_with("LUFS"), "{line}");
}

#[test]
fn every_figure_is_printed_and_several_files_make_an_album() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let loud = sine(44_100, -20.0, 5.0);
    let quiet = sine(48_000, -30.0, 5.0);
    write_i24(&a, 44_100, &[loud.clone(), loud.clone()]);
    write_i24(&b, 48_000, &[quiet.clone(), quiet.clone()]);
    let out = mixgraph()
        .args(["analyze", path(&a), path(&b)])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for figure in [
        "integrated",
        "max momentary",
        "max short-term",
        "loudness range",
        "true peak",
        "sample peak",
        "PLR",
        "DC offset",
        "clipping",
        "phase correlation",
        "silence head / tail",
        "album:",
        "warning: mixed sample rates: 44100 Hz, 48000 Hz",
    ] {
        assert!(text.contains(figure), "missing `{figure}` in:\n{text}");
    }
    // The album line is the loudness of both files gated together, as ebur128 gives it.
    let json = analyze_json(&[path(&a), path(&b)]);
    let meter = |rate, tone: &[f64]| {
        let mut m = EbuR128::new(2, rate, Mode::I).unwrap();
        m.add_frames_planar_f64(&[tone, tone]).unwrap();
        m
    };
    let meters = [meter(44_100, &loud), meter(48_000, &quiet)];
    let album = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
    let reported = json["album"]["integrated_lufs"].as_f64().unwrap();
    assert!((reported - album).abs() < 0.01, "{reported} vs {album}");
    assert_eq!(json["warnings"][0]["kind"], "mixed_sample_rates");
}

#[test]
fn targets_by_name_and_custom() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.wav");
    let tone = sine(48_000, -23.0, 4.0);
    write_i24(&file, 48_000, &[tone.clone(), tone]);
    let json = analyze_json(&[path(&file), "--target", "ebu-r128"]);
    assert_eq!(json["target"]["name"], "ebu-r128");
    assert_eq!(json["files"][0]["target_check"]["passes"], true);
    let json = analyze_json(&[path(&file), "--target", "spotify"]);
    let deviation = json["files"][0]["target_check"]["loudness_deviation_lu"]
        .as_f64()
        .unwrap();
    assert!((deviation + 9.0).abs() < 0.1, "{deviation}");
    let json = analyze_json(&[path(&file), "--lufs", "-30", "--tp", "-20"]);
    assert_eq!(json["target"]["name"], "custom");
    assert_eq!(json["target"]["integrated_lufs"], -30.0);
    assert_eq!(json["target"]["true_peak_dbtp"], -20.0);
    assert_eq!(json["files"][0]["target_check"]["true_peak_ok"], true);
    assert_eq!(json["files"][0]["target_check"]["loudness_ok"], false);
    // A named target with an override is a custom one.
    let json = analyze_json(&[path(&file), "--target", "ebu-r128", "--tp", "-2"]);
    assert_eq!(
        (
            &json["target"]["integrated_lufs"],
            &json["target"]["true_peak_dbtp"]
        ),
        (&Value::from(-23.0), &Value::from(-2.0))
    );
    // Every named target is known.
    for name in [
        "spotify", "apple", "youtube", "tidal", "amazon", "ebu-r128", "atsc-a85", "podcast",
    ] {
        assert_eq!(
            analyze_json(&[path(&file), "--target", name])["target"]["name"],
            name
        );
    }
    let out = mixgraph()
        .args(["analyze", path(&file), "--target", "spotfy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `spotify`"));
}

#[test]
fn the_plot_is_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.wav");
    let tone = sine(44_100, -14.0, 4.0);
    write_i24(&file, 44_100, &[tone.clone(), tone]);
    let plot = dir.path().join("p.png");
    let out = mixgraph()
        .args([
            "analyze",
            path(&file),
            "--target",
            "spotify",
            "--plot",
            path(&plot),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let bytes = std::fs::read(&plot).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn files_that_are_not_audio_exit_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "not audio at all").unwrap();
    let missing = dir.path().join("missing.wav");
    for (file, needle) in [(&text, "notes.wav"), (&missing, "missing.wav")] {
        let out = mixgraph().args(["analyze", path(file)]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(out.stdout.is_empty());
    }
}
