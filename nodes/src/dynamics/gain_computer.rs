//! Static gain curves of dynamics processors, in dB: how much a detected level is turned
//! down, before any attack or release.

use std::ops::{Add, Div, Mul, Sub};

/// The floating-point types a curve computes in: `f64` for exact work, `f32` for blocks of
/// levels (four per SSE register).
pub trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + From<f32>
{
}

impl Real for f32 {}
impl Real for f64 {}

/// `a` or `b`, whichever is larger (`b` when unordered).
#[inline(always)]
fn larger<F: Real>(a: F, b: F) -> F {
    if a > b { a } else { b }
}

/// The static curve of a downward compressor with the quadratic soft knee of Giannoulis,
/// Massberg and Reiss (JAES 2012), for a level `x` dB:
///
/// - below `threshold - knee / 2`: no reduction;
/// - within the knee: `(1 - 1/ratio) * (x - threshold + knee/2)^2 / (2 knee)`;
/// - above `threshold + knee / 2`: `(1 - 1/ratio) * (x - threshold)`;
///
/// and never more than `range` dB. `ratio` below 1 counts as 1; `knee` and `range` below 0
/// as 0. The divisions are done once, when the curve is built, and
/// [`CompressorCurve::reduction`] has no branch, so a loop over a block vectorizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorCurve<F = f64> {
    threshold: F,
    slope: F,
    knee: F,
    /// `knee / 2`.
    half_knee: F,
    /// `slope / (2 knee)` (infinite for a hard knee, where it is never used).
    knee_scale: F,
    range: F,
}

impl<F: Real> CompressorCurve<F> {
    /// The curve for these settings (`range`: the largest reduction, in dB).
    pub fn new(threshold: F, ratio: F, knee: F, range: F) -> CompressorCurve<F> {
        let (zero, one, two) = (F::from(0.0), F::from(1.0), F::from(2.0));
        let slope = one - one / larger(ratio, one);
        let knee = larger(knee, zero);
        CompressorCurve {
            threshold,
            slope,
            knee,
            half_knee: knee / two,
            knee_scale: slope / (two * knee),
            range: larger(range, zero),
        }
    }

    /// The level (dB) at and below which the curve reduces nothing: the knee's lower edge.
    pub fn onset_db(&self) -> F {
        self.threshold - self.half_knee
    }

    /// The gain reduction (dB, at least 0) for a level of `x` dB.
    #[inline(always)]
    pub fn reduction(&self, x: F) -> F {
        let over = x - self.threshold;
        let into_knee = over + self.half_knee;
        let in_knee = self.knee_scale * into_knee * into_knee;
        let above = self.slope * over;
        let r = if over <= F::from(0.0) - self.half_knee {
            F::from(0.0)
        } else if over < self.half_knee {
            in_knee
        } else {
            above
        };
        if r < self.range { r } else { self.range }
    }
}

/// The gain reduction (dB, at least 0) of a downward compressor for a level `x` dB (see
/// [`CompressorCurve`]), without a limit on the reduction.
pub fn compressor_reduction(x: f64, threshold: f64, ratio: f64, knee: f64) -> f64 {
    CompressorCurve::new(threshold, ratio, knee, f64::INFINITY).reduction(x)
}

/// The gain reduction (dB, at least 0) of a downward expander for a level `x` dB: below
/// `threshold` the output falls `ratio` dB per dB of input, i.e. the reduction is
/// `(ratio - 1) * (threshold - x)`, limited to `range` dB (a gate is a large ratio).
#[inline(always)]
pub fn expander_reduction(x: f64, threshold: f64, ratio: f64, range: f64) -> f64 {
    let under = threshold - x;
    let r = (ratio.max(1.0) - 1.0) * under;
    let range = range.max(0.0);
    if under <= 0.0 {
        0.0
    } else if r < range {
        r
    } else {
        range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_knee_compressor_follows_the_ratio_above_threshold() {
        assert_eq!(compressor_reduction(-30.0, -20.0, 4.0, 0.0), 0.0);
        assert!((compressor_reduction(-8.0, -20.0, 4.0, 0.0) - 9.0).abs() < 1e-12);
    }

    #[test]
    fn soft_knee_is_continuous_with_continuous_slope_at_both_edges() {
        let (t, r, w) = (-20.0, 4.0, 10.0);
        let e = 1e-7;
        for edge in [t - w / 2.0, t + w / 2.0] {
            let below = compressor_reduction(edge - e, t, r, w);
            let above = compressor_reduction(edge + e, t, r, w);
            assert!((below - above).abs() < 1e-6);
            let slope_below = (compressor_reduction(edge - e, t, r, w)
                - compressor_reduction(edge - 2.0 * e, t, r, w))
                / e;
            let slope_above = (compressor_reduction(edge + 2.0 * e, t, r, w)
                - compressor_reduction(edge + e, t, r, w))
                / e;
            assert!(
                (slope_below - slope_above).abs() < 1e-3,
                "{slope_below} {slope_above}"
            );
        }
        // At the threshold the knee reduces by (1 - 1/r) * w / 8.
        assert!((compressor_reduction(t, t, r, w) - 0.75 * w / 8.0).abs() < 1e-12);
    }

    #[test]
    fn the_single_precision_curve_follows_the_double_one() {
        for (t, r, w) in [(-20.0, 4.0, 10.0), (-40.0, 50.0, 0.0), (-6.0, 1.5, 24.0)] {
            let exact = CompressorCurve::<f64>::new(t, r, w, UNLIMITED);
            let single = CompressorCurve::new(t as f32, r as f32, w as f32, UNLIMITED as f32);
            for i in 0..=2000 {
                let x = -100.0 + 0.07 * f64::from(i);
                let got = f64::from(single.reduction(x as f32));
                assert!(
                    (got - exact.reduction(x)).abs() < 1e-4,
                    "{t} {r} {w} at {x}"
                );
            }
        }
    }

    /// No limit on the reduction.
    const UNLIMITED: f64 = 1e6;

    #[test]
    fn the_range_limits_the_reduction_and_the_onset_is_the_knee_edge() {
        let curve = CompressorCurve::<f64>::new(-20.0, 4.0, 10.0, 6.0);
        assert_eq!(curve.reduction(0.0), 6.0);
        assert!((curve.reduction(-10.0) - 6.0).abs() < 1e-12);
        assert_eq!(curve.onset_db(), -25.0);
        assert_eq!(curve.reduction(-25.0), 0.0);
        assert!(curve.reduction(-24.999) > 0.0);
        // Ratio 1 never reduces; a negative range counts as 0.
        assert_eq!(
            CompressorCurve::new(-20.0, 1.0, 0.0, 100.0).reduction(30.0),
            0.0
        );
        assert_eq!(
            CompressorCurve::new(-20.0, 4.0, 0.0, -3.0).reduction(30.0),
            0.0
        );
    }

    #[test]
    fn expander_reduces_below_threshold_up_to_the_range() {
        assert_eq!(expander_reduction(-30.0, -40.0, 2.0, 20.0), 0.0);
        assert!((expander_reduction(-45.0, -40.0, 2.0, 20.0) - 5.0).abs() < 1e-12);
        assert_eq!(expander_reduction(-100.0, -40.0, 2.0, 20.0), 20.0);
    }
}
