//! Every kind of bad input gets a clear message (which file, where, what was expected, what
//! was found), exit status 2, no panic, and no output file left behind.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use std::path::Path;

use common::*;

/// Renders `chain_text` with one bound stereo input and expects failure with status 2,
/// a message containing every `needle`, and no new file in the folder.
fn refuses(chain_text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    write_f32(&input, 48_000, &[noise(1, 4800, 0.5), noise(2, 4800, 0.5)]);
    let chain = chain(dir.path(), "bad.ron", chain_text);
    let before = files(dir.path());
    let out = mixgraph()
        .args([
            "render",
            chain.to_str().unwrap(),
            "--out-dir",
            dir.path().to_str().unwrap(),
        ])
        .arg("--input")
        .arg(format!("in={}", input.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "status for {chain_text}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    assert_eq!(files(dir.path()), before, "files appeared");
}

#[test]
fn ron_syntax_error_names_file_line_and_column() {
    refuses(
        "Chain(\n  inputs: [\"in\"],\n  outputs: [\"out\"\n  connections: [],\n)",
        &["bad.ron", "4:"],
    );
}

#[test]
fn unknown_node_kind_suggests_the_closest() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "c", kind: "compresor")], connections: [["in", "c", "out"]])"#,
        &["bad.ron", "compresor", "compressor"],
    );
}

#[test]
fn unknown_parameter_suggests_the_closest() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "g", kind: "gain", params: {"gian": 1.0})], connections: [["in", "g", "out"]])"#,
        &["bad.ron", "gian", "gain"],
    );
}

#[test]
fn out_of_range_value_says_unit_and_range() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "g", kind: "gain", params: {"gain": 99.0})], connections: [["in", "g", "out"]])"#,
        &["bad.ron", "99", "48", "dB"],
    );
}

#[test]
fn duplicate_node_names_are_refused() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "g", kind: "gain"), Node(name: "g", kind: "gain")], connections: [["in", "g", "out"]])"#,
        &["bad.ron", "`g`"],
    );
}

#[test]
fn unknown_node_in_a_connection_is_named() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "gain1", kind: "gain")], connections: [["in", "gain2", "out"]])"#,
        &["bad.ron", "gain2", "gain1"],
    );
}

#[test]
fn unknown_port_lists_the_ports() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "g", kind: "gain")], connections: [["in", "g.key"], ["g", "out"]])"#,
        &["bad.ron", "key", "in"],
    );
}

#[test]
fn dangling_node_output_is_reported() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "g", kind: "gain")], connections: [["in", "g"]])"#,
        &["bad.ron", "out"],
    );
}

#[test]
fn unconnected_required_input_is_named() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out", "out2"], nodes: [Node(name: "g", kind: "gain"), Node(name: "lonely", kind: "gain")], connections: [["in", "g", "out"], ["lonely", "out2"]])"#,
        &["bad.ron", "lonely", "in"],
    );
}

#[test]
fn channel_count_mismatch_says_expected_and_found() {
    refuses(
        r#"Chain(inputs: [Input(name: "in", channels: 2)], outputs: ["out"], nodes: [Node(name: "m", kind: "merge")], connections: [["in", "m.left"], ["in", "m.right"], ["m", "out"]])"#,
        &["bad.ron", "`m`", "expected 1", "found 2"],
    );
}

#[test]
fn a_cycle_names_every_node_of_the_loop() {
    refuses(
        r#"Chain(inputs: ["in"], outputs: ["out"], nodes: [Node(name: "a", kind: "gain"), Node(name: "b", kind: "gain"), Node(name: "c", kind: "gain")], connections: [["in", "a", "b", "c", "a"], ["c", "out"]])"#,
        &["bad.ron", "`a`", "`b`", "`c`", "feedback"],
    );
}

/// Renders the pass-through chain with `input` bound, expecting status 2 and `needles`.
fn refuses_input(input: &Path, dir: &Path, needles: &[&str]) {
    let chain = chain(
        dir,
        "thru.ron",
        r#"Chain(inputs: ["in"], outputs: ["out"], connections: [["in", "out"]])"#,
    );
    let before = files(dir);
    let out = mixgraph()
        .args([
            "render",
            chain.to_str().unwrap(),
            "--out-dir",
            dir.to_str().unwrap(),
        ])
        .arg("--input")
        .arg(format!("in={}", input.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    assert_eq!(files(dir), before, "files appeared");
}

#[test]
fn missing_input_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    refuses_input(&dir.path().join("nope.wav"), dir.path(), &["nope.wav"]);
}

#[test]
fn empty_input_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.wav");
    std::fs::write(&p, b"").unwrap();
    refuses_input(&p, dir.path(), &["empty.wav", "empty"]);
}

#[test]
fn truncated_input_file_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.wav");
    write_i24(&p, 48_000, &[noise(1, 48_000, 0.5), noise(2, 48_000, 0.5)]);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    refuses_input(&p, dir.path(), &["cut.wav", "truncated"]);
}

#[test]
fn a_header_crafted_to_crash_a_decoder_is_refused_quietly() {
    // 65535 channels in the `fmt ` chunk: symphonia 0.6 overflows (panics) on it; the
    // decoder shield turns that into an error and no panic text reaches the terminal.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crafted.wav");
    write_i24(&p, 48_000, &[noise(1, 4800, 0.5), noise(2, 4800, 0.5)]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[22..24].copy_from_slice(&u16::MAX.to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    refuses_input(&p, dir.path(), &["crafted.wav"]);
}

#[test]
fn non_audio_input_file_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.wav");
    std::fs::write(&p, "these are my session notes, not audio\n".repeat(50)).unwrap();
    refuses_input(&p, dir.path(), &["notes.wav", "WAV"]);
}

#[test]
fn output_path_equal_to_an_input_path_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("song.wav");
    write_i24(&input, 48_000, &[noise(1, 4800, 0.5)]);
    let original = std::fs::read(&input).unwrap();
    let chain = chain(
        dir.path(),
        "thru.ron",
        r#"Chain(inputs: ["in"], outputs: ["out"], connections: [["in", "out"]])"#,
    );
    let out = mixgraph()
        .args(["render", chain.to_str().unwrap()])
        .arg("--input")
        .arg(format!("in={}", input.display()))
        .arg("--output")
        .arg(format!(
            "out={}",
            dir.path().join(".").join("song.wav").display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("song.wav"), "{stderr}");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        original,
        "the input was changed"
    );
    assert_eq!(files(dir.path()), ["song.wav", "thru.ron"]);
}

#[test]
fn unknown_command_line_names_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = mixgraph()
        .args(["render", "no-such-chain.ron"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = mixgraph().args(["render", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = mixgraph().args(["nodes", "gian"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gain"));
    for threads in ["0", "257", "two"] {
        let out = mixgraph()
            .args(["render", "mix-basic", "--threads", threads])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--threads {threads}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--threads"),
            "--threads {threads}"
        );
    }
}
