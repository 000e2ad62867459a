//! The true-peak meter of BS.1770 as libebur128 (and the `ebur128` crate) builds it: a
//! 48-tap Hann-windowed sinc interpolating 4x below 96 kHz and 2x below 192 kHz (none from
//! 192 kHz on), summed in single precision in the same order, so that the readings are the
//! `ebur128` crate's bit for bit; but computed a block at a time, and only where it can
//! matter.
//!
//! # Where the exact sums are computed
//! A block's reading is the largest of its sample peak and its interpolated values, so an
//! interpolated value can only change the reading when it exceeds the largest value found so
//! far. Frames are taken in groups; for each group, two bounds are tried before the exact
//! sums ([`raise_peaks`]):
//! - the gain bound: no interpolated value exceeds the largest `|x|` the group reads times
//!   the largest sum of `|h|` of a branch;
//! - at 4x, the folded estimate: the filter is symmetric, so branch 2 is symmetric and
//!   branch 3 is branch 1 reversed; with `s_k = x[n - k] + x[n - 11 + k]` and
//!   `d_k = x[n - k] - x[n - 11 + k]` (`k < 6`), `y2 = sum h2[k] s_k`,
//!   `y1 + y3 = sum (h1[k] + h3[k]) s_k`, `y1 - y3 = sum (h1[k] - h3[k]) d_k` and
//!   `max(|y1|, |y3|) = (|y1 + y3| + |y1 - y3|) / 2`, while branch 0 is the sample six frames
//!   back (its other taps are zero but for rounding): half the work of the exact sums, and
//!   within [`ESTIMATE_ERROR`] of them relative to the bound.
//!
//! Only a group that either bound cannot rule out is summed exactly; in music that is the
//! few groups around a block's loudest samples.

use std::f64::consts::PI;

use super::polyphase_peaks::{Branch, ChannelHistory, history_of, raise_peaks};

/// Length of the interpolation filter (libebur128's).
const TAPS: usize = 48;
/// Frames bounded (and, where needed, summed exactly) together.
const GROUP: usize = 32;
/// Frames estimated together, their sums held in registers.
const LANES: usize = 8;
/// Symmetric pairs of taps per branch at 4x.
const PAIRS: usize = 6;
/// How far an estimate or a bound may be from the exact single-precision sums, relative to
/// the gain bound: the sums round at most about 50 times by 2^-24 of it; a factor of three
/// to spare.
const ESTIMATE_ERROR: f32 = 1e-5;

/// Per-channel true peaks of blocks of audio.
#[derive(Debug, Clone)]
pub(crate) struct TruePeakMeter {
    /// `None` from 192 kHz on, where the samples are the peaks.
    interpolation: Option<Interpolation>,
    channels: Vec<ChannelHistory>,
    /// Per-frame exact peaks of a group.
    exact: Vec<f32>,
}

/// The interpolation filter in the forms the meter uses.
#[derive(Debug, Clone)]
struct Interpolation {
    /// The exact form, as libebur128 sums it.
    branches: Vec<Branch>,
    history: usize,
    /// The largest sum of `|h|` over a branch, raised by [`ESTIMATE_ERROR`].
    gain: f32,
    /// The folded form, at 4x.
    folded: Option<Folded>,
}

/// The 4x filter folded on its symmetry (see the module docs).
#[derive(Debug, Clone)]
struct Folded {
    sum13: [f32; PAIRS],
    diff13: [f32; PAIRS],
    mid: [f32; PAIRS],
}

impl TruePeakMeter {
    /// A meter for `channels` channels at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32, channels: usize) -> Self {
        let factor = match sample_rate {
            ..96_000 => Some(4),
            96_000..192_000 => Some(2),
            _ => None,
        };
        let interpolation = factor.map(Interpolation::new);
        let history = interpolation.as_ref().map_or(0, |i| i.history);
        Self {
            interpolation,
            channels: vec![ChannelHistory::new(history); channels],
            exact: Vec::with_capacity(GROUP),
        }
    }

    /// Writes into `peaks[c]` the true peak of channel `c` over the block (linear): the
    /// larger of its sample peak and its interpolated peak, as `ebur128`'s
    /// `prev_true_peak` reads after the same frames. Non-finite samples count as silence.
    pub(crate) fn scan(&mut self, block: &[&[f32]], peaks: &mut [f64]) {
        for ((history, channel), peak) in self.channels.iter_mut().zip(block).zip(peaks) {
            let samples = history.load(channel);
            let mut found = max_abs(channel);
            if let Some(interpolation) = &self.interpolation {
                found = interpolation.raise(samples, found, &mut self.exact);
            }
            *peak = f64::from(found);
        }
    }
}

