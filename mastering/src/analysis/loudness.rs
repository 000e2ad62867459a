//! Loudness and true peak over time (BS.1770 / EBU R128): the K-weighted energy of every
//! 100 ms sub-block, computed once, from which the momentary (400 ms) and short-term (3 s)
//! series, the gating blocks of the integrated loudness and the short-term readings of the
//! loudness range all follow; and the true peak per channel and per 100 ms. The readings
//! are those of libebur128 (the `ebur128` crate) to rounding.

use super::gating::{energy_to_lufs, gated_loudness};
use super::kweighting::KWeighting;
use super::loudness_range::loudness_range;
use super::true_peak::TruePeakMeter;
use crate::error::AnalysisError;

/// Sub-blocks in a momentary window (400 ms).
const MOMENTARY_BLOCKS: usize = 4;
/// Sub-blocks in a short-term window (3 s).
const SHORT_TERM_BLOCKS: usize = 30;
/// Sub-blocks between the short-term readings of the loudness range (1 s).
const RANGE_STEP_BLOCKS: usize = 10;
/// The most channels the meter accepts.
const MAX_CHANNELS: usize = 64;
/// The sample rates the meter accepts, in Hz (libebur128's).
const RATES: std::ops::RangeInclusive<u32> = 16..=2_822_400;

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

/// K-weighted sub-block energies and true peaks, and the series built from them.
pub(crate) struct LoudnessMeter {
    sample_rate: f64,
    weighting: KWeighting,
    true_peak: TruePeakMeter,
    /// Frames in one 100 ms sub-block, rounded as libebur128 rounds them.
    block_frames: usize,
    /// Frames already fed into the current sub-block.
    filled: usize,
    /// Sum of the K-weighted energies of the current sub-block's frames.
    block_sum: f64,
    /// Highest true peak (linear, over channels) of the current sub-block.
    block_peak: f64,
    /// Highest true peak of each channel so far (linear).
    channel_peaks: Vec<f64>,
    /// Mean energies of the most recent sub-blocks, a ring indexed by
    /// `blocks % SHORT_TERM_BLOCKS`.
    recent: [f64; SHORT_TERM_BLOCKS],
    /// Complete sub-blocks so far.
    blocks: usize,
    momentary: Vec<LevelPoint>,
    short_term: Vec<LevelPoint>,
    true_peaks: Vec<LevelPoint>,
    gating_energies: Vec<f64>,
    /// Short-term energies every second, for the loudness range.
    range_energies: Vec<f64>,
    /// Per-frame energies and per-channel peaks of the part being fed.
    frame_energies: Vec<f64>,
    part_peaks: Vec<f64>,
}

impl LoudnessMeter {
    /// A meter for `channels` channels (ebur128's default layout: L, R, C, LFE, Ls, Rs; five
    /// channels are L, R, C, Ls, Rs) at `sample_rate`.
    pub fn new(sample_rate: u32, channels: usize) -> Result<Self, AnalysisError> {
        if channels == 0 || channels > MAX_CHANNELS || !RATES.contains(&sample_rate) {
            return Err(AnalysisError::UnsupportedFormat {
                sample_rate,
                channels,
            });
        }
        Ok(Self {
            sample_rate: f64::from(sample_rate),
            weighting: KWeighting::new(sample_rate, channels),
            true_peak: TruePeakMeter::new(sample_rate, channels),
            block_frames: (sample_rate as usize + 5) / 10,
            filled: 0,
            block_sum: 0.0,
            block_peak: 0.0,
            channel_peaks: vec![0.0; channels],
            recent: [0.0; SHORT_TERM_BLOCKS],
            blocks: 0,
            momentary: Vec::new(),
            short_term: Vec::new(),
            true_peaks: Vec::new(),
            gating_energies: Vec::new(),
            range_energies: Vec::new(),
            frame_energies: Vec::new(),
            part_peaks: vec![0.0; channels],
        })
    }

    /// Frames in one 100 ms sub-block.
    pub fn block_frames(&self) -> usize {
        self.block_frames
    }

    /// Feeds a planar block whose channels are known to be `channels` slices of equal length.
    pub fn push(&mut self, block: &[&[f32]]) {
        let frames = block.first().map_or(0, |c| c.len());
        let mut parts: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let channels = self.channel_peaks.len();
        let mut start = 0;
        while start < frames {
            let n = (self.block_frames - self.filled).min(frames - start);
            for (part, channel) in parts.iter_mut().zip(block) {
                *part = channel.get(start..start + n).unwrap_or_default();
            }
            let part = parts.get(..channels).unwrap_or_default();
            self.weighting.energies(part, &mut self.frame_energies);
            // Frame after frame, so that the sum does not depend on how blocks are cut.
            self.block_sum = self
                .frame_energies
                .iter()
                .fold(self.block_sum, |s, e| s + e);
            self.true_peak.scan(part, &mut self.part_peaks);
            for (peak, &part_peak) in self.channel_peaks.iter_mut().zip(&self.part_peaks) {
                *peak = peak.max(part_peak);
                self.block_peak = self.block_peak.max(part_peak);
            }
            self.filled += n;
            start += n;
            if self.filled == self.block_frames {
                self.close_block();
            }
        }
    }

