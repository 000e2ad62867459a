//! Peaks of a 4x-interpolated signal at half the cost, for interpolators whose prototype
//! is a symmetric L-th band low-pass (BS.1770's, the limiter's): branch 0 is the input
//! delayed (its other taps are zero but for rounding), branch 2 is symmetric and branch 3
//! is branch 1 reversed. With `n` the newest frame, `2P` taps per branch, and for `k < P`
//! `s_k = x[n - k] + x[n - 2P + 1 + k]` and `d_k = x[n - k] - x[n - 2P + 1 + k]`:
//! - `y2 = sum h2[k] s_k`;
//! - `y1 + y3 = sum (h1[k] + h3[k]) s_k` and `y1 - y3 = sum (h1[k] - h3[k]) d_k`, and
//!   `max(|y1|, |y3|) = (|y1 + y3| + |y1 - y3|) / 2`;
//! - `y0 = x[n - P]`.
//!
//! That is `3P` multiply-adds per frame instead of `8P`. The sums round differently from the
//! branches summed one by one: a peak read here is within [`FOLDED_ERROR`] of theirs,
//! relative to the largest sum of `|h|` of a branch times the largest `|x|` read.

use super::polyphase_peaks::Branch;

/// How far a folded peak may be from the branches' own sums, relative to the largest sum of
/// `|h|` times the largest `|x|` read: each rounds at most `2P + 2` times by 2^-24 of that,
/// with `P` up to 16; a factor of three to spare.
pub(crate) const FOLDED_ERROR: f32 = 1e-5;
/// How far from symmetric (relative to the largest tap) a filter may be to be folded.
const SYMMETRY_TOLERANCE: f64 = 1e-6;
/// Frames computed together, their sums held in registers.
const LANES: usize = 8;

/// A 4x interpolator folded on its symmetry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoldedPeaks {
    /// `h1[k] + h3[k]`, applied to `s_k`.
    sum13: Vec<f32>,
    /// `h1[k] - h3[k]`, applied to `d_k`.
    diff13: Vec<f32>,
    /// `h2[k]`, applied to `s_k`.
    mid: Vec<f32>,
}

impl FoldedPeaks {
    /// The folded form of four branches (`(j, h)`: weight `h` of the input `j` frames back),
    /// or `None` when they are not those of a symmetric L-th band 4x interpolator.
    pub(crate) fn new(branches: &[Branch]) -> Option<Self> {
        let [b0, b1, b2, b3] = branches else {
            return None;
        };
        let tap = |b: &Branch, j: usize| -> f64 {
            b.iter()
                .find(|&&(k, _)| k == j)
                .map_or(0.0, |&(_, h)| f64::from(h))
        };
        let newest = [b1, b2, b3]
            .iter()
            .flat_map(|b| b.iter().map(|&(j, _)| j))
            .max()?;
        if newest % 2 == 0 {
            return None;
        }
        let pairs = newest.div_ceil(2);
        let largest = branches
            .iter()
            .flatten()
            .map(|&(_, h)| f64::from(h.abs()))
            .fold(0.0, f64::max);
        let close = |a: f64, b: f64| (a - b).abs() <= SYMMETRY_TOLERANCE * largest;
        let symmetric = (0..=newest).all(|k| {
            close(tap(b1, k), tap(b3, newest - k)) && close(tap(b2, k), tap(b2, newest - k))
        });
        let delays_the_input = b0
            .iter()
            .all(|&(j, h)| close(f64::from(h), if j == pairs { 1.0 } else { 0.0 }));
        if !(symmetric && delays_the_input) {
            return None;
        }
        Some(Self {
            sum13: (0..pairs)
                .map(|k| (tap(b1, k) + tap(b3, k)) as f32)
                .collect(),
            diff13: (0..pairs)
                .map(|k| (tap(b1, k) - tap(b3, k)) as f32)
                .collect(),
            mid: (0..pairs).map(|k| tap(b2, k) as f32).collect(),
        })
    }

    /// Frames of history a frame's peak reads back (`2P - 1`).
    pub(crate) fn history(&self) -> usize {
        2 * self.mid.len() - 1
    }

    /// Raises `peaks[f]` to the interpolated peak of frame `f`, for every frame of `peaks`,
    /// whose sample is `window[history + f]` (the history comes first).
    pub(crate) fn raise_frames(&self, window: &[f32], peaks: &mut [f32]) {
        let span = self.history();
        let mut start = 0;
        let mut groups = peaks.chunks_exact_mut(LANES);
        for group in &mut groups {
            if let Some(w) = window.get(start..start + LANES + span) {
                for (p, e) in group.iter_mut().zip(self.lanes::<LANES>(w)) {
                    *p = larger(*p, e);
                }
            }
            start += LANES;
        }
        for p in groups.into_remainder() {
            if let Some(w) = window.get(start..start + 1 + span) {
                let [e] = self.lanes::<1>(w);
                *p = larger(*p, e);
            }
            start += 1;
        }
    }

