//! Block-wise 4x true-peak detection (ITU-R BS.1770): for every frame of a block, the largest
//! magnitude of the signal interpolated at four points per sample, computed for the whole
//! block in one pass over contiguous samples, in `f32`, so the compiler vectorizes it across
//! frames.
//!
//! # The kernel
//! The interpolation filter is [`OversamplingFilter::design`]`(4, 32, 80 dB)`: a symmetric
//! L-th band low-pass, so its four polyphase branches have a structure that halves the work.
//! Branch 0 is the input sample itself; branch 2 is symmetric; branch 3 is branch 1 reversed.
//! With `a_j = x[n - j]` and `b_j = x[n - 31 + j]` for `j < 16`, `s_j = a_j + b_j` and
//! `d_j = a_j - b_j`:
//! - `y2 = sum h2[j] s_j`;
//! - `y1 + y3 = sum (h1[j] + h3[j]) s_j` and `y1 - y3 = sum (h1[j] - h3[j]) d_j`, and
//!   `max(|y1|, |y3|) = (|y1 + y3| + |y1 - y3|) / 2`.
//!
//! That is 48 multiply-adds per frame instead of 96 (or 132 for a plain 4 x 33 bank).
//!
//! # Precision
//! Against the `f64` [`crate::dsp::oversample::Interpolator`], a peak read here differs by at
//! most [`RELATIVE_ERROR`] times the largest `|x|` within the kernel; callers that must not
//! under-read scale their threshold down by that much.

use super::oversample::OversamplingFilter;

/// Interpolated points per sample.
pub const FACTOR: usize = 4;
/// Taps per polyphase branch of the interpolation filter.
pub const TAPS_PER_PHASE: usize = 32;
/// Stopband of the interpolation filter.
pub const STOPBAND_DB: f64 = 80.0;
/// Samples before a block's first frame that its peaks depend on.
pub const HISTORY: usize = TAPS_PER_PHASE - 1;
/// Frames by which a peak lags its input: the peak reported for frame `n` covers the signal
/// from sample `n - DELAY` (included) to sample `n - DELAY + 1` (excluded).
pub const DELAY: usize = TAPS_PER_PHASE / 2;
/// A bound on the rounding error of a peak read here, relative to the largest `|x|` within
/// the kernel (the sum of `|h|` is under 2.4 and 48 products and sums each round by at most
/// 2^-24; this keeps a factor of two to spare).
pub const RELATIVE_ERROR: f32 = 1e-5;

/// Symmetric pairs of taps per branch.
const PAIRS: usize = TAPS_PER_PHASE / 2;
/// Frames computed together (a multiple of four), their sums held in registers across
/// the taps.
const GROUP: usize = 8;
/// Samples one group reads.
const WINDOW: usize = GROUP + HISTORY;

/// The folded interpolation kernel (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct TruePeakKernel {
    /// `h1[j] + h3[j]`, applied to `s_j` (each tap in all four lanes).
    sum13: [Lanes; PAIRS],
    /// `h1[j] - h3[j]`, applied to `d_j`.
    diff13: [Lanes; PAIRS],
    /// `h2[j]`, applied to `s_j`.
    mid: [Lanes; PAIRS],
    /// See [`TruePeakKernel::ramp_sensitivity`].
    ramp_sensitivity: f32,
}

impl Default for TruePeakKernel {
    fn default() -> Self {
        Self::new()
    }
}

