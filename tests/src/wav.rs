//! WAV fixtures: write synthesized audio to a file a render can read, and read a rendered
//! file back as planar `f32` channels.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a failed test"
)]

use std::path::Path;

/// Writes planar `channels` (all the same length) as a 32-bit float WAV at `sample_rate`.
pub fn write_f32(path: &Path, sample_rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let frames = channels.first().map_or(0, Vec::len);
    for n in 0..frames {
        for c in channels {
            w.write_sample(c[n]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// A WAV file read back: its format and its samples, planar, scaled to -1..1.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Frames per second.
    pub sample_rate: u32,
    /// Bits per sample (16, 24 or 32).
    pub bits: u16,
    /// Whether the samples are floats.
    pub float: bool,
    /// One vector per channel.
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// The samples interleaved, frame after frame (for meters that take interleaved input).
    pub fn interleaved(&self) -> Vec<f32> {
        (0..self.frames())
            .flat_map(|n| self.channels.iter().map(move |c| c[n]))
            .collect()
    }
}

/// Reads a WAV file (integer or float) into planar `f32` channels.
pub fn read(path: &Path) -> Audio {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let width = usize::from(spec.channels);
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / f64::from(1u32 << (spec.bits_per_sample - 1));
            r.samples::<i32>()
                .map(|s| (f64::from(s.unwrap()) * scale) as f32)
                .collect()
        }
    };
    let channels = (0..width)
        .map(|c| samples.iter().skip(c).step_by(width).copied().collect())
        .collect();
    Audio {
        sample_rate: spec.sample_rate,
        bits: spec.bits_per_sample,
        float: spec.sample_format == hound::SampleFormat::Float,
        channels,
    }
}
