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
use mixgraph_nodes::dynamics::limiter::METER_MARGIN_DB;

use super::peak_scan::PeakScanner;

use crate::analysis::gated_loudness;

/// How far under its ceiling the limiter's main stage aims, in dB: its meter margin plus a
/// further 0.03 dB (see `nodes/src/dynamics/limiter.rs`).
pub const LIMITER_HEADROOM_DB: f64 = METER_MARGIN_DB + 0.03;

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
                    .map(|(&e, &r)| {
                        let e = f64::from(e);
                        // Most chunks are not limited: spare them the power.
                        if r > 0.0 {
                            e * 10f64.powf(-r / 10.0)
                        } else {
                            e
                        }
                    })
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
        // How much of a need `j + 1` chunks ahead is anticipated now.
        let ramp: Vec<f64> = (0..ramp_chunks)
            .map(|j| {
                let distance = (j as f64 + 0.5) * chunk;
                (1.0 - distance / ramp_frames).clamp(0.0, 1.0)
            })
            .collect();
        // Chunks with a need among the `ramp_chunks` after the current one: most of a
        // track has none, and nothing to anticipate.
        let positive = |a: &&f64| **a > 0.0;
        let mut ahead_needs = need
            .iter()
            .skip(1)
            .take(ramp_chunks)
            .filter(positive)
            .count();
        let mut released = 0.0f64;
        need.iter()
            .enumerate()
            .map(|(k, &now)| {
                released = now.max(released * decay);
                let ahead = if ahead_needs == 0 {
                    0.0
                } else {
                    need.get(k + 1..(k + 1 + ramp_chunks).min(need.len()))
                        .unwrap_or_default()
                        .iter()
                        .zip(&ramp)
                        .map(|(&a, &w)| a * w)
                        .fold(0.0, f64::max)
                };
                // Slide the window on by one chunk.
                if need.get(k + 1).is_some_and(|a| positive(&a)) {
                    ahead_needs -= 1;
                }
                if need.get(k + 1 + ramp_chunks).is_some_and(|a| positive(&a)) {
                    ahead_needs += 1;
                }
                released.max(ahead)
            })
            .collect()
    }
}

