//! Signals and analyses shared by the unit tests.

use crate::analysis::{Analysis, Analyzer};

/// A sine of `amplitude` (linear peak) at `hz`, `seconds` long, at `rate`.
pub(crate) fn sine(rate: u32, hz: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
    let frames = (seconds * f64::from(rate)).round() as usize;
    (0..frames)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect()
}

/// The analysis of planar `channels` at `rate`, fed in blocks of `block` frames.
pub(crate) fn analyse_blocks(rate: u32, channels: &[Vec<f32>], block: usize) -> Analysis {
    let mut analyzer = Analyzer::new(rate, channels.len()).unwrap();
    let frames = channels.first().map_or(0, Vec::len);
    for start in (0..frames).step_by(block.max(1)) {
        let end = (start + block).min(frames);
        let parts: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        analyzer.push(&parts).unwrap();
    }
    analyzer.finish()
}

/// The analysis of a stereo 1 kHz sine, identical on both channels.
pub(crate) fn analyse_stereo_sine(amplitude: f64, seconds: f64) -> Analysis {
    let tone = sine(48_000, 1000.0, amplitude, seconds);
    analyse_blocks(48_000, &[tone.clone(), tone], 4096)
}