impl TruePeakKernel {
    /// Designs the filter and folds its branches.
    pub fn new() -> TruePeakKernel {
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        let h1 = filter.branch(1);
        let h2 = filter.branch(2);
        let h3 = filter.branch(3);
        let tap = |h: &[f64], j: usize| h.get(j).copied().unwrap_or(0.0);
        // The first absolute moment of each branch about the centre tap, the largest of them,
        // rounded up by a part per million.
        let moment = (0..FACTOR)
            .map(|p| {
                let branch = filter.branch(p);
                let taps = branch.iter().take(TAPS_PER_PHASE).enumerate();
                taps.map(|(j, h)| h.abs() * j.abs_diff(DELAY) as f64)
                    .sum::<f64>()
            })
            .fold(0.0f64, f64::max);
        let mut kernel = TruePeakKernel {
            sum13: [Lanes::ZERO; PAIRS],
            diff13: [Lanes::ZERO; PAIRS],
            mid: [Lanes::ZERO; PAIRS],
            ramp_sensitivity: (moment * (1.0 + 1e-6)) as f32,
        };
        for j in 0..PAIRS {
            kernel.sum13[j] = Lanes::splat((tap(h1, j) + tap(h3, j)) as f32);
            kernel.diff13[j] = Lanes::splat((tap(h1, j) - tap(h3, j)) as f32);
            kernel.mid[j] = Lanes::splat(tap(h2, j) as f32);
        }
        kernel
    }

    /// How much a gain that varies along the kernel can move an interpolated value: if
    /// `y[k] = g[k] x[k]` with `|x[k]| <= m` and `|g[k + 1] - g[k]| <= s` over a frame's
    /// samples, each interpolated value of `y` lies within `ramp_sensitivity() * s * m` of
    /// the same value of `x` times the gain at the frame's own sample (`n - DELAY`). It is
    /// the largest first absolute moment of a branch about that sample (4.48).
    pub fn ramp_sensitivity(&self) -> f32 {
        self.ramp_sensitivity
    }

    /// Raises `peaks[i]` to the true peak of frame `i` over the `frames = peaks.len()` frames
    /// of a block, where `samples` holds the [`HISTORY`] samples before the block followed by
    /// the block (`samples[HISTORY + i]` is sample `i`). Frames for which `samples` is too
    /// short are left as they are.
    pub fn raise_peaks(&self, samples: &[f32], peaks: &mut [f32]) {
        let frames = peaks.len().min(samples.len().saturating_sub(HISTORY));
        let peaks = &mut peaks[..frames];
        let mut groups = peaks.chunks_exact_mut(GROUP);
        let mut start = 0;
        for group in &mut groups {
            let window = samples
                .get(start..start + WINDOW)
                .and_then(|w| <&[f32; WINDOW]>::try_from(w).ok());
            if let Some(window) = window {
                self.raise_group(window, group);
            }
            start += GROUP;
        }
        // The last frames from a copy padded with zeros (the padding's frames are dropped).
        let rest = groups.into_remainder();
        if !rest.is_empty() {
            let mut padded = [0.0f32; WINDOW];
            for (p, &x) in padded.iter_mut().zip(samples.get(start..).unwrap_or(&[])) {
                *p = x;
            }
            self.raise_group(&padded, rest);
        }
    }

    /// Raises the peaks of up to [`GROUP`] frames whose samples (with history) are `window`.
    #[inline(always)]
    fn raise_group(&self, window: &[f32; WINDOW], peaks: &mut [f32]) {
        let found = self.group(window);
        for (p, f) in peaks.iter_mut().zip(found.iter().flat_map(|l| l.0)) {
            *p = larger(*p, f);
        }
    }

