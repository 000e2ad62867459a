//! Signals and measurements shared by the dynamics and tone tests: tones at a level in
//! dBFS, RMS levels, the gain a node applied sample by sample, and readings after a render.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a failed test"
)]

use std::sync::Arc;

use mixgraph_engine::{CompileConfig, NodeType, ParamValue, ReadingValue, compile};

use crate::testkit::{self, PortAudio};

/// Decibels of a linear amplitude.
pub fn db(x: f64) -> f64 {
    20.0 * x.abs().log10()
}

/// A sine of peak level `peak_db` dBFS, `channels` identical channels.
pub fn tone(freq: f64, sample_rate: f64, peak_db: f64, channels: usize, len: usize) -> PortAudio {
    testkit::sine(freq, sample_rate, 10f64.powf(peak_db / 20.0), channels, len)
}

/// A cosine of peak level `peak_db` dBFS (it starts on a peak).
pub fn cosine(freq: f64, sample_rate: f64, peak_db: f64, len: usize) -> Vec<f32> {
    let a = 10f64.powf(peak_db / 20.0);
    let w = 2.0 * std::f64::consts::PI * freq / sample_rate;
    (0..len)
        .map(|n| (a * (w * n as f64).cos()) as f32)
        .collect()
}

/// The RMS level of a signal in dBFS.
pub fn rms_db(x: &[f32]) -> f64 {
    let ms = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    10.0 * ms.log10()
}

/// The gain reduction (dB, positive when turned down) a node applied at every frame where
/// `|input|` exceeds `min_abs`: `-20 log10 |output / input|`.
pub fn gain_db_trajectory(input: &[f32], output: &[f32], min_abs: f32) -> Vec<(usize, f64)> {
    input
        .iter()
        .zip(output)
        .enumerate()
        .filter(|(_, (x, _))| x.abs() > min_abs)
        .map(|(n, (&x, &y))| (n, -db(f64::from(y) / f64::from(x))))
        .collect()
}

/// The largest change of the applied gain between consecutive measured frames, in dB.
pub fn max_gain_step_db(input: &[f32], output: &[f32], min_abs: f32) -> f64 {
    gain_db_trajectory(input, output, min_abs)
        .windows(2)
        .filter(|w| w[1].0 == w[0].0 + 1)
        .map(|w| (w[1].1 - w[0].1).abs())
        .fold(0.0, f64::max)
}

/// Renders `node` (input ports fed in order) in blocks of 256 and returns its outputs and
/// its `max_gain_reduction` reading.
pub fn render_with_readings(
    node: impl NodeType,
    params: &[(String, ParamValue)],
    inputs: &[PortAudio],
    sample_rate: f64,
) -> (Vec<PortAudio>, f64) {
    let g = testkit::graph_for(Arc::new(node), params, inputs.len());
    let mut config = CompileConfig::new(sample_rate, 256);
    for (p, audio) in inputs.iter().enumerate() {
        config.input_channels.insert(format!("in{p}"), audio.len());
    }
    let mut s = compile(&g, &config).unwrap();
    let out = testkit::render_graph(&g, inputs, sample_rate, 256);
    // Run the same input through this schedule to read the meter afterwards.
    let len = inputs[0][0].len();
    let mut pos = 0;
    while pos < len {
        let n = 256.min(len - pos);
        for slot in 0..s.inputs().len() {
            let p: usize = s.inputs()[slot].name[2..].parse().unwrap();
            for (ch, data) in inputs[p].iter().enumerate() {
                s.input_buffer(slot, ch)[..n].copy_from_slice(&data[pos..pos + n]);
            }
        }
        s.process(n);
        pos += n;
    }
    let readings = s.readings();
    let reading = readings
        .iter()
        .flat_map(|(_, _, r)| r)
        .find(|r| r.name == "max_gain_reduction")
        .map(|r| match r.value {
            ReadingValue::Scalar(v) => v,
            ReadingValue::Series { .. } => f64::NAN,
        })
        .unwrap();
    (out, reading)
}
