//! Quantization of float samples to integers, with TPDF dither and optional noise shaping.
//!
//! - TPDF dither adds the sum of two independent uniform randoms of ±0.5 LSB (a triangular
//!   density over ±1 LSB) before rounding. The total error is then independent of the signal
//!   (no distortion, no noise modulation): white noise of variance 1/12 + 1/6 = 1/4 LSB²,
//!   0.5 LSB RMS.
//! - Shaped TPDF feeds the previous total error back (first-order error feedback), so the
//!   error spectrum is that white noise times |1 - e^-jω|²: 6 dB/octave lower at low
//!   frequencies, where hearing is most sensitive, and higher near Nyquist.
//!
//! The random numbers come from a SplitMix64 generator seeded per channel from a fixed seed,
//! so the same render gives the same file, bit for bit, on every machine and every run.
//! One 64-bit draw makes a sample's dither: its two 32-bit halves are the two independent
//! uniforms, and their difference is the triangular value (one draw and one conversion per
//! sample, where two draws and two conversions used to be).

/// The dither applied when reducing to an integer format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dither {
    /// Plain rounding: only for formats that need none (24-bit, float).
    #[default]
    None,
    /// Triangular (TPDF) dither of ±1 LSB.
    Tpdf,
    /// TPDF dither with first-order error-feedback noise shaping.
    TpdfShaped,
}

impl Dither {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dither::None => "none",
            Dither::Tpdf => "tpdf",
            Dither::TpdfShaped => "tpdf-shaped",
        }
    }
}

/// The seed every render starts from (channel `c` uses a seed derived from it and `c`).
pub const DEFAULT_SEED: u64 = 0x6d69_7867_7261_7068; // "mixgraph"

/// A small, fast, well-distributed generator (SplitMix64), fully determined by its seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Triangular noise over (-1, 1) from one draw: the difference of its two 32-bit halves,
    /// two independent uniforms over [0, 2^32), scaled by 2^-32. Mean 0, variance 1/6.
    #[inline]
    pub fn next_tpdf(&mut self) -> f64 {
        // Each half becomes an f64 by placing it in the mantissa of 2^52 and subtracting 2^52
        // (exact, and unlike an integer conversion it has a vector form).
        const TWO_52: u64 = 0x4330_0000_0000_0000;
        let r = self.next_u64();
        let a = f64::from_bits(TWO_52 | (r >> 32));
        let b = f64::from_bits(TWO_52 | (r & 0xffff_ffff));
        (a - b) * (1.0 / 4_294_967_296.0)
    }
}

#[derive(Debug, Clone)]
struct ChannelState {
    rng: SplitMix64,
    /// The last total error (output minus shaped target), in LSB.
    error: f64,
}

impl ChannelState {
    /// `v` (in LSB) with TPDF dither, rounded to a code within `[min, max]`.
    #[inline]
    fn tpdf(&mut self, v: f64, min: f64, max: f64) -> i32 {
        nearest(clip(v + self.rng.next_tpdf(), min, max)).0
    }

    /// `v` (in LSB) with TPDF dither and first-order error feedback, rounded to a code
    /// within `[min, max]`.
    #[inline]
    fn shaped(&mut self, v: f64, min: f64, max: f64) -> i32 {
        // The sample is held just outside the range, where it clips all the same; the error
        // fed back (output minus target) is the dither plus the rounding, within 1.5 LSB, so
        // the target stays near the range, also while clipping, and the feedback cannot run
        // away. Everything but the error is computed off the feedback path, which is then
        // five additions long.
        let dither = self.rng.next_tpdf();
        let dithered = clip(v, min - 2.0, max + 2.0) + dither;
        let w = dithered - self.error;
        let q = nearest(w).1;
        // The target is `w - dither`.
        self.error = q - w + dither;
        nearest(clip(q, min, max)).0
    }
}

