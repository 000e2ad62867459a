//! Offline renders end to end: files in, graph, files out. Pass-through exactness, channel
//! layouts, rate conversion, padding, latency trimming, tails, reproducibility, progress and
//! readings.

#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod offline_support;

use mixgraph_engine::offline::{InputNotice, RenderRequest, render};
use mixgraph_engine::{Dither, OutputFormat, ReadingValue, SampleFormat};
use offline_support::{
    Echo, Fixture, GraphBuilder, Lookahead, PeakMeter, Scale, files_in, grid_noise_24, passthrough,
    read_wav, sine, write_wav,
};

fn no_progress() -> impl FnMut(u64, u64) {
    |_, _| {}
}

#[test]
fn a_pass_through_render_of_24_bit_audio_is_bit_exact_and_as_long_as_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    let output = dir.path().join("out.wav");
    // Not a multiple of the block size, full 24-bit range.
    let audio = vec![grid_noise_24(1, 10_007), grid_noise_24(2, 10_007)];
    write_wav(&input, 48_000, &audio, Fixture::Int24);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    let (source, result) = (read_wav(&input), read_wav(&output));
    assert_eq!(result.spec, source.spec);
    assert_eq!(result.ints, source.ints);
    assert_eq!(report.outputs[0].frames, 10_007);
    assert_eq!(
        (
            report.sample_rate,
            report.latency,
            report.tail,
            report.input_frames
        ),
        (48_000, 0, 0, 10_007)
    );
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    assert_eq!(report.faults, 0);
    let peak = audio.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((report.outputs[0].peak_dbfs - 20.0 * f64::from(peak).log10()).abs() < 1e-9);
    assert!(report.realtime_factor > 0.0);
}

#[test]
fn block_sizes_do_not_change_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    write_wav(
        &input,
        48_000,
        &vec![grid_noise_24(3, 5000)],
        Fixture::Int24,
    );
    let mut b = GraphBuilder::default();
    let i = b.input("in", 0);
    let la = b.node("look", Lookahead, &[("frames", 77.0)]);
    let echo = b.node("echo", Echo, &[("frames", 500.0)]);
    let o = b.output("out");
    b.wire(i, la);
    b.wire(la, echo);
    b.wire(echo, o);
    let mut results = Vec::new();
    for block in [1, 64, 1000, 4096] {
        let output = dir.path().join(format!("out{block}.wav"));
        let request = RenderRequest::new()
            .block(block)
            .input("in", &input)
            .output("out", &output, OutputFormat::new(SampleFormat::Float32));
        render(&b.graph, &request, &mut no_progress()).unwrap();
        results.push(read_wav(&output).floats);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(results[0][0].len(), 5500);
}

#[test]
fn a_six_channel_file_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("film_51.wav");
    let output = dir.path().join("out.wav");
    let audio: Vec<Vec<f32>> = (0..6).map(|c| grid_noise_24(10 + c, 3000)).collect();
    write_wav(&input, 48_000, &audio, Fixture::Int24);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    assert_eq!(report.outputs[0].channels, 6);
    assert_eq!(read_wav(&output).ints, read_wav(&input).ints);
}

#[test]
fn a_mono_file_is_duplicated_into_a_stereo_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("vox.wav");
    let output = dir.path().join("out.wav");
    let mono = grid_noise_24(4, 2000);
    write_wav(&input, 48_000, &vec![mono.clone()], Fixture::Int24);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Float32),
    );
    let report = render(&passthrough(2), &request, &mut no_progress()).unwrap();
    assert_eq!(
        report.notices,
        vec![InputNotice::DuplicatedMono {
            input: "in".into(),
            path: input.clone(),
            channels: 2
        }]
    );
    let out = read_wav(&output).floats;
    assert_eq!(out, vec![mono.clone(), mono]);
}

#[test]
fn an_input_at_another_rate_is_converted_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cd.wav");
    let output = dir.path().join("out.wav");
    let len = 22_050;
    write_wav(
        &input,
        44_100,
        &vec![sine(1000.0, 44_100, 0.5, 0.4, len)],
        Fixture::Float32,
    );
    let request = RenderRequest::new()
        .sample_rate(48_000)
        .input("in", &input)
        .output("out", &output, OutputFormat::new(SampleFormat::Float32));
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    assert_eq!(
        report.notices,
        vec![InputNotice::Resampled {
            input: "in".into(),
            path: input.clone(),
            from: 44_100,
            to: 48_000
        }]
    );
    assert!(report.notices[0].to_string().contains("44100 Hz"));
    let out = read_wav(&output);
    assert_eq!(out.spec.sample_rate, 48_000);
    assert_eq!(out.floats[0].len(), 24_000, "round(22050 * 48000 / 44100)");
    let expected = sine(1000.0, 48_000, 0.5, 0.4, 24_000);
    let worst = out.floats[0][3000..21_000]
        .iter()
        .zip(&expected[3000..21_000])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-5, "{worst}");
}

