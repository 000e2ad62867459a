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
//! so the same render gives the same file, bit for bit, on every machine and every version.

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
}

#[derive(Debug, Clone)]
struct ChannelState {
    rng: SplitMix64,
    /// The last total error (output minus shaped target), in LSB.
    error: f64,
}

/// Turns float samples (full scale ±1.0) into signed integers of `bits` bits, per channel.
#[derive(Debug, Clone)]
pub struct Quantizer {
    scale: f64,
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

    /// Quantizes a whole block of planar audio into interleaved little-endian codes of
    /// `width` bytes each (2 or 3), `bytes` sized to `frames * channels * width`. Input must
    /// be finite (the writer replaces non-finite samples before this). The dither mode is
    /// chosen once per block, so the undithered path is a multiply, a rounding and a clamp.
    pub fn quantize_block(
        &mut self,
        planar: &[Vec<f32>],
        frames: usize,
        width: usize,
        bytes: &mut [u8],
    ) {
        match width {
            2 => self.quantize_block_as::<2>(planar, frames, bytes),
            3 => self.quantize_block_as::<3>(planar, frames, bytes),
            _ => self.quantize_block_as::<4>(planar, frames, bytes),
        }
    }

    /// [`Quantizer::quantize_block`] for `W`-byte codes: a constant width lets each code be
    /// stored with plain moves instead of a copy call per sample.
    fn quantize_block_as<const W: usize>(
        &mut self,
        planar: &[Vec<f32>],
        frames: usize,
        bytes: &mut [u8],
    ) {
        let frame_bytes = planar.len() * W;
        if frame_bytes == 0 {
            return;
        }
        let undithered = self.dither == Dither::None;
        let (scale, min, max) = (self.scale, self.min, self.max);
        for (ch, channel) in planar.iter().enumerate() {
            let out = bytes
                .chunks_exact_mut(frame_bytes)
                .map(|frame| &mut frame[ch * W..(ch + 1) * W]);
            for (dst, &x) in out.zip(&channel[..frames]) {
                let code = if undithered {
                    round(f64::from(x) * scale).clamp(min, max) as i32
                } else {
                    self.quantize(ch, x)
                };
                let le = code.to_le_bytes();
                let mut word = [0u8; W];
                word.copy_from_slice(&le[..W]);
                dst.copy_from_slice(&word);
            }
        }
    }

    /// Quantizes one sample of one channel (a channel that does not exist is rounded
    /// without dither). Non-finite input becomes 0. The result is clipped to the range.
    #[inline]
    pub fn quantize(&mut self, channel: usize, x: f32) -> i32 {
        let v = if x.is_finite() {
            f64::from(x) * self.scale
        } else {
            0.0
        };
        let q = match (self.dither, self.channels.get_mut(channel)) {
            (Dither::None, _) | (_, None) => round(v),
            (Dither::Tpdf, Some(state)) => round(v + tpdf(&mut state.rng)),
            (Dither::TpdfShaped, Some(state)) => {
                let target = v - state.error;
                let q = round(target + tpdf(&mut state.rng));
                // Bounded by 1.5 LSB (dither plus rounding), so clipping below cannot make
                // the feedback run away.
                state.error = q - target;
                q
            }
        };
        q.clamp(self.min, self.max) as i32
    }
}

/// Rounds half away from zero, like [`f64::round`], for the range of any sample code, in
/// two instructions: `f64::round` is a library call on baseline x86_64, and quantization
/// runs once per sample written.
#[inline]
fn round(v: f64) -> f64 {
    // `as i64` truncates toward zero and saturates; codes never come near its limits.
    (v + 0.5f64.copysign(v)) as i64 as f64
}

/// Triangular noise over (-1, 1) LSB: the sum of two uniform randoms over ±0.5.
#[inline]
fn tpdf(rng: &mut SplitMix64) -> f64 {
    rng.next_f64() + rng.next_f64() - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_quantization_equals_sample_by_sample_for_every_mode() {
        let planar: Vec<Vec<f32>> = (0..3)
            .map(|c| {
                (0..500)
                    .map(|n| ((n * (c + 3)) as f32 * 0.013).sin() * 0.9)
                    .collect()
            })
            .collect();
        for (bits, width) in [(16, 2), (24, 3)] {
            for dither in [Dither::None, Dither::Tpdf, Dither::TpdfShaped] {
                let mut a = Quantizer::new(bits, dither, 3, 7);
                let mut b = Quantizer::new(bits, dither, 3, 7);
                let mut bytes = vec![0u8; 500 * 3 * width];
                a.quantize_block(&planar, 500, width, &mut bytes);
                for f in 0..500 {
                    for (ch, channel) in planar.iter().enumerate() {
                        let at = (f * 3 + ch) * width;
                        let mut raw = [0u8; 4];
                        raw[..width].copy_from_slice(&bytes[at..at + width]);
                        // Sign-extend the little-endian code.
                        let code = i32::from_le_bytes(raw) << (32 - 8 * width) >> (32 - 8 * width);
                        assert_eq!(
                            code,
                            b.quantize(ch, channel[f]),
                            "{bits} bits {dither:?} frame {f} ch {ch}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fast_round_matches_the_standard_rounding() {
        for i in -40_000..40_000 {
            let v = f64::from(i) * 0.25 + 0.001 * f64::from(i % 7);
            assert_eq!(round(v), v.round(), "{v}");
        }
        assert_eq!(round(2.5), 3.0);
        assert_eq!(round(-2.5), -3.0);
        assert_eq!(round(8_388_607.49), 8_388_607.0);
    }
    use std::f64::consts::PI;

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

    #[test]
    fn tpdf_noise_has_a_triangular_density_of_variance_one_sixth() {
        let mut rng = SplitMix64::new(1);
        let d: Vec<f64> = (0..200_000).map(|_| tpdf(&mut rng)).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        assert!(mean.abs() < 0.005);
        assert!((mean_square(&d) - 1.0 / 6.0).abs() < 0.003);
        assert!(d.iter().all(|v| v.abs() < 1.0));
        // Triangular: P(|d| < 0.5) = 1 - 0.5^2 = 0.75.
        let inner = d.iter().filter(|v| v.abs() < 0.5).count() as f64 / d.len() as f64;
        assert!((inner - 0.75).abs() < 0.005, "{inner}");
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
