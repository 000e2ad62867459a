//! Shared helpers for the CLI's end-to-end tests: WAV fixtures, chain files, running the
//! binary.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test helpers shared by several test files"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `mixgraph` binary under test.
pub fn mixgraph() -> Command {
    Command::cargo_bin("mixgraph").unwrap()
}

/// Deterministic noise in -amp..amp.
pub fn noise(seed: u64, len: usize, amp: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amp
        })
        .collect()
}

/// Writes 24-bit integer WAV from channels of samples in -1..1; returns the integer codes.
pub fn write_i24(path: &Path, rate: u32, channels: &[Vec<f64>]) -> Vec<Vec<i32>> {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let codes: Vec<Vec<i32>> = channels
        .iter()
        .map(|c| {
            c.iter()
                .map(|x| (x * 8_388_607.0).round().clamp(-8_388_608.0, 8_388_607.0) as i32)
                .collect()
        })
        .collect();
    for n in 0..codes[0].len() {
        for c in &codes {
            w.write_sample(c[n]).unwrap();
        }
    }
    w.finalize().unwrap();
    codes
}

/// Writes 32-bit float WAV.
pub fn write_f32(path: &Path, rate: u32, channels: &[Vec<f64>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[n] as f32).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads a WAV's integer codes per channel.
pub fn read_i32(path: &Path) -> (hound::WavSpec, Vec<Vec<i32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let all: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
    (spec, deinterleave(&all, spec.channels as usize))
}

/// Reads a float WAV per channel.
pub fn read_f32(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let all: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
    (spec, deinterleave(&all, spec.channels as usize))
}

fn deinterleave<T: Copy>(all: &[T], channels: usize) -> Vec<Vec<T>> {
    (0..channels)
        .map(|c| all.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

/// Writes a chain file into `dir`.
pub fn chain(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every file in `dir` (names), sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