#[test]
fn the_session_rate_defaults_to_the_first_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cd.wav");
    let output = dir.path().join("out.wav");
    write_wav(&input, 44_100, &vec![vec![0.25; 441]], Fixture::Int16);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    assert_eq!(report.sample_rate, 44_100);
    assert_eq!(read_wav(&output).spec.sample_rate, 44_100);
}

#[test]
fn a_shorter_input_is_padded_with_silence_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let (short, long, output) = (
        dir.path().join("short.wav"),
        dir.path().join("long.wav"),
        dir.path().join("sum.wav"),
    );
    let a = grid_noise_24(5, 1000)
        .iter()
        .map(|x| x * 0.5)
        .collect::<Vec<_>>();
    let b = grid_noise_24(6, 3000)
        .iter()
        .map(|x| x * 0.5)
        .collect::<Vec<_>>();
    write_wav(&short, 48_000, &vec![a.clone()], Fixture::Float32);
    write_wav(&long, 48_000, &vec![b.clone()], Fixture::Float32);
    // Both inputs meet at the output: the compiler sums them.
    let mut g = GraphBuilder::default();
    let ia = g.input("a", 0);
    let ib = g.input("b", 0);
    let o = g.output("out");
    g.wire(ia, o);
    g.wire(ib, o);
    let request = RenderRequest::new()
        .input("a", &short)
        .input("b", &long)
        .output("out", &output, OutputFormat::new(SampleFormat::Float32));
    let report = render(&g.graph, &request, &mut no_progress()).unwrap();
    assert_eq!(
        report.notices,
        vec![InputNotice::Padded {
            input: "a".into(),
            path: short.clone(),
            frames: 2000
        }]
    );
    let out = &read_wav(&output).floats[0];
    assert_eq!(out.len(), 3000);
    for (n, y) in out.iter().enumerate() {
        let expected = b[n] + a.get(n).copied().unwrap_or(0.0);
        assert_eq!(*y, expected, "frame {n}");
    }
}

#[test]
fn latency_is_trimmed_so_the_output_lines_up_with_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    let output = dir.path().join("out.wav");
    let audio = grid_noise_24(7, 4000);
    write_wav(&input, 48_000, &vec![audio.clone()], Fixture::Int24);
    // A look-ahead of 1500 frames (more than a block) on one path, a dry path alongside: the
    // compiler delays the dry path to match, the renderer trims the 1500 frames at the head.
    let mut b = GraphBuilder::default();
    let i = b.input("in", 0);
    let look = b.node("look", Lookahead, &[("frames", 1500.0)]);
    let half_wet = b.node("half_wet", Scale, &[("factor", 0.5)]);
    let half_dry = b.node("half_dry", Scale, &[("factor", 0.5)]);
    let o = b.output("out");
    b.wire(i, look);
    b.wire(look, half_wet);
    b.wire(i, half_dry);
    b.wire(half_wet, o);
    b.wire(half_dry, o);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    let report = render(&b.graph, &request, &mut no_progress()).unwrap();
    assert_eq!(report.latency, 1500);
    let result = read_wav(&output);
    assert_eq!(
        result.ints,
        read_wav(&input).ints,
        "0.5 x + 0.5 x, aligned, is x exactly"
    );
}

#[test]
fn a_tail_is_flushed_after_the_longest_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hit.wav");
    let output = dir.path().join("out.wav");
    let audio = grid_noise_24(8, 1000)
        .iter()
        .map(|x| x * 0.5)
        .collect::<Vec<f32>>();
    write_wav(&input, 48_000, &vec![audio.clone()], Fixture::Float32);
    let mut b = GraphBuilder::default();
    let i = b.input("in", 0);
    let echo = b.node("echo", Echo, &[("frames", 2500.0)]);
    let o = b.output("out");
    b.wire(i, echo);
    b.wire(echo, o);
    let request = RenderRequest::new().input("in", &input).output(
        "out",
        &output,
        OutputFormat::new(SampleFormat::Float32),
    );
    let report = render(&b.graph, &request, &mut no_progress()).unwrap();
    assert_eq!(
        (report.tail, report.input_frames, report.outputs[0].frames),
        (2500, 1000, 3500)
    );
    let out = &read_wav(&output).floats[0];
    assert_eq!(out.len(), 3500);
    assert_eq!(&out[..1000], &audio[..]);
    assert!(out[1000..2500].iter().all(|x| *x == 0.0));
    assert_eq!(
        &out[2500..],
        &audio[..],
        "the echo of the whole input is kept"
    );
}