    /// The true peaks of the [`GROUP`] frames whose samples (with history) are `window`.
    /// Each frame goes through the same operations in the same order wherever it sits in a
    /// group, so results do not depend on how a signal is cut into blocks.
    #[inline(always)]
    fn group(&self, window: &[f32; WINDOW]) -> [Lanes; GROUP / 4] {
        let mut sum13 = [Lanes::ZERO; GROUP / 4];
        let mut diff13 = [Lanes::ZERO; GROUP / 4];
        let mut mid = [Lanes::ZERO; GROUP / 4];
        for j in 0..PAIRS {
            let (cs, cd, cm) = (self.sum13[j], self.diff13[j], self.mid[j]);
            for g in 0..GROUP / 4 {
                // Frame k's newest sample is window[k + HISTORY]: a_j = window[k + HISTORY - j],
                // b_j = a_(HISTORY - j) = window[k + j].
                let a = Lanes::load(window, 4 * g + HISTORY - j);
                let b = Lanes::load(window, 4 * g + j);
                let s = a.add(b);
                let d = a.sub(b);
                sum13[g] = sum13[g].add(cs.mul(s));
                diff13[g] = diff13[g].add(cd.mul(d));
                mid[g] = mid[g].add(cm.mul(s));
            }
        }
        let mut out = [Lanes::ZERO; GROUP / 4];
        for (g, o) in out.iter_mut().enumerate() {
            let centre = Lanes::load(window, 4 * g + HISTORY - DELAY).abs();
            let outer = sum13[g].abs().add(diff13[g].abs()).mul(Lanes::splat(0.5));
            *o = centre.max(mid[g].abs()).max(outer);
        }
        out
    }
}

/// The larger of `a` and `b` (`b` when either is NaN).
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// Four `f32` lanes, one per frame. Written as straight-line array arithmetic that the
/// compiler turns into one SSE instruction per operation (no `unsafe`, no target features
/// beyond the x86-64 baseline).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(16))]
struct Lanes([f32; 4]);

impl Lanes {
    const ZERO: Lanes = Lanes([0.0; 4]);

    #[inline(always)]
    fn splat(v: f32) -> Lanes {
        Lanes([v; 4])
    }

    /// `window[at..at + 4]` (`at` at most `WINDOW - 4`: every caller's index is a constant
    /// expression within it, so the check compiles away).
    #[inline(always)]
    fn load(window: &[f32; WINDOW], at: usize) -> Lanes {
        match window.get(at..at + 4) {
            Some(&[a, b, c, d]) => Lanes([a, b, c, d]),
            _ => Lanes::ZERO,
        }
    }

