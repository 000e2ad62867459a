//! Offline renders that must fail: each bad input or binding gives its own error variant
//! naming the file or node, and no output file (nor temporary file) is left behind.

#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod offline_support;

use std::path::{Path, PathBuf};

use mixgraph_engine::io::AudioIoError;
use mixgraph_engine::offline::{RenderError, RenderRequest, render};
use mixgraph_engine::{GraphError, OutputFormat, SampleFormat};
use offline_support::{Fixture, GraphBuilder, files_in, grid_noise_24, passthrough, write_wav};

/// Renders a pass-through graph from `input` to `out.wav` in `dir`, and checks that the
/// folder holds exactly the files it held before.
fn render_fails(dir: &Path, input: &Path) -> RenderError {
    let before = files_in(dir);
    let output = dir.join("out.wav");
    let request = RenderRequest::new().input("in", input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let err = render(&passthrough(0), &request, &mut |_, _| {}).unwrap_err();
    assert_eq!(
        files_in(dir),
        before,
        "no output or temporary file left behind"
    );
    err
}

fn good_wav(dir: &Path, name: &str, frames: usize) -> PathBuf {
    let path = dir.join(name);
    write_wav(
        &path,
        48_000,
        &vec![grid_noise_24(1, frames), grid_noise_24(2, frames)],
        Fixture::Int16,
    );
    path
}

#[test]
fn a_missing_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("stems").join("bass.wav");
    let err = render_fails(dir.path(), &missing);
    assert!(
        matches!(&err, RenderError::Io(AudioIoError::NotFound { path }) if *path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("bass.wav"));
}

#[test]
fn an_empty_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let err = render_fails(dir.path(), &empty);
    assert!(
        matches!(&err, RenderError::Io(AudioIoError::Empty { path }) if *path == empty),
        "{err:?}"
    );
}

#[test]
fn a_non_audio_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("session.wav");
    std::fs::write(&text, "{ \"tracks\": [] }\n".repeat(100)).unwrap();
    let err = render_fails(dir.path(), &text);
    assert!(
        matches!(&err, RenderError::Io(AudioIoError::NotAudio { path }) if *path == text),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("expected WAV, FLAC, MP3, Ogg Vorbis or AIFF")
    );
}

#[test]
fn an_input_truncated_halfway_fails_mid_render_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let full = good_wav(dir.path(), "full.wav", 96_000);
    let bytes = std::fs::read(&full).unwrap();
    std::fs::remove_file(&full).unwrap();
    let cut = dir.path().join("cut.wav");
    // The header announces 2 s; the data stops after 1.5 s, long after the render started.
    std::fs::write(&cut, &bytes[..44 + 4 * 72_000]).unwrap();
    let err = render_fails(dir.path(), &cut);
    match &err {
        RenderError::Io(AudioIoError::Truncated {
            path,
            position_secs,
            expected_secs,
        }) => {
            assert_eq!(path, &cut);
            assert!((1.4..=1.5).contains(position_secs), "{position_secs}");
            assert_eq!(*expected_secs, Some(2.0));
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "mix.wav", 1000);
    let original = std::fs::read(&input).unwrap();
    let same = dir.path().join(".").join("mix.wav");
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &same,
        OutputFormat::new(SampleFormat::Pcm16),
    );
    let err = render(&passthrough(0), &request, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, RenderError::Io(AudioIoError::OutputIsInput { path }) if *path == same),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&input).unwrap(),
        original,
        "the input is untouched"
    );
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn two_outputs_to_one_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "mix.wav", 1000);
    let out = dir.path().join("out.wav");
    let f = OutputFormat::new(SampleFormat::Pcm24);
    let request = RenderRequest::new()
        .input("in", &input)
        .output("out", &out, f)
        .output("out", &out, f);
    let err = render(&passthrough(0), &request, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, RenderError::DuplicateOutputPath { path } if *path == out),
        "{err:?}"
    );
}

#[test]
fn bindings_must_name_the_graphs_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "mix.wav", 1000);
    let out = dir.path().join("out.wav");
    let f = OutputFormat::new(SampleFormat::Pcm24);
    let mut b = GraphBuilder::default();
    let drums = b.input("drums", 0);
    let bass = b.input("bass", 0);
    let o = b.output("master");
    b.wire(drums, o);
    b.wire(bass, o);
    let g = b.graph;
    let run = |request: RenderRequest| render(&g, &request, &mut |_, _| {}).unwrap_err();

    let err = run(RenderRequest::new().input("drums", &input));
    assert!(
        matches!(&err, RenderError::UnboundInput { node, .. } if node == "bass"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`drums`, `bass`"), "{err}");

    let err = run(RenderRequest::new()
        .input("drums", &input)
        .input("bas", &input)
        .input("bass", &input));
    assert!(
        matches!(&err, RenderError::UnknownInput { name, .. } if name == "bas"),
        "{err:?}"
    );
    assert!(err.to_string().contains("did you mean `bass`?"), "{err}");

    let err = run(RenderRequest::new()
        .input("drums", &input)
        .input("drums", &input));
    assert!(
        matches!(&err, RenderError::DuplicateInput { name } if name == "drums"),
        "{err:?}"
    );

    let err = run(RenderRequest::new()
        .input("drums", &input)
        .input("bass", &input)
        .output("out", &out, f));
    assert!(
        matches!(&err, RenderError::UnknownOutput { name, outputs } if name == "out" && outputs == &["master"]),
        "{err:?}"
    );
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn a_stereo_file_into_an_input_declared_mono_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "stereo.wav", 500);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        dir.path().join("o.wav"),
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let err = render(&passthrough(1), &request, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, RenderError::InputChannels { input, declared: 1, found: 2, .. } if input == "in"),
        "{err:?}"
    );
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn graph_errors_pass_through_typed() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "mix.wav", 500);
    let request = RenderRequest::new().block(0).input("in", &input).output(
        "out",
        dir.path().join("o.wav"),
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let err = render(&passthrough(0), &request, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(err, RenderError::Graph(GraphError::Config(_))),
        "{err:?}"
    );
    // An absurd block size is refused before any buffer of that size is allocated.
    let huge = request.clone().block(1 << 40);
    let err = render(&passthrough(0), &huge, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(err, RenderError::Graph(GraphError::Config(_))),
        "{err:?}"
    );
    assert_eq!(files_in(dir.path()), vec![input]);
}

#[test]
fn an_output_folder_that_does_not_exist_leaves_no_other_output_behind() {
    let dir = tempfile::tempdir().unwrap();
    let input = good_wav(dir.path(), "mix.wav", 500);
    let f = OutputFormat::new(SampleFormat::Pcm24);
    let request = RenderRequest::new()
        .input("in", &input)
        .output("out", dir.path().join("first.wav"), f)
        .output("out", dir.path().join("missing").join("second.wav"), f);
    let err = render(&passthrough(0), &request, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, RenderError::Io(AudioIoError::Io { path, .. }) if path.ends_with("missing/second.wav")),
        "{err:?}"
    );
    assert_eq!(files_in(dir.path()), vec![input]);
}
