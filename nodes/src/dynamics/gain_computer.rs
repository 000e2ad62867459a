//! Static gain curves of dynamics processors, in dB: how much a detected level is turned
//! down, before any attack or release.

/// The gain reduction (dB, at least 0) of a downward compressor for a level `x` dB, with
/// the quadratic soft knee of Giannoulis, Massberg and Reiss (JAES 2012):
///
/// - below `threshold - knee / 2`: no reduction;
/// - within the knee: `(1 - 1/ratio) * (x - threshold + knee/2)^2 / (2 knee)`;
/// - above `threshold + knee / 2`: `(1 - 1/ratio) * (x - threshold)`.
///
/// `ratio` below 1 counts as 1; `knee` below 0 as 0.
#[inline]
pub fn compressor_reduction(x: f64, threshold: f64, ratio: f64, knee: f64) -> f64 {
    let slope = 1.0 - 1.0 / ratio.max(1.0);
    let knee = knee.max(0.0);
    let over = x - threshold;
    if 2.0 * over <= -knee {
        0.0
    } else if 2.0 * over < knee {
        let d = over + knee / 2.0;
        slope * d * d / (2.0 * knee)
    } else {
        slope * over
    }
}

/// The gain reduction (dB, at least 0) of a downward expander for a level `x` dB: below
/// `threshold` the output falls `ratio` dB per dB of input, i.e. the reduction is
/// `(ratio - 1) * (threshold - x)`, limited to `range` dB (a gate is a large ratio).
#[inline]
pub fn expander_reduction(x: f64, threshold: f64, ratio: f64, range: f64) -> f64 {
    let under = threshold - x;
    if under <= 0.0 {
        0.0
    } else {
        ((ratio.max(1.0) - 1.0) * under).min(range.max(0.0))
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
    fn expander_reduces_below_threshold_up_to_the_range() {
        assert_eq!(expander_reduction(-30.0, -40.0, 2.0, 20.0), 0.0);
        assert!((expander_reduction(-45.0, -40.0, 2.0, 20.0) - 5.0).abs() < 1e-12);
        assert_eq!(expander_reduction(-100.0, -40.0, 2.0, 20.0), 20.0);
    }
}
