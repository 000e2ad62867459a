//! Decibel conversions for gain paths that run one per sample: `20 log10` and `10^(x/20)`
//! from a polynomial `log2` and `exp2`, within 1e-7 dB of the exact values, with no libm
//! call and no branch, so a loop over a block of them vectorizes.
//!
//! `log2(x)`: `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))`, and `ln m = 2 atanh(s)` with
//! `s = (m - 1) / (m + 1)`, `|s| <= 0.172`, summed to `s^9` (truncation below 1e-9).
//! `exp2(y)`: `y = n + r` with `n` the nearest integer and `|r| <= 1/2`; `2^r` by its Taylor
//! series to degree 9 (truncation below 2e-11, relative), `2^n` written into the exponent.

use std::f64::consts::{LN_2, LOG2_10};

/// dB per octave of amplitude: `20 log10(2)`.
const DB_PER_OCTAVE: f64 = 20.0 / LOG2_10;

/// Octaves per dB of amplitude: `log2(10) / 20`.
const OCTAVES_PER_DB: f64 = LOG2_10 / 20.0;

/// The smallest and largest arguments [`amplitude_to_db`] distinguishes (about ±6000 dB);
/// beyond them the result is clamped, so any input gives a finite result.
const LOG_DOMAIN: (f64, f64) = (1e-300, 1e300);

/// The largest `|log2|` of a gain [`db_to_amplitude`] produces: results stay normal numbers.
const EXP2_LIMIT: f64 = 1020.0;

/// Adding then subtracting `1.5 * 2^52` rounds a number below `2^51` in magnitude to the
/// nearest integer, whose value then sits in the low bits of the sum.
const ROUNDING_MAGIC: f64 = 6_755_399_441_055_744.0;

/// `f64` bits of `1.0` (a biased exponent of 1023, mantissa 0).
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;

/// Bits of the mantissa field.
const MANTISSA_MASK: u64 = (1 << 52) - 1;

/// `2^52` as bits and as a value: OR-ing a small integer into its mantissa and subtracting
/// `2^52` converts the integer to `f64` exactly.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// The binary logarithm of `x`, for `x` in `[1e-300, 1e300]` (clamped to that range; NaN
/// reads as the lower end). Absolute error below 2e-9.
#[inline(always)]
pub fn log2(x: f64) -> f64 {
    let x = clamp(x, LOG_DOMAIN.0, LOG_DOMAIN.1);
    let bits = x.to_bits();
    // Biased exponent as a float, and the mantissa scaled into [1, 2).
    let biased = f64::from_bits((bits >> 52) | TWO_52.to_bits()) - TWO_52;
    let m = f64::from_bits((bits & MANTISSA_MASK) | ONE_BITS);
    // Move [sqrt 2, 2) down an octave so |s| stays small.
    let high = m >= std::f64::consts::SQRT_2;
    let m = if high { m * 0.5 } else { m };
    let e = biased - 1023.0 + if high { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // 2 atanh(s) / ln 2 = (2 / ln 2) (s + s^3/3 + s^5/5 + s^7/7 + s^9/9).
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    e + s * series * (2.0 / LN_2)
}

/// `2^y`, for `y` in `[-1020, 1020]` (clamped to that range; NaN reads as the lower end).
/// Relative error below 1e-10; `exp2(0) == 1` exactly.
#[inline(always)]
pub fn exp2(y: f64) -> f64 {
    let y = clamp(y, -EXP2_LIMIT, EXP2_LIMIT);
    let shifted = y + ROUNDING_MAGIC;
    let n = shifted - ROUNDING_MAGIC;
    let r = (y - n) * LN_2;
    // e^r, |r| <= ln 2 / 2, Taylor to degree 9 in Horner form.
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0
                            + r * (1.0 / 720.0
                                + r * (1.0 / 5040.0
                                    + r * (1.0 / 40_320.0 + r * (1.0 / 362_880.0)))))))));
    // The integer n sits in the low bits of `shifted`; put n + 1023 into the exponent.
    let n_bits = shifted.to_bits().wrapping_sub(ROUNDING_MAGIC.to_bits());
    let scale = f64::from_bits(n_bits.wrapping_add(1023) << 52);
    p * scale
}

/// `20 log10(x)`: an amplitude in dB (see [`log2`] for the range). Error below 1e-7 dB.
#[inline(always)]
pub fn amplitude_to_db(x: f64) -> f64 {
    DB_PER_OCTAVE * log2(x)
}

