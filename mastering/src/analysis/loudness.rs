//! Loudness and true peak over time: the ebur128 meter fed in 100 ms sub-blocks, with the
//! momentary and short-term series, the per-100 ms true peak and the gating-block energies.

use ebur128::{EbuR128, Mode};

use super::gating::{energy_to_lufs, lufs_to_energy};
use crate::error::AnalysisError;

/// Sub-blocks in a momentary window (400 ms).
const MOMENTARY_BLOCKS: usize = 4;
/// Sub-blocks in a short-term window (3 s).
const SHORT_TERM_BLOCKS: usize = 30;
/// The most channels the meter accepts.
const MAX_CHANNELS: usize = 64;

/// One reading of a level series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelPoint {
    /// The end of the window the reading covers, in seconds from the start of the audio.
    pub time_s: f64,
    /// The reading, in the unit of its series (LUFS or dBTP); `-inf` for digital silence.
    pub level: f64,
}

/// What the loudness meter measured over the whole audio.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoudnessSummary {
    pub integrated_lufs: f64,
    pub loudness_range_lu: f64,
    pub channel_true_peaks: Vec<f64>,
    pub momentary: Vec<LevelPoint>,
    pub short_term: Vec<LevelPoint>,
    pub true_peaks: Vec<LevelPoint>,
    pub gating_energies: Vec<f64>,
}

/// The ebur128 meter plus the bookkeeping of 100 ms sub-blocks.
pub(crate) struct LoudnessMeter {
    meter: EbuR128,
    sample_rate: f64,
    channels: usize,
    /// Frames in one 100 ms sub-block, rounded as the meter rounds them.
    block_frames: usize,
    /// Frames already fed into the current sub-block.
    filled: usize,
    /// Highest true peak (linear, over channels) of the current sub-block.
    block_peak: f64,
    /// Energies of the most recent sub-blocks, a ring indexed by `blocks % SHORT_TERM_BLOCKS`.
    recent: [f64; SHORT_TERM_BLOCKS],
    /// Complete sub-blocks so far.
    blocks: usize,
    momentary: Vec<LevelPoint>,
    short_term: Vec<LevelPoint>,
    true_peaks: Vec<LevelPoint>,
    gating_energies: Vec<f64>,
}

