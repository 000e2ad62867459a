//! A fast model of what the `limiter` node does to loudness, so the gain in front of it can
//! be chosen before the limiter runs.
//!
//! One pass over the pre-limiter audio records, for every chunk of about 1 ms, its
//! K-weighted energy (BS.1770) and its 4x-interpolated peak. For a trial gain the model
//! then replays the limiter's gain computer at chunk resolution (need above the ceiling,
//! lookahead ramp, exponential release) and sums the attenuated energies into 100 ms
//! sub-blocks and 400 ms gating blocks: the predicted integrated loudness and the largest
//! gain reduction cost microseconds per trial instead of a render. The model is an
//! estimate; the mastering loop corrects it with the loudness of real renders.

use mixgraph_engine::live::kweighting::KFilter;
use mixgraph_nodes::dsp::oversample::{Interpolator, OversamplingFilter};
use mixgraph_nodes::dynamics::limiter::METER_MARGIN_DB;

use crate::analysis::gated_loudness;

/// How far under its ceiling the limiter's main stage aims, in dB: its meter margin plus a
/// further 0.03 dB (see `nodes/src/dynamics/limiter.rs`).
pub const LIMITER_HEADROOM_DB: f64 = METER_MARGIN_DB + 0.03;

/// Oversampling of the model's peak detector (the limiter's own factor).
const FACTOR: usize = 4;
/// Taps per polyphase branch of the model's detector: shorter than the limiter's 32, as the
/// model only needs the peak of each chunk to a few hundredths of a dB.
const TAPS_PER_PHASE: usize = 32;
/// Stopband of the model's detector.
const STOPBAND_DB: f64 = 80.0;
/// Peak level recorded for a silent chunk, in dB (anything far below every ceiling).
const SILENT_DB: f32 = -400.0;

/// The settings of a `limiter` node that shape its gain reduction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Largest true peak of the output, in dBTP.
    pub ceiling_dbtp: f64,
    /// Release time constant, in ms.
    pub release_ms: f64,
    /// Lookahead (the attack ramp and the latency), in ms.
    pub lookahead_ms: f64,
}

/// What the model predicts for one track at one gain.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Mean-square energies of the 400 ms gating blocks (every 100 ms), after gain and
    /// limiting, for album pooling.
    pub gating_energies: Vec<f64>,
    /// Integrated loudness after gain and limiting, in LUFS.
    pub integrated_lufs: f64,
    /// Largest gain reduction of the limiter, in dB.
    pub max_reduction_db: f64,
}

/// Per-chunk energies and peaks of one track's pre-limiter audio.
#[derive(Debug, Clone)]
pub struct LoudnessProfile {
    sample_rate: u32,
    chunk_frames: usize,
    chunks_per_sub_block: usize,
    sub_block_frames: usize,
    /// 4x-interpolated peak of each chunk over channels, in dB.
    peaks_db: Vec<f32>,
    /// Channel-weighted sum of squared K-weighted samples of each chunk.
    energies: Vec<f32>,
    /// Largest interpolated peak, in dB.
    peak_db: f64,
}

impl LoudnessProfile {
    /// The model's estimate of the true peak of the audio, in dBTP.
    pub fn peak_dbtp(&self) -> f64 {
        self.peak_db
    }

    /// Whether the limiter would leave the audio untouched at `gain_db`, with `margin_db` to
    /// spare: every peak stays that far under the level where the limiter starts acting.
    pub fn limiter_idle(&self, gain_db: f64, limiter: &LimiterSettings, margin_db: f64) -> bool {
        self.peak_db + gain_db <= limiter.ceiling_dbtp - LIMITER_HEADROOM_DB - margin_db
    }

    /// The loudness of the audio as it is (no gain, no limiting): exact up to the
    /// precision of the K-weighting, whatever the limiter.
    pub fn unlimited(&self) -> Prediction {
        let no_limiter = LimiterSettings {
            ceiling_dbtp: f64::INFINITY,
            release_ms: 1.0,
            lookahead_ms: 1.0,
        };
        self.predict(0.0, &no_limiter)
    }

    /// The predicted loudness and gain reduction after `gain_db` and the limiter.
    pub fn predict(&self, gain_db: f64, limiter: &LimiterSettings) -> Prediction {
        let reductions = self.reductions_db(gain_db, limiter);
        let max_reduction_db = reductions.iter().copied().fold(0.0, f64::max);
        let gain_power = 10f64.powf(gain_db / 10.0);
        let n = self.chunks_per_sub_block;
        let sub_blocks: Vec<f64> = self
            .energies
            .chunks_exact(n)
            .zip(reductions.chunks_exact(n))
            .map(|(energies, reductions)| {
                let sum: f64 = energies
                    .iter()
                    .zip(reductions)
                    .map(|(&e, &r)| f64::from(e) * 10f64.powf(-r / 10.0))
                    .sum();
                sum * gain_power / self.sub_block_frames as f64
            })
            .collect();
        let gating_energies: Vec<f64> = sub_blocks
            .windows(4)
            .map(|w| w.iter().sum::<f64>() / 4.0)
            .collect();
        Prediction {
            integrated_lufs: gated_loudness(gating_energies.iter()),
            gating_energies,
            max_reduction_db,
        }
    }

