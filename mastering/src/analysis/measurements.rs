//! `Analysis`: everything measured on one piece of audio.

use super::channel_stats::ChannelStats;
use super::correlation::PhaseCorrelation;
use super::loudness::LevelPoint;
use super::spectrum::Spectrum;

/// What an [`Analyzer`](super::Analyzer) measured. Levels are in dB; `-inf` means digital
/// silence, `None` means the quantity does not apply (too short, not stereo).
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Sample rate of the audio, in Hz.
    pub sample_rate: u32,
    /// Frames (samples per channel) analysed.
    pub frames: u64,
    /// Integrated (gated) loudness per BS.1770, in LUFS.
    pub integrated_lufs: f64,
    /// Highest momentary loudness (400 ms), in LUFS; `None` for audio shorter than 400 ms.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term loudness (3 s), in LUFS; `None` for audio shorter than 3 s.
    pub max_short_term_lufs: Option<f64>,
    /// Loudness range per EBU Tech 3342, in LU (0 for audio too short to have one).
    pub loudness_range_lu: f64,
    /// Highest true peak over all channels (4x oversampled below 96 kHz, 2x below 192 kHz),
    /// in dBTP.
    pub true_peak_dbtp: f64,
    /// Highest sample magnitude over all channels, in dBFS.
    pub sample_peak_dbfs: f64,
    /// Per-channel peaks, DC offset and clipping, in channel order.
    pub channels: Vec<ChannelStats>,
    /// Phase correlation of channels 1 and 2, for stereo audio with signal on both.
    pub phase_correlation: Option<PhaseCorrelation>,
    /// Silence before the first sample above the silence threshold, in seconds.
    pub head_silence_s: f64,
    /// Silence after the last sample above the silence threshold, in seconds.
    pub tail_silence_s: f64,
    /// Momentary loudness every 100 ms (from 400 ms on), in LUFS.
    pub momentary_lufs: Vec<LevelPoint>,
    /// Short-term loudness every 100 ms (from 3 s on), in LUFS.
    pub short_term_lufs: Vec<LevelPoint>,
    /// Highest true peak over channels in each 100 ms, in dBTP (the last one may be shorter).
    pub true_peak_dbtp_per_100ms: Vec<LevelPoint>,
    /// The average magnitude spectrum over all channels (empty when the analysis was
    /// configured without it).
    pub spectrum: Spectrum,
    /// Mean-square energies of the 400 ms gating blocks (every 100 ms), for album loudness.
    pub(crate) gating_energies: Vec<f64>,
}

impl Analysis {
    /// Length of the audio in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate)
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Peak-to-loudness ratio: true peak minus integrated loudness, in dB; `None` for silence.
    pub fn plr_db(&self) -> Option<f64> {
        let plr = self.true_peak_dbtp - self.integrated_lufs;
        plr.is_finite().then_some(plr)
    }

    /// Clipped runs summed over channels.
    pub fn clipped_runs(&self) -> u64 {
        self.channels.iter().map(|c| c.clipped_runs).sum()
    }

    /// Clipped samples summed over channels.
    pub fn clipped_samples(&self) -> u64 {
        self.channels.iter().map(|c| c.clipped_samples).sum()
    }

    /// The 100 ms intervals whose true peak exceeds `ceiling_dbtp`.
    pub fn true_peak_overs(&self, ceiling_dbtp: f64) -> impl Iterator<Item = &LevelPoint> + '_ {
        self.true_peak_dbtp_per_100ms
            .iter()
            .filter(move |p| p.level > ceiling_dbtp)
    }
}
