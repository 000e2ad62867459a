//! The average magnitude spectrum: consecutive Hann-windowed FFT frames, power-averaged over
//! frames and channels. Frames do not overlap: over a whole track the average is the same, and
//! it halves the cost of the analysis's most expensive part after the true-peak meter.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// The average spectrum of the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Width of one bin in Hz; bin `k` is centred on `k * bin_hz`.
    pub bin_hz: f64,
    /// Level of each bin from 0 Hz to Nyquist, in dB relative to a full-scale sine centred on
    /// a bin (which reads 0 dB); `-inf` where there is no energy.
    pub level_db: Vec<f64>,
    /// How many FFT frames (per channel) were averaged.
    pub frames_averaged: usize,
}

impl Spectrum {
    /// A spectrum that was not measured: no bins, nothing averaged.
    pub(crate) fn empty(sample_rate: u32, size: usize) -> Self {
        Self {
            bin_hz: f64::from(sample_rate) / size as f64,
            level_db: Vec::new(),
            frames_averaged: 0,
        }
    }

    /// `(frequency in Hz, level in dB)` of every bin.
    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.level_db
            .iter()
            .enumerate()
            .map(|(k, &db)| (k as f64 * self.bin_hz, db))
    }

    /// The spectrum smoothed over `1 / fraction` of an octave, at `points` log-spaced
    /// frequencies from `from_hz` to `to_hz`, as `(frequency in Hz, level in dB)`. Each point
    /// is the power average over the band from half a band below to half a band above it,
    /// each bin weighted by how much of its width (`bin_hz`, centred on it) lies in the band;
    /// so the curve moves smoothly even where a band is narrower than a bin.
    pub fn smoothed(
        &self,
        fraction: f64,
        from_hz: f64,
        to_hz: f64,
        points: usize,
    ) -> Vec<(f64, f64)> {
        let last = self.level_db.len().saturating_sub(1);
        if last == 0 || points < 2 || !(from_hz > 0.0 && to_hz > from_hz) || fraction <= 0.0 {
            return Vec::new();
        }
        let half_band = 2f64.powf(0.5 / fraction);
        let ratio = (to_hz / from_hz).powf(1.0 / (points - 1) as f64);
        (0..points)
            .map(|i| {
                let hz = from_hz * ratio.powi(i as i32);
                // Band edges in bins; bin k spans k - 0.5 .. k + 0.5.
                let low = (hz / half_band / self.bin_hz).clamp(0.0, last as f64);
                let high = (hz * half_band / self.bin_hz).clamp(0.0, last as f64);
                let first = (low + 0.5).floor() as usize;
                let end = ((high + 0.5).floor() as usize).min(last);
                let (mut power, mut weight) = (0.0, 0.0);
                for (k, db) in self.level_db.iter().enumerate().take(end + 1).skip(first) {
                    let overlap = (high.min(k as f64 + 0.5) - low.max(k as f64 - 0.5)).max(0.0);
                    power += overlap * 10f64.powf(db / 10.0);
                    weight += overlap;
                }
                let level = if weight > 0.0 {
                    10.0 * (power / weight).log10()
                } else {
                    f64::NEG_INFINITY
                };
                (hz, level)
            })
            .collect()
    }
}

/// Collects FFT frames of every channel.
pub(crate) struct SpectrumAccumulator {
    sample_rate: f64,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per channel: the frames of the FFT frame being filled.
    pending: Vec<Vec<f32>>,
    /// Frames currently in `pending` (the same for every channel).
    filled: usize,
    windowed: Vec<f32>,
    bins: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f64>,
    frames_averaged: usize,
}