    /// The largest interpolated peak over the first `frames` frames of `window` (after its
    /// history).
    pub(crate) fn max(&self, window: &[f32], frames: usize) -> f32 {
        let span = self.history();
        let mut largest = [0.0f32; LANES];
        let mut start = 0;
        while start + LANES <= frames {
            if let Some(w) = window.get(start..start + LANES + span) {
                for (m, e) in largest.iter_mut().zip(self.lanes::<LANES>(w)) {
                    *m = larger(*m, e);
                }
            }
            start += LANES;
        }
        while start < frames {
            if let Some(w) = window.get(start..start + 1 + span) {
                let [e] = self.lanes::<1>(w);
                largest[0] = larger(largest[0], e);
            }
            start += 1;
        }
        largest.into_iter().fold(0.0, larger)
    }

    /// The peaks of `N` consecutive frames; frame `f`'s sample is `window[f + history]`.
    #[inline(always)]
    fn lanes<const N: usize>(&self, window: &[f32]) -> [f32; N] {
        let newest = self.history();
        let mut sum13 = [0.0f32; N];
        let mut diff13 = [0.0f32; N];
        let mut mid = [0.0f32; N];
        for (k, ((&cs, &cd), &cm)) in self
            .sum13
            .iter()
            .zip(&self.diff13)
            .zip(&self.mid)
            .enumerate()
        {
            // a = x[n - k] = window[f + newest - k], b = x[n - newest + k] = window[f + k].
            let a = window.get(newest - k..newest - k + N);
            let b = window.get(k..k + N);
            let (Some(a), Some(b)) = (
                a.and_then(|a| <&[f32; N]>::try_from(a).ok()),
                b.and_then(|b| <&[f32; N]>::try_from(b).ok()),
            ) else {
                continue;
            };
            for f in 0..N {
                let s = a[f] + b[f];
                let d = a[f] - b[f];
                sum13[f] += cs * s;
                diff13[f] += cd * d;
                mid[f] += cm * s;
            }
        }
        let centre = self.mid.len();
        let mut out = [0.0f32; N];
        for (f, o) in out.iter_mut().enumerate() {
            // Branch 0: x[n - P] = window[f + newest - P].
            let delayed = window.get(f + newest - centre).map_or(0.0, |x| x.abs());
            let outer = 0.5 * (sum13[f].abs() + diff13[f].abs());
            *o = larger(larger(delayed, mid[f].abs()), outer);
        }
        out
    }
}

/// The larger of `m` and `x`, by a comparison (so that it compiles to one instruction): a
/// NaN `x` is passed over.
pub(crate) fn larger(m: f32, x: f32) -> f32 {
    if x > m { x } else { m }
}

#[cfg(test)]
mod tests {
    use super::super::polyphase_peaks::PolyphasePeaks;
    use super::*;

    /// A symmetric 4x L-th band design: a Hann-windowed sinc of `4 * 2P` taps centred on
    /// tap `4P`, branch `p` weighing the input `i` frames back by tap `4i + p`.
    fn design(pairs: usize) -> Vec<Branch> {
        let centre = 4.0 * pairs as f64;
        let tap = |j: usize| -> f32 {
            let m = j as f64 - centre;
            let w = 0.5 * (1.0 - (std::f64::consts::PI * j as f64 / centre).cos());
            let x = m * std::f64::consts::PI / 4.0;
            (if m == 0.0 { w } else { w * x.sin() / x }) as f32
        };
        (0..4)
            .map(|p| {
                (0..2 * pairs)
                    .map(|i| (i, tap(4 * i + p)))
                    .filter(|&(_, h)| h != 0.0)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn folded_peaks_equal_the_branches_summed_one_by_one() {
        for pairs in [6, 16] {
            let branches = design(pairs);
            let folded = FoldedPeaks::new(&branches).unwrap();
            assert_eq!(folded.history(), 2 * pairs - 1);
            let signal: Vec<f32> = (0..3000)
                .map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * 1.8)
                .collect();
            let mut exact = PolyphasePeaks::new(branches.clone(), 1);
            let mut expected = Vec::new();
            exact.frame_peaks(&[&signal], &mut expected);
            let mut window = vec![0.0f32; folded.history()];
            window.extend_from_slice(&signal);
            let mut got = vec![0.0f32; signal.len()];
            folded.raise_frames(&window, &mut got);
            let gain = branches
                .iter()
                .map(|b| b.iter().map(|&(_, h)| h.abs()).sum::<f32>())
                .fold(0.0, f32::max);
            let bound = FOLDED_ERROR * gain * 0.9;
            for (f, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert!(
                    (g - e).abs() <= bound,
                    "{pairs} pairs, frame {f}: {g} vs {e}"
                );
            }
            let largest = expected.iter().copied().fold(0.0, f32::max);
            assert!((folded.max(&window, signal.len()) - largest).abs() <= bound);
            // The same over part of the frames.
            let part = expected[..37].iter().copied().fold(0.0, f32::max);
            assert!((folded.max(&window, 37) - part).abs() <= bound);
        }
    }

    #[test]
    fn filters_that_are_not_symmetric_are_not_folded() {
        let mut branches = design(6);
        assert!(FoldedPeaks::new(&branches).is_some());
        branches[1][2].1 += 0.01;
        assert!(FoldedPeaks::new(&branches).is_none());
        assert!(FoldedPeaks::new(&design(6)[..3]).is_none());
    }
}
