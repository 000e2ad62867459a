//! Finding the gain that brings a loudness to its target when loudness grows with gain but
//! not in proportion (a limiter turns the loudest parts down): a secant search kept inside
//! a bracket.

/// Loudness differences below this, in LU, count as on target.
const PRECISION_LU: f64 = 1e-4;
/// The most evaluations of the loudness function.
const MAX_EVALUATIONS: usize = 60;

/// A gain and its loudness error, in dB and LU.
type Point = (f64, f64);

/// The gain within `range` (dB) at which `loudness(gain)` is `target`, starting from
/// `start`. `loudness` must not decrease as the gain grows (any `-inf` counts as too quiet).
/// When the target lies outside what the range reaches, the nearer end of the range.
pub fn solve_gain(
    loudness: impl Fn(f64) -> f64,
    target: f64,
    start: f64,
    range: (f64, f64),
) -> f64 {
    let (low_end, high_end) = range;
    let error = |gain: f64| {
        let l = loudness(gain);
        if l.is_finite() {
            l - target
        } else {
            f64::NEG_INFINITY
        }
    };
    let mut gain = start.clamp(low_end, high_end);
    let mut e = error(gain);
    if e.abs() < PRECISION_LU {
        return gain;
    }
    // Bracket: gains known to be too quiet (low) and too loud (high), with their errors.
    let mut low: Option<Point> = None;
    let mut high: Option<Point> = None;
    let mut previous: Option<Point> = None;
    for _ in 0..MAX_EVALUATIONS {
        if e < 0.0 {
            low = Some((gain, e));
        } else {
            high = Some((gain, e));
        }
        // The secant through the last two points, or a unit slope (gain adds loudness
        // one for one without limiting) when there is no usable previous point.
        let slope = previous
            .filter(|(g, pe)| pe.is_finite() && e.is_finite() && (gain - g).abs() > 1e-12)
            .map(|(g, pe)| (e - pe) / (gain - g))
            .filter(|s| *s > 1e-6)
            .unwrap_or(1.0);
        let step = if e.is_finite() {
            -e / slope
        } else {
            high_end - gain
        };
        let mut next = gain + step;
        match (low, high) {
            (Some((lg, _)), Some((hg, _))) if !(next > lg && next < hg) => next = (lg + hg) / 2.0,
            _ => {}
        }
        next = next.clamp(low_end, high_end);
        if (next - gain).abs() < 1e-9 {
            return next;
        }
        previous = Some((gain, e));
        gain = next;
        e = error(gain);
        if e.abs() < PRECISION_LU {
            return gain;
        }
        if let (Some((lg, _)), Some((hg, _))) = (low, high) {
            if hg - lg < 1e-9 {
                break;
            }
        }
    }
    gain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_loudness_is_solved_in_one_step() {
        let calls = std::cell::Cell::new(0);
        let gain = solve_gain(
            |g| {
                calls.set(calls.get() + 1);
                -20.0 + g
            },
            -14.0,
            0.0,
            (-120.0, 48.0),
        );
        assert!((gain - 6.0).abs() < 1e-9, "{gain}");
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn a_saturating_loudness_is_solved_to_the_precision() {
        // Loudness of a limited signal: one for one below -16, then growing at a third of
        // the rate (an analytic stand-in for limiting).
        let loudness = |g: f64| {
            let raw = -24.0 + g;
            if raw < -16.0 {
                raw
            } else {
                -16.0 + (raw + 16.0) / 3.0
            }
        };
        let gain = solve_gain(loudness, -14.0, 10.0, (-120.0, 48.0));
        // -16 + (g - 8) / 3 = -14  =>  g = 14.
        assert!((gain - 14.0).abs() < 1e-3, "{gain}");
        assert!((loudness(gain) + 14.0).abs() <= PRECISION_LU);
    }

    #[test]
    fn unreachable_targets_give_the_end_of_the_range() {
        let gain = solve_gain(|g| (-30.0 + g).min(-20.0), -14.0, 0.0, (-10.0, 20.0));
        assert_eq!(gain, 20.0);
        let gain = solve_gain(|g| -30.0 + g, -80.0, 0.0, (-10.0, 20.0));
        assert_eq!(gain, -10.0);
        // Silence at every gain: the top of the range.
        assert_eq!(
            solve_gain(|_| f64::NEG_INFINITY, -14.0, 0.0, (-10.0, 20.0)),
            20.0
        );
    }
}
