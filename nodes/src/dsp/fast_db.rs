//! Decibel conversions for gain paths that run one per sample: `20 log10` and `10^(x/20)`
//! from a polynomial `log2` and `exp2` in single precision (four per SSE register), with no
//! libm call and no branch, so a loop over a block of them vectorizes. Their error is a few
//! units in the last place of an `f32`: at most 3e-5 dB over the detectors' range (-200 to
//! +200 dB), 5e-6 dB within 60 dB of full scale, far below the 0.01 dB a listener or a
//! meter could tell.
//!
//! `log2(x)`: `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))`, and `ln m = 2 atanh(s)` with
//! `s = (m - 1) / (m + 1)`, `|s| <= 0.172`, summed to `s^7` (truncation below 5e-8).
//! `exp2(y)`: `y = n + r` with `n` the nearest integer and `|r| <= 1/2`; `2^r` by its Taylor
//! series to degree 7 (truncation below 6e-9, relative), `2^n` written into the exponent.

use std::f32::consts::{LN_2, LOG2_10, SQRT_2};

/// dB per octave of amplitude: `20 log10(2)`.
const DB_PER_OCTAVE: f32 = 20.0 / LOG2_10;

/// Octaves per dB of amplitude: `log2(10) / 20`.
const OCTAVES_PER_DB: f32 = LOG2_10 / 20.0;

/// The smallest and largest arguments [`log2`] distinguishes; beyond them the result is
/// clamped, so any input gives a finite result.
const LOG_DOMAIN: (f32, f32) = (f32::MIN_POSITIVE, f32::MAX);

/// The largest `|y|` [`exp2`] takes: results stay normal numbers.
const EXP2_LIMIT: f32 = 126.0;

/// Adding then subtracting `1.5 * 2^23` rounds a number below `2^22` in magnitude to the
/// nearest integer, whose value then sits in the low bits of the sum.
const ROUNDING_MAGIC: f32 = 12_582_912.0;

/// `f32` bits of `1.0` (a biased exponent of 127, mantissa 0).
const ONE_BITS: u32 = 0x3f80_0000;

/// Bits of the mantissa field.
const MANTISSA_MASK: u32 = (1 << 23) - 1;

/// The binary logarithm of `x`, for positive normal `x` (clamped to that range; NaN reads
/// as the lower end). Absolute error below 1.5e-7 plus one unit in the last place.
#[inline(always)]
pub fn log2(x: f32) -> f32 {
    let x = clamp(x, LOG_DOMAIN.0, LOG_DOMAIN.1);
    let bits = x.to_bits();
    // The exponent, and the mantissa scaled into [1, 2).
    let exponent = (bits >> 23) as i32 - 127;
    let m = f32::from_bits((bits & MANTISSA_MASK) | ONE_BITS);
    // Move [sqrt 2, 2) down an octave so |s| stays small.
    let high = m >= SQRT_2;
    let m = if high { m * 0.5 } else { m };
    let e = (exponent + i32::from(high)) as f32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // 2 atanh(s) / ln 2 = (2 / ln 2) (s + s^3/3 + s^5/5 + s^7/7).
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0)));
    e + s * series * (2.0 / LN_2)
}

/// `2^y`, for `y` in `[-126, 126]` (clamped to that range; NaN reads as the lower end).
/// Relative error below 1e-8 plus one unit in the last place; `exp2(0) == 1` exactly.
#[inline(always)]
pub fn exp2(y: f32) -> f32 {
    let y = clamp(y, -EXP2_LIMIT, EXP2_LIMIT);
    let shifted = y + ROUNDING_MAGIC;
    let n = shifted - ROUNDING_MAGIC;
    let r = (y - n) * LN_2;
    // e^r, |r| <= ln 2 / 2, Taylor to degree 7 in Horner form.
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // The integer n sits in the low bits of `shifted`; put n + 127 into the exponent.
    let n_bits = shifted.to_bits().wrapping_sub(ROUNDING_MAGIC.to_bits());
    let scale = f32::from_bits(n_bits.wrapping_add(127) << 23);
    p * scale
}

/// `20 log10(x)`: an amplitude in dB (see [`log2`] for the range).
#[inline(always)]
pub fn amplitude_to_db(x: f32) -> f32 {
    DB_PER_OCTAVE * log2(x)
}

/// `10 log10(p)`: a power (a mean square) in dB.
#[inline(always)]
pub fn power_to_db(p: f32) -> f32 {
    0.5 * DB_PER_OCTAVE * log2(p)
}

/// `10^(db / 20)`: the amplitude factor of a gain in dB, for `|db|` up to 758 (clamped
/// beyond). 0 dB gives exactly 1.
#[inline(always)]
pub fn db_to_amplitude(db: f32) -> f32 {
    exp2(db * OCTAVES_PER_DB)
}