/// Turns float samples (full scale ±1.0) into signed integers of `bits` bits, per channel.
#[derive(Debug, Clone)]
pub struct Quantizer {
    scale: f64,
    /// The lowest and highest codes.
    min: f64,
    max: f64,
    dither: Dither,
    seed: u64,
    channels: Vec<ChannelState>,
}

impl Quantizer {
    /// A quantizer to `bits` bits (2 to 32) for `channels` channels, seeded with `seed`.
    pub fn new(bits: u32, dither: Dither, channels: usize, seed: u64) -> Self {
        let bits = bits.clamp(2, 32);
        let scale = 2f64.powi(bits as i32 - 1);
        let mut q = Quantizer {
            scale,
            min: -scale,
            max: scale - 1.0,
            dither,
            seed,
            channels: Vec::new(),
        };
        q.channels = (0..channels).map(|c| q.channel_state(c)).collect();
        q
    }

    fn channel_state(&self, channel: usize) -> ChannelState {
        let mut mix =
            SplitMix64::new(self.seed ^ (channel as u64).wrapping_mul(0xd1b5_4a32_d192_ed03));
        ChannelState {
            rng: SplitMix64::new(mix.next_u64()),
            error: 0.0,
        }
    }

    /// The value of one LSB at full scale 1.0 (`2^-(bits-1)`).
    pub fn lsb(&self) -> f64 {
        1.0 / self.scale
    }

    /// Restarts every channel's generator and error feedback from the seed.
    pub fn reset(&mut self) {
        for c in 0..self.channels.len() {
            self.channels[c] = self.channel_state(c);
        }
    }

    /// Quantizes consecutive samples of one channel into `codes` (as many as both slices
    /// hold), exactly as [`Quantizer::quantize`] would one by one. Undithered quantization
    /// runs in a loop the compiler vectorizes.
    pub fn quantize_codes(&mut self, channel: usize, input: &[f32], codes: &mut [i32]) {
        let (scale, min, max) = (self.scale, self.min, self.max);
        let pairs = codes.iter_mut().zip(input);
        match (self.dither, self.channels.get_mut(channel)) {
            (Dither::None, _) | (_, None) => round_vectorized(input, codes, scale, min, max),
            (Dither::Tpdf, Some(state)) => {
                for (c, &x) in pairs {
                    *c = state.tpdf(scaled(x, scale), min, max);
                }
            }
            (Dither::TpdfShaped, Some(state)) => {
                for (c, &x) in pairs {
                    *c = state.shaped(scaled(x, scale), min, max);
                }
            }
        }
    }

    /// Quantizes one sample of one channel (a channel that does not exist is rounded
    /// without dither). Non-finite input becomes 0. The result is clipped to the range.
    /// Without dither, halves round away from zero; with dither, the rare sum landing
    /// exactly on a half rounds to even.
    #[inline]
    pub fn quantize(&mut self, channel: usize, x: f32) -> i32 {
        let (v, min, max) = (scaled(x, self.scale), self.min, self.max);
        match (self.dither, self.channels.get_mut(channel)) {
            (Dither::None, _) | (_, None) => round(v).clamp(min, max) as i32,
            (Dither::Tpdf, Some(state)) => state.tpdf(v, min, max),
            (Dither::TpdfShaped, Some(state)) => state.shaped(v, min, max),
        }
    }
}

/// A sample in LSB (`x * scale`), non-finite input as 0.
#[inline]
fn scaled(x: f32, scale: f64) -> f64 {
    if x.is_finite() {
        f64::from(x) * scale
    } else {
        0.0
    }
}

/// `v` held within `[min, max]`, with comparisons the compiler maps to single instructions.
#[inline]
fn clip(v: f64, min: f64, max: f64) -> f64 {
    let v = if v < min { min } else { v };
    if v > max { max } else { v }
}

/// The integer nearest to `v` (ties to even), for magnitudes below 2^31: as an `i32` and as
/// an `f64`, by adding [`ROUNDING_BIAS`]; no saturating conversion, no branch.
#[inline]
fn nearest(v: f64) -> (i32, f64) {
    let biased = v + ROUNDING_BIAS;
    (biased.to_bits() as i32, biased - ROUNDING_BIAS)
}

