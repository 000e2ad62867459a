//! Lua recipes through the CLI: `render recipe.lua` works like a RON chain, and
//! `export recipe.lua -o preset.ron` writes a preset that renders identically.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use std::path::Path;

use common::*;

fn recipe(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/recipes")
        .join(name)
        .display()
        .to_string()
}

/// A short music-like stereo mix: a decaying chord over noise hits.
fn mix(path: &Path) {
    let sr = 44_100.0;
    let len = 44_100 * 6;
    let ch = |phase: f64| -> Vec<f64> {
        let hits = noise(9, len, 1.0);
        (0..len)
            .map(|n| {
                let t = n as f64 / sr;
                let beat = (t * 2.0).fract();
                let chord: f64 = [220.0, 277.2, 329.6]
                    .iter()
                    .map(|f| (2.0 * std::f64::consts::PI * f * t + phase).sin())
                    .sum();
                0.08 * chord + 0.25 * hits[n] * (-beat * 30.0).exp()
            })
            .collect()
    };
    write_f32(path, 44_100, &[ch(0.0), ch(0.3)]);
}

#[test]
fn a_recipe_renders_and_its_export_renders_identically() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    mix(&input);
    let binding = format!("mix={}", input.display());
    let direct = dir.path().join("direct");
    mixgraph()
        .args([
            "render",
            &recipe("adaptive-master.lua"),
            "--target",
            "apple",
            "--input",
            &binding,
            "--out-dir",
        ])
        .arg(&direct)
        .assert()
        .success();
    let preset = dir.path().join("adaptive.ron");
    mixgraph()
        .args([
            "export",
            &recipe("adaptive-master.lua"),
            "--target",
            "apple",
            "--input",
            &binding,
            "-o",
        ])
        .arg(&preset)
        .assert()
        .success();
    let exported = dir.path().join("exported");
    mixgraph()
        .args([
            "render",
            preset.to_str().unwrap(),
            "--input",
            &binding,
            "--out-dir",
        ])
        .arg(&exported)
        .assert()
        .success();
    let names = files(&direct);
    assert!(!names.is_empty());
    assert_eq!(files(&exported), names);
    for name in names {
        let a = std::fs::read(direct.join(&name)).unwrap();
        let b = std::fs::read(exported.join(&name)).unwrap();
        assert!(a == b, "{name} differs between the recipe and its export");
    }
}

#[test]
fn a_recipe_error_names_the_script_and_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let script = chain(
        dir.path(),
        "bad.lua",
        "local a = 1\nchain.node(\"compresor\", {})\n",
    );
    let out = mixgraph()
        .args(["check", script.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.lua:2"), "{stderr}");
    assert!(stderr.contains("compressor"), "{stderr}");
}

#[test]
fn a_recipe_that_tries_to_open_a_file_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("owned.txt");
    let script = chain(
        dir.path(),
        "evil.lua",
        &format!(
            "io.open({:?}, \"w\"):write(\"x\")\n",
            target.display().to_string()
        ),
    );
    let out = mixgraph()
        .args(["check", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("io.open"));
    assert!(!target.exists());
}