    /// Records the readings at the end of a complete sub-block.
    fn close_block(&mut self) {
        let energy = self.block_sum / self.block_frames as f64;
        if let Some(slot) = self.recent.get_mut(self.blocks % SHORT_TERM_BLOCKS) {
            *slot = energy;
        }
        self.blocks += 1;
        let time_s = (self.blocks * self.block_frames) as f64 / self.sample_rate;
        self.true_peaks.push(LevelPoint {
            time_s,
            level: amplitude_to_db(self.block_peak),
        });
        self.block_sum = 0.0;
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
            if self.blocks % RANGE_STEP_BLOCKS == 0 {
                self.range_energies.push(energy);
            }
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
        LoudnessSummary {
            integrated_lufs: gated_loudness(self.gating_energies.iter()),
            loudness_range_lu: loudness_range(&self.range_energies),
            channel_true_peaks: self
                .channel_peaks
                .iter()
                .map(|&p| amplitude_to_db(p))
                .collect(),
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

#[cfg(test)]
mod tests {
    use ebur128::{EbuR128, Mode};

    use super::*;

    /// `seconds` of a programme whose level jumps every 1.3 s over 40 dB: a tone plus a
    /// pseudo-random signal, different on every channel.
    fn programme(rate: u32, channels: usize, seconds: usize) -> Vec<Vec<f32>> {
        let frames = rate as usize * seconds;
        (0..channels)
            .map(|c| {
                (0..frames)
                    .map(|i| {
                        let t = i as f64 / f64::from(rate);
                        let step = (t / 1.3) as usize;
                        let level = 10f64.powf(-(((step * 7 + c) % 41) as f64) / 20.0);
                        let tone = (std::f64::consts::TAU * 330.0 * (1.0 + c as f64) * t).sin();
                        let noise = ((i * (7919 + c * 13)) % 1013) as f64 / 1013.0 - 0.5;
                        (level * (0.5 * tone + 0.4 * noise)) as f32
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn readings_match_ebur128_over_a_wide_loudness_range() {
        // 8 kHz (whole 100 ms sub-blocks), 11,025 Hz (rounded ones), stereo and five
        // channels with surround weights; fed in uneven blocks.
        for (rate, channels) in [(8_000, 2), (11_025, 5)] {
            let signal = programme(rate, channels, 40);
            let mut meter = LoudnessMeter::new(rate, channels).unwrap();
            let mut reference =
                EbuR128::new(channels as u32, rate, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
            let frames = signal[0].len();
            let mut start = 0;
            for size in [1, 333, 4096, 77].iter().cycle() {
                if start >= frames {
                    break;
                }
                let end = (start + size).min(frames);
                let block: Vec<&[f32]> = signal.iter().map(|c| &c[start..end]).collect();
                meter.push(&block);
                reference.add_frames_planar_f32(&block).unwrap();
                start = end;
            }
            let summary = meter.finish(frames as u64);
            let integrated = reference.loudness_global().unwrap();
            let range = reference.loudness_range().unwrap();
            assert!(
                (summary.integrated_lufs - integrated).abs() < 1e-9,
                "{rate} Hz: {} vs {integrated}",
                summary.integrated_lufs
            );
            assert!(
                (summary.loudness_range_lu - range).abs() < 1e-9,
                "{rate} Hz: {} vs {range}",
                summary.loudness_range_lu
            );
            assert!(range > 10.0, "a wide range is exercised: {range}");
            for (c, &peak) in summary.channel_true_peaks.iter().enumerate() {
                let expected = 20.0 * reference.true_peak(c as u32).unwrap().log10();
                assert_eq!(peak, expected, "{rate} Hz, channel {c}");
            }
        }
    }

    #[test]
    fn unsupported_formats_are_refused() {
        for (rate, channels) in [(15, 2), (2_822_401, 2), (48_000, 0), (48_000, 65)] {
            assert!(matches!(
                LoudnessMeter::new(rate, channels),
                Err(AnalysisError::UnsupportedFormat { .. })
            ));
        }
        assert!(LoudnessMeter::new(16, 1).is_ok());
        assert!(LoudnessMeter::new(2_822_400, 64).is_ok());
    }
}