impl LoudnessMeter {
    /// A meter for `channels` channels (ebur128's default layout: L, R, C, LFE, Ls, Rs; five
    /// channels are L, R, C, Ls, Rs) at `sample_rate`.
    pub fn new(sample_rate: u32, channels: usize) -> Result<Self, AnalysisError> {
        let unsupported = AnalysisError::UnsupportedFormat {
            sample_rate,
            channels,
        };
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(unsupported);
        }
        // At most 64 channels, so the count fits in u32.
        let meter = EbuR128::new(
            channels as u32,
            sample_rate,
            Mode::I | Mode::LRA | Mode::TRUE_PEAK,
        )
        .map_err(|_| unsupported)?;
        Ok(Self {
            meter,
            sample_rate: f64::from(sample_rate),
            channels,
            // The meter rounds 100 ms to the nearest frame the same way.
            block_frames: (sample_rate as usize + 5) / 10,
            filled: 0,
            block_peak: 0.0,
            recent: [0.0; SHORT_TERM_BLOCKS],
            blocks: 0,
            momentary: Vec::new(),
            short_term: Vec::new(),
            true_peaks: Vec::new(),
            gating_energies: Vec::new(),
        })
    }

    /// Frames in one 100 ms sub-block.
    pub fn block_frames(&self) -> usize {
        self.block_frames
    }

    /// Feeds a planar block whose channels are known to be `channels` slices of equal length.
    pub fn push(&mut self, block: &[&[f32]]) -> Result<(), AnalysisError> {
        let frames = block.first().map_or(0, |c| c.len());
        let mut parts: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let mut start = 0;
        while start < frames {
            let n = (self.block_frames - self.filled).min(frames - start);
            for (part, channel) in parts.iter_mut().zip(block) {
                *part = channel.get(start..start + n).unwrap_or_default();
            }
            let parts = parts.get(..self.channels).unwrap_or_default();
            self.meter
                .add_frames_planar_f32(parts)
                .map_err(|source| AnalysisError::Meter { source })?;
            for c in 0..self.channels as u32 {
                let peak = self.meter.prev_true_peak(c).unwrap_or(0.0);
                self.block_peak = self.block_peak.max(peak);
            }
            self.filled += n;
            start += n;
            if self.filled == self.block_frames {
                self.close_block();
            }
        }
        Ok(())
    }

    /// Records the readings at the end of a complete sub-block.
    fn close_block(&mut self) {
        // The meter keeps the last 3 s of K-weighted audio; its 100 ms window is this sub-block
        // (it truncates 100 ms to whole frames where the block rounds, so at 11,025 Hz the
        // window is one frame shorter than the block: a 0.1 % difference in one sub-block).
        let energy = self.meter.loudness_window(100).map_or(0.0, |lufs| {
            if lufs.is_finite() {
                lufs_to_energy(lufs)
            } else {
                0.0
            }
        });
        if let Some(slot) = self.recent.get_mut(self.blocks % SHORT_TERM_BLOCKS) {
            *slot = energy;
        }
        self.blocks += 1;
        let time_s = (self.blocks * self.block_frames) as f64 / self.sample_rate;
        self.true_peaks.push(LevelPoint {
            time_s,
            level: amplitude_to_db(self.block_peak),
        });
        self.block_peak = 0.0;
        self.filled = 0;
        if self.blocks >= MOMENTARY_BLOCKS {
            let energy = self.mean_of_last(MOMENTARY_BLOCKS);
            self.gating_energies.push(energy);
            self.momentary.push(LevelPoint {
                time_s,
                level: energy_to_lufs(energy),
            });
        }
        if self.blocks >= SHORT_TERM_BLOCKS {
            let energy = self.mean_of_last(SHORT_TERM_BLOCKS);
            self.short_term.push(LevelPoint {
                time_s,
                level: energy_to_lufs(energy),
            });
        }
    }

    /// Mean energy of the last `n` sub-blocks (`n <= SHORT_TERM_BLOCKS`, `n <= blocks`).
    fn mean_of_last(&self, n: usize) -> f64 {
        let sum: f64 = (1..=n)
            .filter_map(|back| {
                let index = (self.blocks + SHORT_TERM_BLOCKS - back) % SHORT_TERM_BLOCKS;
                self.recent.get(index)
            })
            .sum();
        sum / n as f64
    }

    /// The readings over everything fed so far.
    pub fn finish(mut self, total_frames: u64) -> LoudnessSummary {
        if self.filled > 0 {
            let time_s = total_frames as f64 / self.sample_rate;
            self.true_peaks.push(LevelPoint {
                time_s,
                level: amplitude_to_db(self.block_peak),
            });
        }
        // The meter was made with modes I, LRA and TRUE_PEAK and `c` is below its channel
        // count, so these readings cannot fail; NaN would only mark a broken meter.
        let channel_true_peaks = (0..self.channels as u32)
            .map(|c| amplitude_to_db(self.meter.true_peak(c).unwrap_or(f64::NAN)))
            .collect();
        LoudnessSummary {
            integrated_lufs: self.meter.loudness_global().unwrap_or(f64::NAN),
            loudness_range_lu: self.meter.loudness_range().unwrap_or(f64::NAN),
            channel_true_peaks,
            momentary: self.momentary,
            short_term: self.short_term,
            true_peaks: self.true_peaks,
            gating_energies: self.gating_energies,
        }
    }
}

/// Decibels of a linear amplitude (`-inf` for 0).
pub(crate) fn amplitude_to_db(amplitude: f64) -> f64 {
    20.0 * amplitude.abs().log10()
}