#[test]
fn one_output_can_be_delivered_in_several_formats_and_rates() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("master.wav");
    write_wav(
        &input,
        48_000,
        &vec![sine(997.0, 48_000, 0.5, 0.0, 48_000); 2],
        Fixture::Float32,
    );
    let (hi, cd) = (
        dir.path().join("master_48k_24.wav"),
        dir.path().join("master_44k_16.wav"),
    );
    let request = RenderRequest::new()
        .input("in", &input)
        .output("out", &hi, OutputFormat::new(SampleFormat::Pcm24))
        .output(
            "out",
            &cd,
            OutputFormat::new(SampleFormat::Pcm16)
                .with_sample_rate(44_100)
                .with_dither(Dither::TpdfShaped),
        );
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    assert_eq!(report.outputs.len(), 2);
    let (a, b) = (read_wav(&hi), read_wav(&cd));
    assert_eq!(
        (
            a.spec.sample_rate,
            a.spec.bits_per_sample,
            a.floats[0].len()
        ),
        (48_000, 24, 48_000)
    );
    assert_eq!(
        (
            b.spec.sample_rate,
            b.spec.bits_per_sample,
            b.floats[0].len()
        ),
        (44_100, 16, 44_100)
    );
    assert_eq!(report.outputs[1].dither, Dither::TpdfShaped);
    assert_eq!(report.outputs[1].sample_rate, 44_100);
}

#[test]
fn rendering_twice_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    write_wav(
        &input,
        44_100,
        &vec![sine(440.0, 44_100, 0.3, 0.0, 20_000); 2],
        Fixture::Float32,
    );
    let mut files = Vec::new();
    for n in 0..2 {
        let output = dir.path().join(format!("render{n}.wav"));
        // 16-bit (dithered) at 48 kHz (resampled): every random or stateful stage involved.
        let format = OutputFormat::new(SampleFormat::Pcm16).with_sample_rate(48_000);
        let request = RenderRequest::new()
            .input("in", &input)
            .output("out", &output, format);
        render(&passthrough(0), &request, &mut no_progress()).unwrap();
        files.push(std::fs::read(&output).unwrap());
    }
    assert_eq!(files[0], files[1]);
}

#[test]
fn progress_counts_up_to_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    write_wav(&input, 48_000, &vec![vec![0.1; 5000]], Fixture::Int16);
    let mut b = GraphBuilder::default();
    let i = b.input("in", 0);
    let la = b.node("look", Lookahead, &[("frames", 300.0)]);
    let o = b.output("out");
    b.wire(i, la);
    b.wire(la, o);
    let mut calls = Vec::new();
    let request = RenderRequest::new().block(512).input("in", &input).output(
        "out",
        dir.path().join("o.wav"),
        OutputFormat::new(SampleFormat::Pcm24),
    );
    render(&b.graph, &request, &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0), "monotonic");
    assert!(
        calls
            .iter()
            .all(|&(done, total)| total == 5300 && done <= total),
        "{calls:?}"
    );
    assert_eq!(calls.last(), Some(&(5300, 5300)));
}

#[test]
fn meter_readings_come_back_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    let mut audio = vec![0.0f32; 4000];
    audio[1234] = -0.75;
    write_wav(&input, 48_000, &vec![audio], Fixture::Float32);
    let mut b = GraphBuilder::default();
    let i = b.input("in", 0);
    let meter = b.node("meter", PeakMeter, &[]);
    let o = b.output("out");
    b.wire(i, meter);
    b.wire(meter, o);
    // No output file at all: an analysis-only render.
    let request = RenderRequest::new().input("in", &input);
    let report = render(&b.graph, &request, &mut no_progress()).unwrap();
    assert!(report.outputs.is_empty());
    assert!(files_in(dir.path()) == vec![input]);
    let meter = report.readings.iter().find(|r| r.node == "meter").unwrap();
    assert_eq!(meter.kind, "test_peak");
    let value = |name: &str| match meter
        .readings
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .value
    {
        ReadingValue::Scalar(v) => v,
        _ => f64::NAN,
    };
    assert_eq!(value("peak"), 0.75);
    assert_eq!(value("frames"), 4000.0);
}

#[test]
fn a_lossy_input_is_noted_and_converted() {
    let dir = tempfile::tempdir().unwrap();
    let mp3 = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/offline_fixtures/sine_1k_44k1_stereo.mp3");
    let output = dir.path().join("out.wav");
    let request = RenderRequest::new()
        .sample_rate(48_000)
        .input("in", &mp3)
        .output("out", &output, OutputFormat::new(SampleFormat::Pcm24));
    let report = render(&passthrough(0), &request, &mut no_progress()).unwrap();
    assert_eq!(
        report.notices,
        vec![
            InputNotice::Lossy {
                input: "in".into(),
                path: mp3.clone(),
                codec: "mp3".into()
            },
            InputNotice::Resampled {
                input: "in".into(),
                path: mp3,
                from: 44_100,
                to: 48_000
            },
        ]
    );
    assert_eq!(
        read_wav(&output).floats[0].len(),
        24_000,
        "round(22050 * 48000 / 44100)"
    );
}
