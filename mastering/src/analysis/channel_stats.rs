//! Per-channel sample statistics: sample peak, DC offset and clipping.

use super::clipping::ClipCounter;
use super::loudness::amplitude_to_db;

/// What was measured on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    /// Highest sample magnitude, in dBFS (`-inf` for digital silence).
    pub sample_peak_dbfs: f64,
    /// Highest oversampled (true) peak, in dBTP.
    pub true_peak_dbtp: f64,
    /// Mean sample value (linear, full scale = 1).
    pub dc_offset: f64,
    /// Runs of consecutive clipped samples (see [`AnalyzerConfig`](super::AnalyzerConfig)).
    pub clipped_runs: u64,
    /// Samples in those runs.
    pub clipped_samples: u64,
}

impl ChannelStats {
    /// The DC offset in dBFS (`-inf` when there is none).
    pub fn dc_offset_dbfs(&self) -> f64 {
        amplitude_to_db(self.dc_offset)
    }
}

/// Accumulates the statistics of one channel block by block.
#[derive(Debug, Clone)]
pub(crate) struct ChannelAccumulator {
    peak: f32,
    sum: f64,
    clips: ClipCounter,
}

impl ChannelAccumulator {
    /// An empty accumulator counting clips at `clip_level` in runs of `clip_min_run`.
    pub fn new(clip_level: f32, clip_min_run: usize) -> Self {
        Self {
            peak: 0.0,
            sum: 0.0,
            clips: ClipCounter::new(clip_level, clip_min_run),
        }
    }

    /// Scans the next samples of the channel.
    pub fn push(&mut self, samples: &[f32]) {
        // Independent lanes let the compiler vectorize the peak and the sum.
        const LANES: usize = 8;
        let mut peaks = [0.0f32; LANES];
        let mut sums = [0.0f64; LANES];
        let mut chunks = samples.chunks_exact(LANES);
        for chunk in &mut chunks {
            for ((p, s), &x) in peaks.iter_mut().zip(&mut sums).zip(chunk) {
                *p = p.max(x.abs());
                *s += f64::from(x);
            }
        }
        for (p, &x) in peaks.iter_mut().zip(chunks.remainder()) {
            *p = p.max(x.abs());
        }
        let remainder: f64 = chunks.remainder().iter().map(|&x| f64::from(x)).sum();
        let peak = peaks.iter().copied().fold(0.0f32, f32::max);
        let sum = sums.iter().sum::<f64>() + remainder;
        self.sum += sum;
        self.peak = self.peak.max(peak);
        // Only a block that reaches the clip level needs the sample-by-sample run count.
        if peak >= self.clips.level() {
            self.clips.push(samples);
        } else if !samples.is_empty() {
            self.clips.push_unclipped();
        }
    }

    /// The statistics of `frames` samples, with the channel's true peak from the meter.
    pub fn finish(self, frames: u64, true_peak_dbtp: f64) -> ChannelStats {
        let (clipped_runs, clipped_samples) = self.clips.finish();
        ChannelStats {
            sample_peak_dbfs: amplitude_to_db(f64::from(self.peak)),
            true_peak_dbtp,
            dc_offset: if frames == 0 {
                0.0
            } else {
                self.sum / frames as f64
            },
            clipped_runs,
            clipped_samples,
        }
    }
}