/// `10 log10(p)`: a power (a mean square) in dB. Error below 1e-7 dB.
#[inline(always)]
pub fn power_to_db(p: f64) -> f64 {
    0.5 * DB_PER_OCTAVE * log2(p)
}

/// `10^(db / 20)`: the amplitude factor of a gain in dB, for `|db|` up to about 6000
/// (clamped beyond). Relative error below 1e-10 (1e-9 dB); 0 dB gives exactly 1.
#[inline(always)]
pub fn db_to_amplitude(db: f64) -> f64 {
    exp2(db * OCTAVES_PER_DB)
}

/// `x` limited to `[lo, hi]`, NaN giving `lo`; compiles to two min/max instructions.
#[inline(always)]
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    let x = if x > lo { x } else { lo };
    if x < hi { x } else { hi }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logarithmically spaced points from `lo` to `hi`, `per_decade` per decade, plus every
    /// power of two in range (where the mantissa wraps).
    fn log_spaced(lo: f64, hi: f64, per_decade: usize) -> Vec<f64> {
        let decades = (hi / lo).log10();
        let n = (decades * per_decade as f64) as usize;
        let mut xs: Vec<f64> = (0..=n)
            .map(|i| lo * 10f64.powf(decades * i as f64 / n as f64))
            .collect();
        let mut p = 2f64.powi(lo.log2().floor() as i32);
        while p <= hi {
            xs.extend([p, p * (1.0 - f64::EPSILON), p * (1.0 + f64::EPSILON)]);
            xs.push(p * std::f64::consts::SQRT_2);
            p *= 2.0;
        }
        xs
    }

    #[test]
    fn amplitude_to_db_matches_std_log10_within_1e_7_db() {
        // From the detectors' floor (-200 dBFS) to far above full scale.
        let mut worst: f64 = 0.0;
        for x in log_spaced(1e-10, 1e10, 100_000) {
            let err = (amplitude_to_db(x) - 20.0 * x.log10()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 1e-7, "worst error {worst} dB");
    }

    #[test]
    fn power_to_db_matches_std_log10_within_1e_7_db() {
        let mut worst: f64 = 0.0;
        for p in log_spaced(1e-20, 1e20, 50_000) {
            worst = worst.max((power_to_db(p) - 10.0 * p.log10()).abs());
        }
        assert!(worst < 1e-7, "worst error {worst} dB");
    }

    #[test]
    fn db_to_amplitude_matches_std_powf_within_1e_9_db() {
        let mut worst: f64 = 0.0;
        for i in 0..=2_000_000 {
            let db = -600.0 + 1200.0 * f64::from(i) / 2_000_000.0;
            let exact = 10f64.powf(db / 20.0);
            worst = worst.max((db_to_amplitude(db) / exact - 1.0).abs());
        }
        // 1e-9 dB is a relative error of 1.15e-10.
        assert!(worst < 1.15e-10, "worst relative error {worst}");
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
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE / 4.0,
            f64::MAX,
        ] {
            assert!(amplitude_to_db(x).is_finite(), "{x}");
        }
        for db in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e6, -1e6] {
            let g = db_to_amplitude(db);
            assert!(g.is_finite() && g > 0.0, "{db}: {g}");
        }
        // Clamped at the ends of the range, not wrapped.
        assert!(db_to_amplitude(1e6) > 1e300);
        assert!(db_to_amplitude(-1e6) < 1e-300);
    }

    #[test]
    fn both_are_monotonic_across_octave_boundaries() {
        // Where the mantissa wraps and where the atanh argument changes sides.
        for x in log_spaced(1e-10, 1e10, 10) {
            let below = x * (1.0 - 4.0 * f64::EPSILON);
            let above = x * (1.0 + 4.0 * f64::EPSILON);
            assert!(amplitude_to_db(below) <= amplitude_to_db(above), "{x}");
        }
        // Where the nearest integer changes (at half-integers the truncation errors of the
        // two sides differ by ~1e-11, relative): monotonic at steps of 1e-9, a billionth
        // of a dB.
        for n in -60..60 {
            let y = f64::from(n) * 0.5;
            assert!(exp2(y - 1e-9) < exp2(y + 1e-9), "{y}");
        }
    }
}