    #[inline(always)]
    fn add(self, o: Lanes) -> Lanes {
        let (a, b) = (self.0, o.0);
        Lanes([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]])
    }

    #[inline(always)]
    fn sub(self, o: Lanes) -> Lanes {
        let (a, b) = (self.0, o.0);
        Lanes([a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]])
    }

    #[inline(always)]
    fn mul(self, o: Lanes) -> Lanes {
        let (a, b) = (self.0, o.0);
        Lanes([a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]])
    }

    #[inline(always)]
    fn abs(self) -> Lanes {
        let a = self.0;
        Lanes([a[0].abs(), a[1].abs(), a[2].abs(), a[3].abs()])
    }

    #[inline(always)]
    fn max(self, o: Lanes) -> Lanes {
        let (a, b) = (self.0, o.0);
        Lanes([
            a[0].max(b[0]),
            a[1].max(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::oversample::Interpolator;

    /// The true peak of every frame by the f64 interpolator, over all channels.
    fn reference(channels: &[Vec<f32>]) -> Vec<f64> {
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        let frames = channels[0].len();
        let mut peaks = vec![0.0f64; frames];
        for channel in channels {
            let mut up = Interpolator::new(&filter);
            let mut out = [0.0; FACTOR];
            for (x, peak) in channel.iter().zip(&mut peaks) {
                up.process(f64::from(*x), &mut out);
                *peak = out.iter().fold(*peak, |m, v| m.max(v.abs()));
            }
        }
        peaks
    }

    /// Runs the kernel over `channels` in blocks of the given sizes (in turn), carrying the
    /// history from block to block as a caller would.
    fn block_wise(channels: &[Vec<f32>], sizes: &[usize]) -> Vec<f32> {
        let kernel = TruePeakKernel::new();
        let frames = channels[0].len();
        let mut peaks = Vec::new();
        let mut start = 0;
        for &size in sizes.iter().cycle() {
            if start >= frames {
                break;
            }
            let end = (start + size).min(frames);
            let mut block = vec![0.0f32; end - start];
            for channel in channels {
                let mut samples = vec![0.0f32; HISTORY];
                for (i, s) in samples.iter_mut().enumerate() {
                    let n = start as isize - HISTORY as isize + i as isize;
                    if n >= 0 {
                        *s = channel[n as usize];
                    }
                }
                samples.extend_from_slice(&channel[start..end]);
                kernel.raise_peaks(&samples, &mut block);
            }
            peaks.extend_from_slice(&block);
            start = end;
        }
        peaks
    }

    fn chirp_and_noise(frames: usize) -> Vec<Vec<f32>> {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let noise: Vec<f32> = (0..frames)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                ((seed >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32
            })
            .collect();
        // A full-scale sweep from 0.3125 to 0.49 times the sample rate.
        let chirp: Vec<f32> = (0..frames)
            .map(|n| {
                let t = n as f64 / frames as f64;
                let phase = std::f64::consts::PI * (0.625 * n as f64 + 0.1775 * n as f64 * t);
                phase.sin() as f32
            })
            .collect();
        vec![noise, chirp]
    }

    #[test]
    fn peaks_equal_the_f64_interpolator_within_the_stated_error() {
        let channels = chirp_and_noise(6000);
        let expected = reference(&channels);
        let got = block_wise(&channels, &[6000]);
        for (n, (&g, &e)) in got.iter().zip(&expected).enumerate() {
            // Both inputs stay within [-1, 1].
            assert!(
                (f64::from(g) - e).abs() <= f64::from(RELATIVE_ERROR),
                "frame {n}: {g} vs {e}"
            );
        }
        // The comparison is over real peaks, not silence.
        let mean = expected.iter().sum::<f64>() / expected.len() as f64;
        assert!(mean > 0.5, "{mean}");
    }

    #[test]
    fn a_sine_near_nyquist_reads_its_amplitude_at_every_phase() {
        // At 0.4 fs (the top of the passband) a sample can fall 0.4 pi of phase from the
        // nearest crest or trough (cos = 0.31: -10 dB). The interpolated points are 0.2 pi
        // apart and each frame holds four of them, so every frame lies within 0.2 pi of an
        // extremum, and over many frames some point comes within 0.1 pi. No frame may read
        // over the amplitude by more than the passband ripple.
        let amplitude = 0.8;
        for phase in 0..12 {
            let phase = f64::from(phase) * std::f64::consts::PI / 12.0;
            let x: Vec<f32> = (0..2000)
                .map(|n| (amplitude * (std::f64::consts::PI * 0.8 * n as f64 + phase).sin()) as f32)
                .collect();
            let peaks: Vec<f64> = block_wise(&[x], &[64])[100..]
                .iter()
                .map(|&p| f64::from(p))
                .collect();
            let lowest = peaks.iter().fold(f64::INFINITY, |m, &p| m.min(p));
            let highest = peaks.iter().fold(0.0f64, |m, &p| m.max(p));
            let pi = std::f64::consts::PI;
            assert!(
                lowest >= 0.999 * amplitude * (0.2 * pi).cos(),
                "phase {phase}: lowest frame {lowest}"
            );
            assert!(
                highest >= 0.999 * amplitude * (0.1 * pi).cos() && highest <= 1.001 * amplitude,
                "phase {phase}: highest frame {highest}"
            );
        }
    }

    #[test]
    fn results_do_not_depend_on_the_block_size() {
        let channels = chirp_and_noise(3000);
        let whole = block_wise(&channels, &[3000]);
        for sizes in [&[1][..], &[7, 64, 1], &[8, 9]] {
            assert_eq!(block_wise(&channels, sizes), whole, "{sizes:?}");
        }
    }

    #[test]
    fn too_short_samples_leave_peaks_alone() {
        let kernel = TruePeakKernel::new();
        let mut peaks = [0.25f32; 4];
        kernel.raise_peaks(&[1.0; HISTORY + 2], &mut peaks);
        assert!(peaks[..2].iter().all(|&p| p >= 1.0));
        assert_eq!(&peaks[2..], &[0.25, 0.25]);
    }
}