impl Interpolation {
    fn new(factor: usize) -> Self {
        let branches = branches(factor);
        let gain = branches
            .iter()
            .map(|b| b.iter().map(|&(_, h)| f64::from(h.abs())).sum::<f64>())
            .fold(0.0, f64::max);
        Self {
            history: history_of(&branches),
            gain: (gain * (1.0 + f64::from(ESTIMATE_ERROR))) as f32,
            folded: (factor == 4).then(|| Folded::new(&branches)),
            branches,
        }
    }

    /// The largest of `found` and every interpolated value of the block held in `samples`
    /// (after `history` frames of the previous block).
    fn raise(&self, samples: &[f32], mut found: f32, exact: &mut Vec<f32>) -> f32 {
        let frames = samples.len().saturating_sub(self.history);
        let mut start = 0;
        while start < frames {
            let len = GROUP.min(frames - start);
            let Some(window) = samples.get(start..start + self.history + len) else {
                break;
            };
            let reach = self.gain * max_abs(window);
            let slack = ESTIMATE_ERROR * reach;
            let needed = reach > found
                && self
                    .folded
                    .as_ref()
                    .is_none_or(|f| f.estimate(window, len) + slack > found);
            if needed {
                exact.clear();
                exact.resize(len, 0.0);
                for branch in &self.branches {
                    raise_peaks(branch, window, self.history, exact);
                }
                found = exact.iter().copied().fold(found, f32::max);
            }
            start += len;
        }
        found
    }
}

impl Folded {
    /// Folds the four branches of the 4x filter (12 taps each).
    fn new(branches: &[Branch]) -> Self {
        let tap = |p: usize, i: usize| -> f64 {
            branches
                .get(p)
                .and_then(|b| b.iter().find(|&&(j, _)| j == i))
                .map_or(0.0, |&(_, h)| f64::from(h))
        };
        let mut folded = Self {
            sum13: [0.0; PAIRS],
            diff13: [0.0; PAIRS],
            mid: [0.0; PAIRS],
        };
        for k in 0..PAIRS {
            folded.sum13[k] = (tap(1, k) + tap(3, k)) as f32;
            folded.diff13[k] = (tap(1, k) - tap(3, k)) as f32;
            folded.mid[k] = tap(2, k) as f32;
        }
        folded
    }

    /// The largest estimated interpolated magnitude over the `len` frames of `window`
    /// (which holds the 11 frames before them first).
    fn estimate(&self, window: &[f32], len: usize) -> f32 {
        let mut largest = 0.0f32;
        let mut start = 0;
        while start + LANES <= len {
            let found = window
                .get(start..start + LANES + 2 * PAIRS - 1)
                .map_or([0.0; LANES], |w| self.lanes::<LANES>(w));
            largest = found.iter().copied().fold(largest, f32::max);
            start += LANES;
        }
        while start < len {
            let [found] = window
                .get(start..start + 2 * PAIRS)
                .map_or([0.0], |w| self.lanes::<1>(w));
            largest = largest.max(found);
            start += 1;
        }
        largest
    }

    /// The estimates of `N` consecutive frames; frame `k`'s sample is `window[k + 11]`.
    #[inline(always)]
    fn lanes<const N: usize>(&self, window: &[f32]) -> [f32; N] {
        const NEWEST: usize = 2 * PAIRS - 1;
        let mut sum13 = [0.0f32; N];
        let mut diff13 = [0.0f32; N];
        let mut mid = [0.0f32; N];
        for k in 0..PAIRS {
            // a = x[n - k] = window[frame + 11 - k], b = x[n - 11 + k] = window[frame + k].
            let a = window.get(NEWEST - k..NEWEST - k + N);
            let b = window.get(k..k + N);
            let (Some(a), Some(b)) = (
                a.and_then(|a| <&[f32; N]>::try_from(a).ok()),
                b.and_then(|b| <&[f32; N]>::try_from(b).ok()),
            ) else {
                continue;
            };
            let (cs, cd, cm) = (self.sum13[k], self.diff13[k], self.mid[k]);
            for f in 0..N {
                let s = a[f] + b[f];
                let d = a[f] - b[f];
                sum13[f] += cs * s;
                diff13[f] += cd * d;
                mid[f] += cm * s;
            }
        }
        let mut out = [0.0f32; N];
        for (f, o) in out.iter_mut().enumerate() {
            // Branch 0: the sample six frames back, x[n - 6] = window[f + 5].
            let centre = window.get(f + PAIRS - 1).map_or(0.0, |x| x.abs());
            let outer = 0.5 * (sum13[f].abs() + diff13[f].abs());
            *o = centre.max(mid[f].abs()).max(outer);
        }
        out
    }
}

/// The largest magnitude of the samples (0 for none).
fn max_abs(samples: &[f32]) -> f32 {
    samples.iter().fold(
        0.0f32,
        |m, &x| if x.is_finite() { m.max(x.abs()) } else { m },
    )
}