/// Builds a [`LoudnessProfile`] from planar blocks of any length.
pub struct ProfileBuilder {
    profile: LoudnessProfile,
    /// Per channel that counts (its weight is not zero): its index, weight and filter.
    filters: Vec<(usize, f64, KFilter)>,
    channels: usize,
    peaks: PeakScanner,
    frame_peaks: Vec<f32>,
    frame_energies: Vec<f64>,
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
                .map(|c| (c, channel_weight(channels, c)))
                .filter(|&(_, w)| w > 0.0)
                .map(|(c, w)| (c, w, KFilter::new(f64::from(sample_rate))))
                .collect(),
            channels,
            peaks: PeakScanner::new(channels),
            frame_peaks: Vec::new(),
            frame_energies: Vec::new(),
            in_chunk: 0,
            in_sub_block: 0,
            chunk_energy: 0.0,
            chunk_peak: 0.0,
        }
    }

    /// Feeds one block: a slice per channel, all of the same length (extra channels and
    /// frames beyond the shortest channel are ignored).
    pub fn push(&mut self, block: &[&[f32]]) {
        let block = block.get(..self.channels).unwrap_or(block);
        // Peaks a block at a time; the detector's delay of half a kernel (16 frames, 0.4 ms
        // at 44.1 kHz) is within the model's precision.
        let mut frame_peaks = std::mem::take(&mut self.frame_peaks);
        let mut frame_energies = std::mem::take(&mut self.frame_energies);
        self.peaks.scan(block, &mut frame_peaks);
        k_weighted_energies(&mut self.filters, block, &mut frame_energies);
        let frames = frame_peaks.len().min(frame_energies.len());
        let mut start = 0;
        while start < frames {
            // Up to the end of the current chunk or sub-block, whichever comes first.
            let n = (self.profile.chunk_frames - self.in_chunk)
                .min(self.profile.sub_block_frames - self.in_sub_block)
                .min(frames - start);
            let run = start..start + n;
            if let (Some(energies), Some(peaks)) =
                (frame_energies.get(run.clone()), frame_peaks.get(run))
            {
                self.chunk_energy = energies.iter().fold(self.chunk_energy, |s, e| s + e);
                let peak = peaks.iter().fold(0.0f32, |m, &p| if p > m { p } else { m });
                self.chunk_peak = self.chunk_peak.max(f64::from(peak));
            }
            self.in_chunk += n;
            self.in_sub_block += n;
            start += n;
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
        self.frame_peaks = frame_peaks;
        self.frame_energies = frame_energies;
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

/// Writes into `energies[n]` the channel-weighted sum of the squared K-weighted samples of
/// frame `n` (non-finite samples as silence). Two channels at a time, their filters copied
/// into locals: the two recursions then overlap, and the filters' memories stay in
/// registers (they could alias `energies` otherwise).
fn k_weighted_energies(
    filters: &mut [(usize, f64, KFilter)],
    block: &[&[f32]],
    energies: &mut Vec<f64>,
) {
    let frames = block.iter().map(|c| c.len()).min().unwrap_or(0);
    energies.clear();
    energies.resize(frames, 0.0);
    let samples = |c: usize| block.get(c).and_then(|x| x.get(..frames)).unwrap_or(&[]);
    let finite = |x: f32| if x.is_finite() { x } else { 0.0 };
    let mut pairs = filters.chunks_exact_mut(2);
    for pair in &mut pairs {
        let [(c0, w0, f0), (c1, w1, f1)] = pair else {
            continue;
        };
        let (w0, w1) = (*w0, *w1);
        let (mut k0, mut k1) = (f0.clone(), f1.clone());
        for ((e, &x0), &x1) in energies.iter_mut().zip(samples(*c0)).zip(samples(*c1)) {
            let y0 = k0.filter(finite(x0));
            let y1 = k1.filter(finite(x1));
            *e += w0 * y0 * y0 + w1 * y1 * y1;
        }
        (*f0, *f1) = (k0, k1);
    }
    for (c, w, f) in pairs.into_remainder() {
        let w = *w;
        let mut k = f.clone();
        for (e, &x) in energies.iter_mut().zip(samples(*c)) {
            let y = k.filter(finite(x));
            *e += w * y * y;
        }
        *f = k;
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

#[cfg(test)]
mod tests {
    use ebur128::{EbuR128, Mode};
    use mixgraph_engine::{
        AudioWriter, Graph, OutputFormat, ParamValue, ReadingValue, RenderRequest, SampleFormat,
    };

    use super::*;

    /// Music-like stereo: decaying noise bursts (drum-like) over a sustained two-tone bed,
    /// with a loud section in the middle, `seconds` long.
    fn music(rate: u32, seconds: f64) -> Vec<Vec<f32>> {
        let frames = (seconds * f64::from(rate)) as usize;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let beat = (f64::from(rate) * 0.25) as usize;
        (0..2)
            .map(|c| {
                (0..frames)
                    .map(|i| {
                        let t = i as f64 / f64::from(rate);
                        let hit = (i % beat) as f64 / f64::from(rate);
                        let loud = if (2.0..4.0).contains(&t) { 2.5 } else { 1.0 };
                        let bed = 0.08
                            * (std::f64::consts::TAU * (220.0 + 110.0 * c as f64) * t).sin()
                            + 0.05 * (std::f64::consts::TAU * 1760.0 * t).sin();
                        (0.4 * loud * (bed + 0.3 * (-hit * 30.0).exp() * noise())) as f32
                    })
                    .collect()
            })
            .collect()
    }

    fn profile_of(signal: &[Vec<f32>], rate: u32) -> LoudnessProfile {
        let mut builder = ProfileBuilder::new(rate, signal.len());
        for start in (0..signal[0].len()).step_by(1000) {
            let end = (start + 1000).min(signal[0].len());
            let block: Vec<&[f32]> = signal.iter().map(|c| &c[start..end]).collect();
            builder.push(&block);
        }
        builder.finish()
    }

    fn ebur128_reading(signal: &[Vec<f32>], rate: u32) -> (f64, f64) {
        let mut meter = EbuR128::new(signal.len() as u32, rate, Mode::I | Mode::TRUE_PEAK).unwrap();
        let planes: Vec<&[f32]> = signal.iter().map(Vec::as_slice).collect();
        meter.add_frames_planar_f32(&planes).unwrap();
        let peak = (0..signal.len() as u32)
            .map(|c| meter.true_peak(c).unwrap())
            .fold(0.0, f64::max);
        (meter.loudness_global().unwrap(), 20.0 * peak.log10())
    }

    /// Renders `gain -> limiter` over the signal with the engine and returns the output's
    /// integrated loudness (ebur128) and the limiter's gain reduction reading.
    fn real_limiter(
        signal: &[Vec<f32>],
        rate: u32,
        gain_db: f64,
        limiter: &LimiterSettings,
    ) -> (f64, f64) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        let output = dir.path().join("out.wav");
        let mut writer = AudioWriter::create(
            &input,
            signal.len(),
            rate,
            OutputFormat::new(SampleFormat::Float32),
        )
        .unwrap();
        writer.write(signal, signal[0].len()).unwrap();
        writer.finish().unwrap();
        let catalog = mixgraph_nodes::catalog();
        let mut g = Graph::new();
        let num = |k: &str, v: f64| (k.to_string(), ParamValue::Number(v));
        let i = g
            .add_node("in", catalog.get("input").unwrap(), &[])
            .unwrap();
        let a = g
            .add_node(
                "gain",
                catalog.get("gain").unwrap(),
                &[num("gain", gain_db)],
            )
            .unwrap();
        let params = [
            num("ceiling", limiter.ceiling_dbtp),
            num("release", limiter.release_ms),
            num("lookahead", limiter.lookahead_ms),
        ];
        let l = g
            .add_node("limiter", catalog.get("limiter").unwrap(), &params)
            .unwrap();
        let o = g
            .add_node("out", catalog.get("output").unwrap(), &[])
            .unwrap();
        g.connect_ports(i, 0, a, 0).unwrap();
        g.connect_ports(a, 0, l, 0).unwrap();
        g.connect_ports(l, 0, o, 0).unwrap();
        let request = RenderRequest::new().input("in", &input).output(
            "out",
            &output,
            OutputFormat::new(SampleFormat::Float32),
        );
        let report = mixgraph_engine::render(&g, &request, &mut |_, _| {}).unwrap();
        let reduction = report.readings[0]
            .readings
            .iter()
            .find_map(|r| match (r.name, &r.value) {
                ("max_gain_reduction", ReadingValue::Scalar(v)) => Some(*v),
                _ => None,
            })
            .unwrap();
        let mut reader = mixgraph_engine::AudioReader::open(&output).unwrap();
        let mut out = vec![vec![0.0f32; signal[0].len() + 10_000]; signal.len()];
        let frames = reader.read(&mut out, signal[0].len() + 10_000).unwrap();
        out.iter_mut().for_each(|c| c.truncate(frames));
        (ebur128_reading(&out, rate).0, reduction)
    }

    #[test]
    fn unlimited_loudness_equals_ebur128_and_the_peak_is_the_limiters_view() {
        for rate in [44_100, 48_000] {
            let signal = music(rate, 6.0);
            let profile = profile_of(&signal, rate);
            let (integrated, true_peak) = ebur128_reading(&signal, rate);
            let unlimited = profile.unlimited();
            assert!(
                (unlimited.integrated_lufs - integrated).abs() < 1e-3,
                "{rate} Hz: {} vs ebur128 {integrated}",
                unlimited.integrated_lufs
            );
            assert_eq!(unlimited.max_reduction_db, 0.0);
            // Two interpolators of the same broadband signal (ebur128's is shorter) agree to
            // within a dB.
            assert!(
                (profile.peak_dbtp() - true_peak).abs() < 1.0,
                "{rate} Hz: {} vs ebur128 {true_peak}",
                profile.peak_dbtp()
            );
            // A gain scales the loudness exactly when nothing is limited.
            let idle = LimiterSettings {
                ceiling_dbtp: 0.0,
                release_ms: 100.0,
                lookahead_ms: 5.0,
            };
            let down = profile.predict(-6.0, &idle);
            assert!((down.integrated_lufs - (integrated - 6.0)).abs() < 1e-3);
        }
    }

    #[test]
    fn predictions_match_the_limiter_node() {
        let rate = 44_100;
        let signal = music(rate, 6.0);
        let profile = profile_of(&signal, rate);
        let limiter = LimiterSettings {
            ceiling_dbtp: -1.0,
            release_ms: 100.0,
            lookahead_ms: 5.0,
        };
        let headroom = -1.0 - LIMITER_HEADROOM_DB - profile.peak_dbtp();
        // Clear of the limiter, just into it, and 6 dB into it.
        for gain in [headroom - 0.2, headroom + 1.0, headroom + 6.0] {
            let predicted = profile.predict(gain, &limiter);
            let (loudness, reduction) = real_limiter(&signal, rate, gain, &limiter);
            assert!(
                (predicted.integrated_lufs - loudness).abs() < 0.05,
                "gain {gain:.2}: predicted {:.3} LUFS, measured {loudness:.3}",
                predicted.integrated_lufs
            );
            assert!(
                (predicted.max_reduction_db - reduction).abs() < 0.05,
                "gain {gain:.2}: predicted {:.3} dB of reduction, the limiter read {reduction:.3}",
                predicted.max_reduction_db
            );
            assert_eq!(
                profile.limiter_idle(gain, &limiter, 0.05),
                reduction == 0.0,
                "gain {gain:.2}: reduction {reduction}"
            );
        }
    }
}
