//! Helpers shared by the integration tests: synthesized WAV inputs, recipe paths, rendering
//! a script's chain, and an independent loudness reading (the `ebur128` crate).
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test support: each test binary uses a part of it, and a failed unwrap is a failed test"
)]

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use mixgraph_chains::ChainSpec;
use mixgraph_engine::{RenderReport, RenderRequest};
use mixgraph_scripts::ScriptOptions;

/// The session rate of the synthesized inputs.
pub const RATE: u32 = 48_000;

/// Planar audio: one vector per channel.
pub type Audio = Vec<Vec<f32>>;

/// A shipped recipe's path.
pub fn recipe(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recipes")
        .join(name)
}

/// Deterministic white noise in -1..1 (xorshift), scaled to `amplitude`.
pub fn noise(seed: u64, channels: usize, frames: usize, amplitude: f32) -> Audio {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..channels)
        .map(|_| {
            (0..frames)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                    ((unit * 2.0 - 1.0) as f32) * amplitude
                })
                .collect()
        })
        .collect()
}

/// A sine of `amplitude` (peak) on every channel.
pub fn sine(hz: f64, amplitude: f64, channels: usize, frames: usize) -> Audio {
    let one: Vec<f32> = (0..frames)
        .map(|i| (amplitude * (TAU * hz * i as f64 / f64::from(RATE)).sin()) as f32)
        .collect();
    vec![one; channels]
}

/// Sums several signals of the same shape.
pub fn mix(parts: &[Audio]) -> Audio {
    let mut out = parts[0].clone();
    for part in &parts[1..] {
        for (o, p) in out.iter_mut().zip(part) {
            for (a, b) in o.iter_mut().zip(p) {
                *a += *b;
            }
        }
    }
    out
}

/// A simple one-pole low-pass (a "dark" signal from noise), in place.
pub fn one_pole_lowpass(audio: &mut Audio, hz: f64) {
    let a = (-TAU * hz / f64::from(RATE)).exp() as f32;
    for channel in audio {
        let mut y = 0.0f32;
        for x in channel.iter_mut() {
            y = (1.0 - a) * *x + a * y;
            *x = y;
        }
    }
}

/// Writes a 32-bit float WAV at [`RATE`].
pub fn write_wav(path: &Path, audio: &Audio) {
    let spec = hound::WavSpec {
        channels: audio.len() as u16,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..audio[0].len() {
        for channel in audio {
            writer.write_sample(channel[i]).unwrap();
        }
    }
    writer.finalize().unwrap();
}

/// Reads any WAV as planar f32.
pub fn read_wav(path: &Path) -> Audio {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let channels = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = 2f32.powi(i32::from(spec.bits_per_sample) - 1);
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    (0..channels)
        .map(|c| samples.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

/// Integrated loudness by the `ebur128` crate (an implementation independent of mixgraph's).
pub fn integrated_lufs(audio: &Audio) -> f64 {
    let mut meter = ebur128::EbuR128::new(audio.len() as u32, RATE, ebur128::Mode::I).unwrap();
    let planar: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planar).unwrap();
    meter.loudness_global().unwrap()
}

/// Highest true peak (4x oversampled) by the `ebur128` crate, in dBTP.
pub fn true_peak_dbtp(audio: &Audio) -> f64 {
    let mut meter =
        ebur128::EbuR128::new(audio.len() as u32, RATE, ebur128::Mode::TRUE_PEAK).unwrap();
    let planar: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planar).unwrap();
    (0..audio.len() as u32)
        .map(|c| meter.true_peak(c).unwrap())
        .fold(0.0, f64::max)
        .log10()
        * 20.0
}

/// RMS over all samples, in dBFS.
pub fn rms_db(audio: &Audio) -> f64 {
    let (sum, n) = audio.iter().flatten().fold((0.0f64, 0usize), |(s, n), &x| {
        (s + f64::from(x) * f64::from(x), n + 1)
    });
    10.0 * (sum / n as f64).log10()
}

/// Options binding `inputs` (name, file).
pub fn options_with(inputs: &[(&str, &Path)]) -> ScriptOptions {
    ScriptOptions {
        inputs: inputs
            .iter()
            .map(|(n, p)| ((*n).to_string(), p.to_path_buf()))
            .collect(),
        ..ScriptOptions::default()
    }
}

/// Validates, builds and renders `chain` from the given input files, writing each output as
/// 32-bit float to `dir/<output>.wav`; returns the report and each output's audio.
pub fn render(
    chain: &ChainSpec,
    inputs: &[(&str, &Path)],
    dir: &Path,
) -> (RenderReport, Vec<(String, Audio)>) {
    let valid = mixgraph_chains::validate(chain, &mixgraph_nodes::catalog()).unwrap();
    let built = valid.build();
    let mut request = RenderRequest::new();
    for (name, path) in inputs {
        request = request.input(*name, *path);
    }
    let mut files = Vec::new();
    for output in &built.outputs {
        let path = dir.join(format!("{}.wav", output.name));
        let format = mixgraph_engine::OutputFormat::new(mixgraph_engine::SampleFormat::Float32);
        request = request.output(output.name.clone(), path.clone(), format);
        files.push((output.name.clone(), path));
    }
    let report = mixgraph_engine::render(&built.graph, &request, &mut |_, _| {}).unwrap();
    let audio = files.into_iter().map(|(n, p)| (n, read_wav(&p))).collect();
    (report, audio)
}