/// The polyphase branches of libebur128's interpolator for `factor`: tap `j` of the
/// 48-tap prototype is a Hann window times a sinc of cutoff `1 / factor`; branch `p` weighs
/// the input `i` frames back by tap `i * factor + p`.
fn branches(factor: usize) -> Vec<Branch> {
    let window = TAPS as f64;
    let tap = |j: usize| -> f32 {
        let j = j as f64;
        let w = 0.5 * (1.0 - (2.0 * PI * j / window).cos());
        let m = j - window / 2.0;
        let x = m * PI / factor as f64;
        (if m.abs() > 1e-6 { w * x.sin() / x } else { w }) as f32
    };
    (0..factor)
        .map(|p| {
            (0..TAPS / factor)
                .map(|i| (i, tap(i * factor + p)))
                .filter(|&(_, h)| h != 0.0)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ebur128::{EbuR128, Mode};

    use super::*;

    /// Broadband stereo: a tone near Nyquist (whose peaks fall between samples) on the left,
    /// a pseudo-random signal with hard steps on the right.
    fn signal(rate: u32, frames: usize) -> [Vec<f32>; 2] {
        let left = (0..frames)
            .map(|i| {
                let f = 0.45 * f64::from(rate);
                (0.8 * (std::f64::consts::TAU * f * i as f64 / f64::from(rate) + 0.4).sin()) as f32
            })
            .collect();
        let right = (0..frames)
            .map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * 1.6)
            .collect();
        [left, right]
    }

    #[test]
    fn readings_are_ebur128s_bit_for_bit_at_every_factor() {
        for rate in [44_100, 48_000, 96_000, 192_000] {
            let [left, right] = signal(rate, 9000);
            let mut meter = TruePeakMeter::new(rate, 2);
            let mut reference = EbuR128::new(2, rate, Mode::TRUE_PEAK).unwrap();
            let mut start = 0;
            for size in [1, 17, 100, 1000, 4410].iter().cycle() {
                if start >= left.len() {
                    break;
                }
                let end = (start + size).min(left.len());
                let mut peaks = [0.0; 2];
                meter.scan(&[&left[start..end], &right[start..end]], &mut peaks);
                reference
                    .add_frames_planar_f32(&[&left[start..end], &right[start..end]])
                    .unwrap();
                for (c, &peak) in peaks.iter().enumerate() {
                    let expected = reference.prev_true_peak(c as u32).unwrap();
                    assert_eq!(
                        peak, expected,
                        "{rate} Hz, frames {start}..{end}, channel {c}"
                    );
                }
                start = end;
            }
        }
    }

    #[test]
    fn readings_stay_ebur128s_where_most_groups_are_ruled_out() {
        // Decaying noise bursts (one loud sample each) over a quiet bed, and a hard-clipped
        // stretch: most groups are far under their block's peak or only level with it.
        let rate = 44_100;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let frames = 30_000;
        let channels: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                (0..frames)
                    .map(|i| {
                        let since_hit = (i + 1000 * c) % 5000;
                        let burst = 0.9 * (-(since_hit as f64) / 300.0).exp();
                        let x = 0.01 * noise() + burst * noise();
                        let x = if since_hit == 7 { 0.99 } else { x };
                        let x = if (20_000..22_000).contains(&i) {
                            4.0 * x
                        } else {
                            x
                        };
                        x.clamp(-1.0, 1.0) as f32
                    })
                    .collect()
            })
            .collect();
        let mut meter = TruePeakMeter::new(rate, 2);
        let mut reference = EbuR128::new(2, rate, Mode::TRUE_PEAK).unwrap();
        for start in (0..frames).step_by(4410) {
            let end = (start + 4410).min(frames);
            let block = [&channels[0][start..end], &channels[1][start..end]];
            let mut peaks = [0.0; 2];
            meter.scan(&block, &mut peaks);
            reference.add_frames_planar_f32(&block).unwrap();
            for (c, &peak) in peaks.iter().enumerate() {
                assert_eq!(
                    peak,
                    reference.prev_true_peak(c as u32).unwrap(),
                    "{start} {c}"
                );
            }
        }
    }

    #[test]
    fn an_inter_sample_peak_reads_above_the_samples() {
        // EBU Tech 3341 case 19: 1.41 FS at fs/4 with a 45 degree phase: every sample is at
        // 1.41 * sin(45 deg) = 0.997 FS, the waveform between them peaks at 1.41 (+3 dBTP).
        let rate = 48_000;
        let tone: Vec<f32> = (0..4800)
            .map(|i| (1.41 * (std::f64::consts::FRAC_PI_2 * i as f64 + PI / 4.0).sin()) as f32)
            .collect();
        let mut meter = TruePeakMeter::new(rate, 1);
        let mut peak = [0.0];
        meter.scan(&[&tone], &mut peak);
        let sample_peak = tone.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((f64::from(sample_peak) - 1.41 * (PI / 4.0).sin()).abs() < 1e-6);
        let dbtp = 20.0 * peak[0].log10();
        assert!((dbtp - 3.0).abs() < 0.2, "{dbtp}");
    }
}