/// Rounds half away from zero, like [`f64::round`], for the range of any sample code, in
/// two instructions: `f64::round` is a library call on baseline x86_64, and quantization
/// runs once per sample written.
#[inline]
fn round(v: f64) -> f64 {
    // `as i64` truncates toward zero and saturates; codes never come near its limits.
    (v + 0.5f64.copysign(v)) as i64 as f64
}

/// 1.5 * 2^52: adding it to an f64 of magnitude below 2^51 rounds it to an integer (to even
/// on ties), held in the low bits of the sum's mantissa.
const ROUNDING_BIAS: f64 = 6_755_399_441_055_744.0;

/// 2^-26, added away from zero before rounding to the nearest integer so that ties (a
/// fraction of exactly one half) go away from zero. It moves nothing else across a half: an
/// f32 sample scaled by a power of two is a multiple of its own precision, so one that is not
/// a half-integer lies at least 2^-24 from every half-integer (the closest case being just
/// under ±0.5). And it is added exactly wherever ties exist (below 2^23 in magnitude, where
/// an f64 resolves 2^-29).
const TIE_BREAK: f64 = 1.0 / 67_108_864.0;

/// `round(x * scale).clamp(min, max)` (rounding half away from zero, non-finite input as 0)
/// for a power-of-two `scale` up to 2^31 and integer bounds within ±2^31, written with
/// operations the compiler turns into vector code: no library call and no saturating
/// float-to-integer conversion (which baseline x86_64 has no vector instruction for).
/// [`TIE_BREAK`] settles ties, then adding [`ROUNDING_BIAS`] rounds to the nearest integer
/// and leaves it in the low 32 bits of the sum. Exact, as the tests check against the
/// standard rounding.
fn round_vectorized(input: &[f32], codes: &mut [i32], scale: f64, min: f64, max: f64) {
    for (c, &x) in codes.iter_mut().zip(input) {
        let x = if x.is_finite() { x } else { 0.0 };
        let v = clip(f64::from(x) * scale, min, max);
        *c = nearest(v + TIE_BREAK.copysign(v)).0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn block_quantization_equals_sample_by_sample_for_every_mode() {
        let planar: Vec<Vec<f32>> = (0..3)
            .map(|c| {
                (0..500)
                    .map(|n| ((n * (c + 3)) as f32 * 0.013).sin() * 0.9)
                    .collect()
            })
            .collect();
        for bits in [8, 16, 24, 32] {
            for dither in [Dither::None, Dither::Tpdf, Dither::TpdfShaped] {
                let mut a = Quantizer::new(bits, dither, 3, 7);
                let mut b = Quantizer::new(bits, dither, 3, 7);
                for (ch, channel) in planar.iter().enumerate() {
                    let mut codes = vec![0; 500];
                    // In two uneven pieces: the state carries over.
                    a.quantize_codes(ch, &channel[..123], &mut codes[..123]);
                    a.quantize_codes(ch, &channel[123..], &mut codes[123..]);
                    let one_by_one: Vec<i32> = channel.iter().map(|&x| b.quantize(ch, x)).collect();
                    assert_eq!(codes, one_by_one, "{bits} bits {dither:?} ch {ch}");
                }
            }
        }
    }

    #[test]
    fn vectorized_rounding_is_exactly_the_standard_rounding() {
        // Reference: the sample scaled in f64, rounded half away from zero, clipped.
        let reference = |x: f32, bits: u32| {
            let scale = 2f64.powi(bits as i32 - 1);
            let v = if x.is_finite() {
                f64::from(x) * scale
            } else {
                0.0
            };
            v.round().clamp(-scale, scale - 1.0) as i32
        };
        let mut xs: Vec<f32> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            1.5,
            -7.0,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
            -1e-40,
        ];
        for bits in [8, 16, 24, 32] {
            let lsb = 2f32.powi(1 - bits);
            let range = 1i64 << (bits - 1).min(24);
            // Every code near zero, where the finest fractions are, and a sweep of the rest.
            let near_zero = -3000..3000;
            for k in near_zero.chain((-range - 3..range + 3).step_by(997)) {
                let code = k as f32 * lsb;
                // On the grid, halfway between codes, and the nearest floats around both.
                for v in [code, code + lsb / 2.0] {
                    xs.extend([
                        v,
                        f32::from_bits(v.to_bits() + 1),
                        f32::from_bits(v.to_bits().wrapping_sub(1)),
                    ]);
                }
            }
        }
        let mut r = SplitMix64::new(11);
        xs.extend((0..100_000).map(|_| f32::from_bits(r.next_u64() as u32)));
        xs.extend((0..100_000).map(|_| (r.next_f64() * 2.2 - 1.1) as f32));
        for bits in [8u32, 16, 24, 32] {
            let mut q = Quantizer::new(bits, Dither::None, 1, 0);
            let mut codes = vec![0; xs.len()];
            q.quantize_codes(0, &xs, &mut codes);
            for (x, c) in xs.iter().zip(&codes) {
                assert_eq!(
                    *c,
                    reference(*x, bits),
                    "{bits} bits, x = {x:e} ({:#x})",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn the_fast_roundings_match_the_standard_ones() {
        for i in -40_000..40_000 {
            let v = f64::from(i) * 0.25 + 0.001 * f64::from(i % 7);
            assert_eq!(round(v), v.round(), "{v}");
            assert_eq!(
                nearest(v),
                (v.round_ties_even() as i32, v.round_ties_even())
            );
        }
        assert_eq!(round(2.5), 3.0);
        assert_eq!(round(-2.5), -3.0);
        assert_eq!(round(8_388_607.49), 8_388_607.0);
        assert_eq!(nearest(-2_147_483_648.0).0, i32::MIN);
        assert_eq!(nearest(2_147_483_647.0).0, i32::MAX);
    }

    /// Errors (output minus input, in LSB) of a quantized signal.
    fn errors(q: &mut Quantizer, x: &[f32]) -> Vec<f64> {
        x.iter()
            .map(|&s| f64::from(q.quantize(0, s)) - f64::from(s) * q.scale)
            .collect()
    }

    fn sine(len: usize, amp: f64, freq: f64, rate: f64) -> Vec<f32> {
        (0..len)
            .map(|n| (amp * (2.0 * PI * freq * n as f64 / rate).sin()) as f32)
            .collect()
    }

    fn mean_square(x: &[f64]) -> f64 {
        x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64
    }

    /// The normalized autocorrelation of `x` at `lag`.
    fn autocorrelation(x: &[f64], lag: usize) -> f64 {
        let n = x.len() - lag;
        let c = x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum::<f64>() / n as f64;
        c / mean_square(x)
    }

    #[test]
    fn tpdf_noise_is_triangular_over_one_lsb_with_mean_0_and_white() {
        let mut rng = SplitMix64::new(1);
        let n = 400_000;
        let d: Vec<f64> = (0..n).map(|_| rng.next_tpdf()).collect();
        // Each value is the difference of the halves of one draw, over 2^32.
        let mut draws = SplitMix64::new(1);
        for &v in &d[..1000] {
            let r = draws.next_u64();
            let halves = (r >> 32) as i64 - (r & 0xffff_ffff) as i64;
            assert_eq!(v, halves as f64 / 4_294_967_296.0);
        }
        let mean = d.iter().sum::<f64>() / n as f64;
        // Standard error of the mean: sqrt(1/6 / n) = 0.00065.
        assert!(mean.abs() < 0.003, "mean {mean}");
        assert!((mean_square(&d) - 1.0 / 6.0).abs() < 0.002);
        assert!(d.iter().all(|v| v.abs() < 1.0));
        // Histogram over 20 bins of 0.1 LSB against the triangle's integral over each bin,
        // p(x) = 1 - |x|: a chi-square statistic with 19 degrees of freedom stays under 43.8
        // (its 0.1 % quantile) for a right density.
        let bins = 20;
        let mut counts = vec![0usize; bins];
        for v in &d {
            counts[(((v + 1.0) * 10.0) as usize).min(bins - 1)] += 1;
        }
        let cdf = |x: f64| {
            if x < 0.0 {
                (1.0 + x).powi(2) / 2.0
            } else {
                1.0 - (1.0 - x).powi(2) / 2.0
            }
        };
        let chi2: f64 = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let lo = -1.0 + i as f64 / 10.0;
                let expected = (cdf(lo + 0.1) - cdf(lo)) * n as f64;
                (c as f64 - expected).powi(2) / expected
            })
            .sum();
        assert!(chi2 < 43.8, "chi-square {chi2:.1} over {counts:?}");
        // White: no correlation between samples at any lag (standard error 1/sqrt(n) =
        // 0.0016), so its spectrum is flat.
        for lag in 1..=32 {
            let r = autocorrelation(&d, lag);
            assert!(r.abs() < 0.008, "autocorrelation {r:.4} at lag {lag}");
        }
    }

    #[test]
    fn the_channels_dither_is_independent() {
        let mut q = Quantizer::new(16, Dither::Tpdf, 2, DEFAULT_SEED);
        let n = 100_000;
        let silence = vec![0.0f32; n];
        let (mut left, mut right) = (vec![0; n], vec![0; n]);
        q.quantize_codes(0, &silence, &mut left);
        q.quantize_codes(1, &silence, &mut right);
        let (l, r): (Vec<f64>, Vec<f64>) = left
            .iter()
            .zip(&right)
            .map(|(&a, &b)| (f64::from(a), f64::from(b)))
            .unzip();
        let cross = l.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() / n as f64;
        let rho = cross / (mean_square(&l) * mean_square(&r)).sqrt();
        assert!(rho.abs() < 0.01, "left/right correlation {rho:.4}");
        // Silence with TPDF dither: codes -1, 0, 1 with probabilities 1/8, 3/4, 1/8.
        let ones = left.iter().filter(|&&c| c.abs() == 1).count() as f64 / n as f64;
        assert!((ones - 0.25).abs() < 0.006, "{ones}");
        assert!(left.iter().all(|c| c.abs() <= 1));
    }

    #[test]
    fn undithered_values_on_the_grid_come_back_exactly() {
        let mut q = Quantizer::new(24, Dither::None, 1, DEFAULT_SEED);
        for k in [-8_388_608i32, -1, 0, 1, 12_345, 8_388_607] {
            assert_eq!(q.quantize(0, k as f32 / 8_388_608.0), k);
        }
    }

    #[test]
    fn tpdf_error_is_white_noise_of_half_an_lsb_rms_independent_of_the_signal() {
        let mut q = Quantizer::new(16, Dither::Tpdf, 1, DEFAULT_SEED);
        let x = sine(96_000, 0.01, 1000.0, 48_000.0);
        let e = errors(&mut q, &x);
        // Rounding error (uniform, 1/12) plus TPDF dither (1/6): 1/4 LSB².
        let expected = (1.0f64 / 12.0 + 1.0 / 6.0).sqrt();
        let rms = mean_square(&e).sqrt();
        assert!(
            (rms - expected).abs() < 0.01,
            "error {rms:.4} LSB, theory {expected:.4}"
        );
        for lag in 1..=8 {
            let r = autocorrelation(&e, lag);
            assert!(r.abs() < 0.015, "error autocorrelation {r:.4} at lag {lag}");
        }
        // No noise modulation: the error power is the same near the peaks and near zero.
        let amp = 0.01 * 32768.0;
        let near = |pred: &dyn Fn(f64) -> bool| {
            let sel: Vec<f64> = x
                .iter()
                .zip(&e)
                .filter(|(s, _)| pred(f64::from(**s) * 32768.0))
                .map(|(_, e)| *e)
                .collect();
            mean_square(&sel)
        };
        let peaks = near(&|v| v.abs() > 0.8 * amp);
        let zeros = near(&|v| v.abs() < 0.2 * amp);
        assert!(
            (peaks / zeros - 1.0).abs() < 0.05,
            "error power near peaks {peaks:.4}, near zero {zeros:.4}"
        );
    }

    #[test]
    fn shaped_error_is_first_order_highpass_noise() {
        // The output error is s[n] = e[n] - e[n-1] with e white of variance 1/4 LSB²: its
        // power is 1/2 LSB² and its lag-1 autocorrelation -1/4, i.e. -1/2 of the power. Those
        // two moments pin down the spectrum (2 - 2cos w) / 4: a first-order highpass.
        let mut q = Quantizer::new(16, Dither::TpdfShaped, 1, DEFAULT_SEED);
        let x = sine(96_000, 0.01, 1000.0, 48_000.0);
        let s = errors(&mut q, &x);
        let power = mean_square(&s);
        assert!(
            (power - 0.5).abs() < 0.02,
            "shaped error power {power:.4} LSB², theory 0.5"
        );
        let lag1 = s.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / (s.len() - 1) as f64;
        assert!(
            (lag1 / power + 0.5).abs() < 0.02,
            "normalized lag-1 autocorrelation {:.4}, theory -0.5",
            lag1 / power
        );
    }

    #[test]
    fn clipping_stays_in_range_and_feedback_stays_bounded() {
        let mut q = Quantizer::new(16, Dither::TpdfShaped, 2, DEFAULT_SEED);
        for n in 0..10_000 {
            let x = if n % 2 == 0 { 1.5 } else { -1.5 };
            let v = q.quantize(n % 2, x);
            assert!((-32768..=32767).contains(&v));
        }
        // After long clipping, a quiet signal is quantized with at most 1.5 + 1.5 LSB error.
        for n in 0..1000 {
            let x = 0.001 * (n as f32 * 0.1).sin();
            let v = q.quantize(0, x);
            assert!((f64::from(v) - f64::from(x) * 32768.0).abs() <= 3.0);
        }
        assert!(
            q.quantize(0, f32::NAN).abs() <= 2,
            "NaN is quantized as silence"
        );
        // Even the largest float clips without upsetting the feedback.
        for x in [f32::MAX, f32::MIN, 1e30, -1e30] {
            assert_eq!(q.quantize(1, x), if x > 0.0 { 32767 } else { -32768 });
        }
        for n in 0..100 {
            let x = 0.001 * (n as f32 * 0.1).sin();
            let v = q.quantize(1, x);
            assert!((f64::from(v) - f64::from(x) * 32768.0).abs() <= 3.0);
        }
    }

    #[test]
    fn same_seed_same_noise_and_reset_restarts_it() {
        let x = sine(1000, 0.001, 440.0, 48_000.0);
        let mut a = Quantizer::new(16, Dither::Tpdf, 1, 7);
        let mut b = Quantizer::new(16, Dither::Tpdf, 1, 7);
        let ea: Vec<i32> = x.iter().map(|s| a.quantize(0, *s)).collect();
        let eb: Vec<i32> = x.iter().map(|s| b.quantize(0, *s)).collect();
        assert_eq!(ea, eb);
        a.reset();
        let again: Vec<i32> = x.iter().map(|s| a.quantize(0, *s)).collect();
        assert_eq!(ea, again);
        let mut c = Quantizer::new(16, Dither::Tpdf, 2, 7);
        let left: Vec<i32> = x.iter().map(|s| c.quantize(0, *s)).collect();
        let right: Vec<i32> = x.iter().map(|s| c.quantize(1, *s)).collect();
        assert_ne!(left, right, "channels get independent dither");
    }
}