impl SpectrumAccumulator {
    /// An accumulator for `channels` channels with FFT frames of `size` frames (a power of two).
    pub fn new(sample_rate: u32, channels: usize, size: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        // Periodic Hann window: its coherent gain is exactly 1/2.
        let window = (0..size)
            .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / size as f64).cos()) as f32)
            .collect();
        Self {
            sample_rate: f64::from(sample_rate),
            windowed: fft.make_input_vec(),
            bins: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; size / 2 + 1],
            fft,
            window,
            pending: vec![Vec::with_capacity(size); channels],
            filled: 0,
            frames_averaged: 0,
        }
    }

    fn size(&self) -> usize {
        self.window.len()
    }

    /// Feeds a planar block (channels of equal length).
    pub fn push(&mut self, block: &[&[f32]]) {
        let frames = block.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < frames {
            let n = (self.size() - self.filled).min(frames - start);
            for (pending, channel) in self.pending.iter_mut().zip(block) {
                pending.extend_from_slice(channel.get(start..start + n).unwrap_or_default());
            }
            self.filled += n;
            start += n;
            if self.filled == self.size() {
                self.analyse_frame();
                self.pending.iter_mut().for_each(Vec::clear);
                self.filled = 0;
            }
        }
    }

    /// Adds the power spectrum of the pending frame of every channel (zero-padded if short).
    fn analyse_frame(&mut self) {
        for pending in &self.pending {
            for ((w, &x), &win) in self.windowed.iter_mut().zip(pending).zip(&self.window) {
                *w = x * win;
            }
            // A short last frame is zero-padded.
            if let Some(rest) = self.windowed.get_mut(pending.len()..) {
                rest.fill(0.0);
            }
            if self
                .fft
                .process_with_scratch(&mut self.windowed, &mut self.bins, &mut self.scratch)
                .is_err()
            {
                // Only possible with buffers of the wrong length, which `new` rules out.
                continue;
            }
            for (p, b) in self.power.iter_mut().zip(&self.bins) {
                *p += f64::from(b.norm_sqr());
            }
        }
        self.frames_averaged += 1;
    }

    /// The average spectrum. Audio shorter than one FFT frame is analysed zero-padded.
    pub fn finish(mut self) -> Spectrum {
        if self.frames_averaged == 0 && self.filled > 0 {
            self.analyse_frame();
        }
        let size = self.size() as f64;
        let count = (self.frames_averaged * self.pending.len()).max(1) as f64;
        // A sine of amplitude A centred on a bin gives |X| = A * N / 4 with a Hann window.
        let scale = (4.0 / size).powi(2) / count;
        Spectrum {
            bin_hz: self.sample_rate / size,
            level_db: self
                .power
                .iter()
                .map(|p| 10.0 * (p * scale).log10())
                .collect(),
            frames_averaged: self.frames_averaged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyse(channels: &[Vec<f32>], block: usize) -> Spectrum {
        let mut acc = SpectrumAccumulator::new(48_000, channels.len(), 1024);
        let frames = channels[0].len();
        for start in (0..frames).step_by(block) {
            let end = (start + block).min(frames);
            let parts: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            acc.push(&parts);
        }
        acc.finish()
    }

    #[test]
    fn a_sine_on_a_bin_centre_reads_its_peak_level() {
        // Bin 64 of 1024 at 48 kHz: 3000 Hz. Amplitude 0.5 is -6.02 dB.
        let sine: Vec<f32> = (0..10_240)
            .map(|i| 0.5 * (std::f64::consts::TAU * 3000.0 * i as f64 / 48_000.0).sin() as f32)
            .collect();
        let spectrum = analyse(&[sine.clone(), sine], 700);
        assert_eq!(spectrum.bin_hz, 46.875);
        // 10240 frames in frames of 1024: 10 frames.
        assert_eq!(spectrum.frames_averaged, 10);
        let expected = 20.0 * 0.5f64.log10();
        assert!(
            (spectrum.level_db[64] - expected).abs() < 1e-3,
            "{}",
            spectrum.level_db[64]
        );
        // Hann leakage: the adjacent bins are at half amplitude (-6 dB), far bins far down.
        assert!((spectrum.level_db[65] - (expected - 6.0206)).abs() < 1e-2);
        assert!(spectrum.level_db[200] < expected - 100.0);
    }

    #[test]
    fn channels_are_averaged_in_power() {
        // One channel at amplitude 1, one silent: the average power is half, -3.01 dB.
        let sine: Vec<f32> = (0..4096)
            .map(|i| (std::f64::consts::TAU * 3000.0 * i as f64 / 48_000.0).sin() as f32)
            .collect();
        let spectrum = analyse(&[sine, vec![0.0; 4096]], 4096);
        assert!((spectrum.level_db[64] - 10.0 * 0.5f64.log10()).abs() < 1e-3);
    }

    #[test]
    fn smoothing_keeps_a_flat_spectrum_flat_and_spreads_a_line() {
        let flat = Spectrum {
            bin_hz: 10.0,
            level_db: vec![-30.0; 2049],
            frames_averaged: 1,
        };
        let points = flat.smoothed(6.0, 20.0, 20_000.0, 50);
        assert_eq!(points.len(), 50);
        assert!((points[0].0 - 20.0).abs() < 1e-9 && (points[49].0 - 20_000.0).abs() < 1e-6);
        assert!(points.iter().all(|&(_, db)| (db - -30.0).abs() < 1e-9));
        // One bin at 0 dB among silence, fully inside the band: the band's average is one
        // bin's power over the band's width in bins (1000 Hz * (2^(1/12) - 2^(-1/12)) / 10 Hz).
        let mut line = vec![f64::NEG_INFINITY; 2049];
        line[100] = 0.0;
        let line = Spectrum {
            bin_hz: 10.0,
            level_db: line,
            frames_averaged: 1,
        };
        let at_1k = line.smoothed(6.0, 1000.0, 2000.0, 2)[0].1;
        let width = 100.0 * (2f64.powf(1.0 / 12.0) - 2f64.powf(-1.0 / 12.0));
        assert!(
            (at_1k - 10.0 * (1.0 / width).log10()).abs() < 1e-9,
            "{at_1k}"
        );
        // Below 100 Hz a 1/6-octave band is narrower than a bin: around 25 Hz it straddles
        // the 20 Hz bin (0 dB, spanning 15..25 Hz) and the silent 30 Hz bin (25..35 Hz).
        let mut low = vec![f64::NEG_INFINITY; 2049];
        low[2] = 0.0;
        let low = Spectrum {
            bin_hz: 10.0,
            level_db: low,
            frames_averaged: 1,
        };
        let at_25 = low.smoothed(6.0, 25.0, 50.0, 2)[0].1;
        let (below, above) = (25.0 / 2f64.powf(1.0 / 12.0), 25.0 * 2f64.powf(1.0 / 12.0));
        let expected = (25.0 - below) / (above - below);
        assert!((at_25 - 10.0 * expected.log10()).abs() < 1e-9, "{at_25}");
    }

    #[test]
    fn short_audio_is_zero_padded() {
        let spectrum = analyse(&[vec![0.25; 100]], 100);
        assert_eq!(spectrum.frames_averaged, 1);
        assert!(spectrum.level_db[0].is_finite());
        assert_eq!(analyse(&[vec![]], 1).level_db[0], f64::NEG_INFINITY);
    }
}
