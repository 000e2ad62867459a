//! `mixgraph render` end to end: exact pass-through, an exact mix of stems, meters in the
//! summary, and JSON output.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use common::*;

#[test]
fn pass_through_renders_a_24_bit_wav_whose_samples_equal_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let codes = write_i24(
        &input,
        44_100,
        &[noise(1, 30_000, 0.9), noise(2, 30_000, 0.5)],
    );
    let chain = chain(
        dir.path(),
        "thru.ron",
        r#"Chain(inputs: ["in"], outputs: ["out"], connections: [["in", "out"]])"#,
    );
    let out = dir.path().join("out.wav");
    mixgraph()
        .args(["render", chain.to_str().unwrap(), "--input"])
        .arg(format!("in={}", input.display()))
        .arg("--output")
        .arg(format!("out={}", out.display()))
        .assert()
        .success();
    let (spec, got) = read_i32(&out);
    assert_eq!(
        (spec.bits_per_sample, spec.sample_rate, spec.channels),
        (24, 44_100, 2)
    );
    assert_eq!(got, codes);
}

#[test]
fn three_stems_with_gains_and_pans_render_to_the_sum_computed_here() {
    let dir = tempfile::tempdir().unwrap();
    let len = 20_000;
    let stems: Vec<(&str, Vec<f64>, f64, f64)> = vec![
        ("kick", noise(3, len, 0.5), -3.0, -0.5),
        ("snare", noise(4, len, 0.5), 2.0, 0.25),
        ("vox", noise(5, len, 0.5), -10.0, 1.0),
    ];
    for (name, x, _, _) in &stems {
        write_f32(
            &dir.path().join(format!("{name}.wav")),
            48_000,
            std::slice::from_ref(x),
        );
    }
    let mut nodes = String::new();
    let mut paths = String::new();
    for (name, _, gain, pan) in &stems {
        nodes += &format!(
            "Node(name: \"{name}-g\", kind: \"gain\", params: {{\"gain\": {gain:?}}}), Node(name: \"{name}-p\", kind: \"pan\", params: {{\"pan\": {pan:?}, \"law\": \"-3dB\"}}),\n"
        );
        paths += &format!("[\"{name}\", \"{name}-g\", \"{name}-p\", \"bus\"],\n");
    }
    let text = format!(
        "Chain(inputs: [\"kick\", \"snare\", \"vox\"], outputs: [Output(name: \"mix\", from: \"bus\", format: Float32)],\n nodes: [{nodes} Node(name: \"bus\", kind: \"sum\")],\n connections: [{paths}])"
    );
    let chain = chain(dir.path(), "mix.ron", &text);
    let mut cmd = mixgraph();
    cmd.args([
        "render",
        chain.to_str().unwrap(),
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    for (name, _, _, _) in &stems {
        cmd.arg("--input").arg(format!(
            "{name}={}",
            dir.path().join(format!("{name}.wav")).display()
        ));
    }
    cmd.assert().success();
    let (_, got) = read_f32(&dir.path().join("mix.wav"));
    // Independent computation: constant-power pan, theta = (p + 1) pi / 4, gain 10^(dB/20).
    for n in 0..len {
        let (mut l, mut r) = (0.0f64, 0.0f64);
        for (_, x, gain, pan) in &stems {
            let g = 10f64.powf(gain / 20.0);
            let theta = (pan + 1.0) * std::f64::consts::FRAC_PI_4;
            l += f64::from(x[n] as f32) * g * theta.cos();
            r += f64::from(x[n] as f32) * g * theta.sin();
        }
        assert!(
            (f64::from(got[0][n]) - l).abs() < 2e-6,
            "left frame {n}: {} vs {l}",
            got[0][n]
        );
        assert!(
            (f64::from(got[1][n]) - r).abs() < 2e-6,
            "right frame {n}: {} vs {r}",
            got[1][n]
        );
    }
}

#[test]
fn json_summary_reports_length_peak_and_meter_readings() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sine.wav");
    // A 1 kHz sine at half scale: peak -6.02 dBFS.
    let sine: Vec<f64> = (0..48_000)
        .map(|n| 0.5 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 48_000.0).sin())
        .collect();
    write_f32(&input, 48_000, &[sine.clone(), sine]);
    let chain = chain(
        dir.path(),
        "meter.ron",
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "meter", kind: "peak_meter")], connections: [["in", "meter", "out"]])"#,
    );
    let out = mixgraph()
        .args([
            "--json",
            "render",
            chain.to_str().unwrap(),
            "--out-dir",
            dir.path().to_str().unwrap(),
        ])
        .arg("--input")
        .arg(format!("in={}", input.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input_frames"], 48_000);
    assert!((v["length_seconds"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    let peak = v["outputs"][0]["peak_dbfs"].as_f64().unwrap();
    assert!((peak - 20.0 * 0.5f64.log10()).abs() < 0.01, "peak {peak}");
    let meter = &v["readings"][0];
    assert_eq!(meter["node"], "meter");
    let read = meter["readings"]["sample_peak"]["value"].as_f64().unwrap();
    assert!((read - 20.0 * 0.5f64.log10()).abs() < 0.01, "meter {read}");
}