/// `x` limited to `[lo, hi]`, NaN giving `lo`; compiles to two min/max instructions.
#[inline(always)]
fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x > lo { x } else { lo };
    if x < hi { x } else { hi }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logarithmically spaced points from `lo` to `hi`, `per_decade` per decade, plus the
    /// neighbours of every power of two and of its product with sqrt 2 in range (where the
    /// mantissa wraps and where the reduction changes octave).
    fn log_spaced(lo: f64, hi: f64, per_decade: usize) -> Vec<f32> {
        let decades = (hi / lo).log10();
        let n = (decades * per_decade as f64) as usize;
        let mut xs: Vec<f32> = (0..=n)
            .map(|i| (lo * 10f64.powf(decades * i as f64 / n as f64)) as f32)
            .collect();
        let mut p = 2f32.powi(lo.log2().floor() as i32);
        while f64::from(p) <= hi {
            for q in [p, p * SQRT_2] {
                xs.extend([q.next_down(), q, q.next_up()]);
            }
            p *= 2.0;
        }
        xs
    }

    /// The largest error in dB of `approx` against `exact` (both given the same `f32`).
    fn worst_db(xs: &[f32], approx: impl Fn(f32) -> f32, exact: impl Fn(f64) -> f64) -> f64 {
        xs.iter()
            .map(|&x| (f64::from(approx(x)) - exact(f64::from(x))).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn amplitude_to_db_matches_std_log10() {
        // The detectors' range, -200 to +200 dBFS: within 3e-5 dB (a few f32 ulps of 200).
        let xs = log_spaced(1e-10, 1e10, 100_000);
        let worst = worst_db(&xs, amplitude_to_db, |x| 20.0 * x.log10());
        assert!(worst < 3e-5, "worst error {worst} dB");
        // Around full scale (-40 to +20 dBFS), where thresholds sit: within 5e-6 dB (an f32
        // unit in the last place of 40 is 3.8e-6).
        let xs = log_spaced(1e-2, 1e1, 300_000);
        let worst = worst_db(&xs, amplitude_to_db, |x| 20.0 * x.log10());
        assert!(worst < 5e-6, "worst error {worst} dB near full scale");
    }

    #[test]
    fn power_to_db_matches_std_log10() {
        let xs = log_spaced(1e-20, 1e20, 50_000);
        let worst = worst_db(&xs, power_to_db, |p| 10.0 * p.log10());
        assert!(worst < 3e-5, "worst error {worst} dB");
    }

    #[test]
    fn db_to_amplitude_matches_std_powf() {
        // Relative error as dB, 20 log10(approx / exact): mostly the rounding of the
        // argument to an f32, so it grows with |dB|.
        let worst_within = |range: f64| {
            let mut worst: f64 = 0.0;
            for i in 0..=1_000_000 {
                let db = (range * (2.0 * f64::from(i) / 1_000_000.0 - 1.0)) as f32;
                let exact = 10f64.powf(f64::from(db) / 20.0);
                let got = f64::from(db_to_amplitude(db));
                worst = worst.max((20.0 * (got / exact).log10()).abs());
            }
            worst
        };
        let (near, all) = (worst_within(60.0), worst_within(750.0));
        assert!(near < 5e-6, "worst error {near} dB within 60 dB");
        assert!(all < 3e-5, "worst error {all} dB within 750 dB");
    }

    #[test]
    fn exact_points_and_out_of_range_inputs() {
        assert_eq!(db_to_amplitude(0.0), 1.0);
        assert_eq!(db_to_amplitude(-0.0), 1.0);
        assert_eq!(amplitude_to_db(1.0), 0.0);
        assert_eq!(log2(0.25), -2.0);
        assert_eq!(exp2(-3.0), 0.125);
        for x in [
            0.0,
            -1.0,
            f32::NAN,
            f32::INFINITY,
            f32::MIN_POSITIVE / 4.0,
            f32::MAX,
        ] {
            assert!(amplitude_to_db(x).is_finite(), "{x}");
        }
        for db in [f32::NAN, f32::INFINITY, -f32::INFINITY, 1e6, -1e6] {
            let g = db_to_amplitude(db);
            assert!(g.is_finite() && g > 0.0, "{db}: {g}");
        }
        // Clamped at the ends of the range, not wrapped.
        assert!(db_to_amplitude(1e6) > 1e37);
        assert!(db_to_amplitude(-1e6) < 1e-37);
    }

    #[test]
    fn no_steps_backwards_at_octave_boundaries() {
        // From one f32 to the next the logarithm never falls by more than rounding (a few
        // millionths of a dB at 200 dB), also where the mantissa wraps or the reduction
        // changes octave.
        for x in log_spaced(1e-10, 1e10, 10) {
            let (a, b, c) = (x.next_down(), x, x.next_up());
            let (da, db, dc) = (amplitude_to_db(a), amplitude_to_db(b), amplitude_to_db(c));
            assert!(db >= da - 3e-5 && dc >= db - 3e-5, "{x}: {da} {db} {dc}");
        }
        // The exponential rises across the points where its nearest integer changes.
        for n in -120..120 {
            let y = n as f32 * 0.5;
            assert!(exp2(y - 1e-5) < exp2(y + 1e-5), "{y}");
        }
    }
}