    /// The limiter's gain reduction over each chunk, in dB: the need above the threshold,
    /// held through an exponential release, and anticipated over the lookahead ramp.
    fn reductions_db(&self, gain_db: f64, limiter: &LimiterSettings) -> Vec<f64> {
        let threshold = limiter.ceiling_dbtp - LIMITER_HEADROOM_DB;
        let need: Vec<f64> = self
            .peaks_db
            .iter()
            .map(|&p| (f64::from(p) + gain_db - threshold).max(0.0))
            .collect();
        let rate = f64::from(self.sample_rate);
        let chunk = self.chunk_frames as f64;
        let release_frames = (limiter.release_ms * 0.001 * rate).max(1.0);
        let decay = (-chunk / release_frames).exp();
        let ramp_frames = (limiter.lookahead_ms * 0.001 * rate).max(1.0);
        let ramp_chunks = (ramp_frames / chunk).ceil() as usize + 1;
        let mut released = 0.0f64;
        need.iter()
            .enumerate()
            .map(|(k, &now)| {
                released = now.max(released * decay);
                let ahead = need
                    .get(k + 1..(k + 1 + ramp_chunks).min(need.len()))
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(j, &a)| {
                        let distance = (j as f64 + 0.5) * chunk;
                        a * (1.0 - distance / ramp_frames).clamp(0.0, 1.0)
                    })
                    .fold(0.0, f64::max);
                released.max(ahead)
            })
            .collect()
    }
}

/// Builds a [`LoudnessProfile`] from planar blocks of any length.
pub struct ProfileBuilder {
    profile: LoudnessProfile,
    filters: Vec<KFilter>,
    interpolators: Vec<Interpolator>,
    weights: Vec<f64>,
    phases: [f64; FACTOR],
    /// Frames into the current chunk and sub-block.
    in_chunk: usize,
    in_sub_block: usize,
    chunk_energy: f64,
    chunk_peak: f64,
}

impl ProfileBuilder {
    /// A builder for `channels` channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        let rate = sample_rate.max(1) as usize;
        let sub_block_frames = (rate + 5) / 10;
        let chunk_frames = (rate / 1000).clamp(1, sub_block_frames);
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        Self {
            profile: LoudnessProfile {
                sample_rate,
                chunk_frames,
                chunks_per_sub_block: sub_block_frames.div_ceil(chunk_frames),
                sub_block_frames,
                peaks_db: Vec::new(),
                energies: Vec::new(),
                peak_db: f64::NEG_INFINITY,
            },
            filters: (0..channels)
                .map(|_| KFilter::new(f64::from(sample_rate)))
                .collect(),
            interpolators: vec![Interpolator::new(&filter); channels],
            weights: (0..channels).map(|c| channel_weight(channels, c)).collect(),
            phases: [0.0; FACTOR],
            in_chunk: 0,
            in_sub_block: 0,
            chunk_energy: 0.0,
            chunk_peak: 0.0,
        }
    }

    /// Feeds one block: a slice per channel, all of the same length (extra channels and
    /// frames beyond the shortest channel are ignored).
    pub fn push(&mut self, block: &[&[f32]]) {
        let frames = block.iter().map(|c| c.len()).min().unwrap_or(0);
        for f in 0..frames {
            let mut energy = 0.0;
            let mut peak = self.chunk_peak;
            for (c, channel) in block.iter().enumerate().take(self.filters.len()) {
                let x = channel.get(f).copied().unwrap_or(0.0);
                let x = if x.is_finite() { x } else { 0.0 };
                if let (Some(filter), Some(interpolator), Some(&w)) = (
                    self.filters.get_mut(c),
                    self.interpolators.get_mut(c),
                    self.weights.get(c),
                ) {
                    let k = filter.filter(x);
                    energy += w * k * k;
                    interpolator.process(f64::from(x), &mut self.phases);
                    peak = self.phases.iter().fold(peak, |m, v| m.max(v.abs()));
                }
            }
            self.chunk_energy += energy;
            self.chunk_peak = peak;
            self.in_chunk += 1;
            self.in_sub_block += 1;
            if self.in_sub_block == self.profile.sub_block_frames {
                self.close_chunk();
                // Pad the sub-block's chunk list so every sub-block has the same count.
                while self.profile.energies.len() % self.profile.chunks_per_sub_block != 0 {
                    self.profile.energies.push(0.0);
                    self.profile.peaks_db.push(SILENT_DB);
                }
                self.in_sub_block = 0;
            } else if self.in_chunk == self.profile.chunk_frames {
                self.close_chunk();
            }
        }
    }

    fn close_chunk(&mut self) {
        let peak_db = 20.0 * self.chunk_peak.log10();
        let peak_db = if peak_db.is_finite() {
            peak_db as f32
        } else {
            SILENT_DB
        };
        self.profile.peak_db = self.profile.peak_db.max(f64::from(peak_db));
        self.profile.peaks_db.push(peak_db);
        self.profile.energies.push(self.chunk_energy as f32);
        self.chunk_energy = 0.0;
        self.chunk_peak = 0.0;
        self.in_chunk = 0;
    }

    /// The profile of everything fed; a trailing partial sub-block is left out, as the
    /// loudness gating leaves it out.
    pub fn finish(mut self) -> LoudnessProfile {
        let whole = self.profile.energies.len() / self.profile.chunks_per_sub_block
            * self.profile.chunks_per_sub_block;
        self.profile.energies.truncate(whole);
        self.profile.peaks_db.truncate(whole);
        self.profile
    }
}

/// BS.1770 channel weight in ebur128's default layout (L, R, C, LFE, Ls, Rs; 4 channels
/// L, R, Ls, Rs; 5 channels L, R, C, Ls, Rs): 1 for front channels, 1.41 for surrounds, 0
/// for LFE and channels beyond the sixth.
fn channel_weight(channels: usize, index: usize) -> f64 {
    const SURROUND: f64 = 1.41;
    match (channels, index) {
        (4, 2 | 3) | (5, 3 | 4) => SURROUND,
        (4, _) | (5, _) => 1.0,
        (_, 0..=2) => 1.0,
        (_, 4 | 5) => SURROUND,
        _ => 0.0,
    }
}
