//! Second-order IIR sections: RBJ Audio EQ Cookbook coefficients, their analytic
//! frequency response, direct form I filter memories in `f64` for one channel or several
//! filtered together over blocks, and a transposed direct form II section for per-sample
//! use.

use std::f64::consts::PI;

/// The response shape of a biquad, as named in the RBJ Audio EQ Cookbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterShape {
    /// Second-order low-pass; `q` sets the resonance (0.7071 is Butterworth).
    LowPass,
    /// Second-order high-pass; `q` sets the resonance (0.7071 is Butterworth).
    HighPass,
    /// Band-pass with 0 dB peak gain at the centre frequency; `q` sets the width.
    BandPass,
    /// Band-reject (notch) at the centre frequency; `q` sets the width.
    Notch,
    /// Peaking (bell) EQ: `gain_db` at the centre frequency, 0 dB far from it.
    Peak,
    /// Low shelf: `gain_db` below the corner, 0 dB above; `q` 0.7071 is the steepest
    /// shelf without overshoot (shelf slope S = 1).
    LowShelf,
    /// High shelf: `gain_db` above the corner, 0 dB below.
    HighShelf,
    /// All-pass: unity magnitude, 360 degrees of phase turn centred on the frequency.
    AllPass,
}

impl FilterShape {
    /// Every shape, in declaration order.
    pub const ALL: [FilterShape; 8] = [
        FilterShape::LowPass,
        FilterShape::HighPass,
        FilterShape::BandPass,
        FilterShape::Notch,
        FilterShape::Peak,
        FilterShape::LowShelf,
        FilterShape::HighShelf,
        FilterShape::AllPass,
    ];

    /// Whether `gain_db` changes the response of this shape.
    pub fn uses_gain(self) -> bool {
        matches!(
            self,
            FilterShape::Peak | FilterShape::LowShelf | FilterShape::HighShelf
        )
    }
}

/// Lowest frequency a coefficient set is designed at, in Hz.
pub const MIN_FREQ_HZ: f64 = 1e-3;
/// Highest design frequency as a fraction of the sample rate (just under Nyquist).
pub const MAX_FREQ_RATIO: f64 = 0.49;
/// Smallest quality factor a coefficient set is designed with.
pub const MIN_Q: f64 = 1e-3;
/// Largest quality factor a coefficient set is designed with.
pub const MAX_Q: f64 = 1e3;
/// Largest boost or cut, in dB, a coefficient set is designed with.
pub const MAX_GAIN_DB: f64 = 120.0;

/// Normalized biquad coefficients (`a0 = 1`):
/// `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f64,
    /// Feed-forward coefficient of `x[n-1]`.
    pub b1: f64,
    /// Feed-forward coefficient of `x[n-2]`.
    pub b2: f64,
    /// Feedback coefficient of `y[n-1]` (sign as in the denominator above).
    pub a1: f64,
    /// Feedback coefficient of `y[n-2]` (sign as in the denominator above).
    pub a2: f64,
}

impl Default for Coefficients {
    fn default() -> Self {
        Self::identity()
    }
}

impl Coefficients {
    /// The pass-through section: `H(z) = 1`.
    pub fn identity() -> Coefficients {
        Coefficients {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
        }
    }

    /// Coefficients from the RBJ Audio EQ Cookbook (bilinear transform prewarped at `freq`).
    ///
    /// `freq` is clamped to `[MIN_FREQ_HZ, 0.49 * sample_rate]`, `q` to `[MIN_Q, MAX_Q]` and
    /// `gain_db` to `±MAX_GAIN_DB`, so the result is always finite and stable. A non-positive
    /// or non-finite sample rate, or a NaN parameter, gives [`Coefficients::identity`].
    pub fn rbj(
        shape: FilterShape,
        sample_rate: f64,
        freq: f64,
        q: f64,
        gain_db: f64,
    ) -> Coefficients {
        if !(sample_rate.is_finite() && sample_rate > 0.0)
            || freq.is_nan()
            || q.is_nan()
            || gain_db.is_nan()
        {
            return Coefficients::identity();
        }
        let freq = freq.clamp(
            MIN_FREQ_HZ.min(sample_rate * MAX_FREQ_RATIO),
            sample_rate * MAX_FREQ_RATIO,
        );
        let q = q.clamp(MIN_Q, MAX_Q);
        let gain_db = gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB);

        let w0 = 2.0 * PI * freq / sample_rate;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a = 10f64.powf(gain_db / 40.0);
        let two_sqrt_a_alpha = 2.0 * a.sqrt() * alpha;

        // (b0, b1, b2, a0, a1, a2) before normalization, exactly as in the cookbook.
        let (b0, b1, b2, a0, a1, a2) = match shape {
            FilterShape::LowPass => {
                let b = (1.0 - cos) / 2.0;
                (b, 1.0 - cos, b, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterShape::HighPass => {
                let b = (1.0 + cos) / 2.0;
                (b, -(1.0 + cos), b, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterShape::BandPass => (alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos, 1.0 - alpha),
            FilterShape::Notch => (1.0, -2.0 * cos, 1.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha),
            FilterShape::AllPass => (
                1.0 - alpha,
                -2.0 * cos,
                1.0 + alpha,
                1.0 + alpha,
                -2.0 * cos,
                1.0 - alpha,
            ),
            FilterShape::Peak => (
                1.0 + alpha * a,
                -2.0 * cos,
                1.0 - alpha * a,
                1.0 + alpha / a,
                -2.0 * cos,
                1.0 - alpha / a,
            ),
            FilterShape::LowShelf => (
                a * ((a + 1.0) - (a - 1.0) * cos + two_sqrt_a_alpha),
                2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                a * ((a + 1.0) - (a - 1.0) * cos - two_sqrt_a_alpha),
                (a + 1.0) + (a - 1.0) * cos + two_sqrt_a_alpha,
                -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                (a + 1.0) + (a - 1.0) * cos - two_sqrt_a_alpha,
            ),
            FilterShape::HighShelf => (
                a * ((a + 1.0) + (a - 1.0) * cos + two_sqrt_a_alpha),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                a * ((a + 1.0) + (a - 1.0) * cos - two_sqrt_a_alpha),
                (a + 1.0) - (a - 1.0) * cos + two_sqrt_a_alpha,
                2.0 * ((a - 1.0) - (a + 1.0) * cos),
                (a + 1.0) - (a - 1.0) * cos - two_sqrt_a_alpha,
            ),
        };
        let c = Coefficients {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        };
        if c.is_finite() {
            c
        } else {
            Coefficients::identity()
        }
    }

    /// Whether every coefficient is finite.
    pub fn is_finite(&self) -> bool {
        [self.b0, self.b1, self.b2, self.a1, self.a2]
            .iter()
            .all(|v| v.is_finite())
    }

    /// The complex response `H(e^jw)` at `freq` Hz, as `(real, imaginary)`.
    pub fn response(&self, freq: f64, sample_rate: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / sample_rate;
        // z^-1 = e^-jw, z^-2 = e^-2jw.
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        let num = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            -(self.b1 * s1 + self.b2 * s2),
        );
        let den = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            -(self.a1 * s1 + self.a2 * s2),
        );
        let den_norm = den.0 * den.0 + den.1 * den.1;
        (
            (num.0 * den.0 + num.1 * den.1) / den_norm,
            (num.1 * den.0 - num.0 * den.1) / den_norm,
        )
    }

    /// The magnitude `|H(e^jw)|` at `freq` Hz, evaluated analytically.
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let (re, im) = self.response(freq, sample_rate);
        re.hypot(im)
    }

    /// The largest magnitude of the poles of `H(z)` (below 1 for a stable section).
    pub fn pole_radius(&self) -> f64 {
        // Roots of z^2 + a1 z + a2.
        let disc = self.a1 * self.a1 - 4.0 * self.a2;
        if disc < 0.0 {
            self.a2.max(0.0).sqrt()
        } else {
            let root = disc.sqrt();
            ((-self.a1 + root) / 2.0)
                .abs()
                .max(((-self.a1 - root) / 2.0).abs())
        }
    }

    /// Frames for the impulse response of this section to decay by `decay_db` dB, estimated
    /// from the pole radius; 0 for a section without feedback, infinite for an unstable one.
    pub fn decay_frames(&self, decay_db: f64) -> f64 {
        let r = self.pole_radius();
        if r <= f64::EPSILON {
            0.0
        } else if r >= 1.0 {
            f64::INFINITY
        } else {
            (decay_db.abs() / 20.0 * std::f64::consts::LN_10) / -r.ln()
        }
    }

    /// The magnitude at `freq` Hz in decibels.
    pub fn magnitude_db(&self, freq: f64, sample_rate: f64) -> f64 {
        20.0 * self.magnitude(freq, sample_rate).log10()
    }
}

/// The quality factor of stage `stage` (0-based) of an even-order Butterworth filter of
/// order `order`, realized as `order / 2` cascaded second-order sections.
///
/// The poles of a Butterworth filter sit at angles `(2k + 1) pi / (2 order)` from the
/// negative real axis; a pole pair at angle `theta` has `Q = 1 / (2 cos theta)`.
/// Order 2 gives 0.7071; order 4 gives 0.5412 and 1.3066.
pub fn butterworth_q(order: usize, stage: usize) -> f64 {
    let order = order.max(2) as f64;
    let theta = (2.0 * stage as f64 + 1.0) * PI / (2.0 * order);
    1.0 / (2.0 * theta.cos())
}

/// Below this magnitude [`Biquad::process`] flushes its state to zero (denormal guard).
const DENORMAL_FLOOR: f64 = 1e-30;

/// Below this magnitude [`BiquadLanes::flush_tiny`] zeroes a remembered value. It lies so far
/// under the smallest 32-bit float (1.4e-45), even after the largest boost a section can be
/// designed with (120 dB), that flushing it changes no output sample: a block runner may
/// flush at block boundaries and still give the same output at every block size.
const TINY: f64 = 1e-80;

/// The memory of one biquad section for `N` channels filtered together (lane `k` is one
/// channel), in direct form I: the last two inputs and the last two outputs.
///
/// Direct form I keeps the signal itself, not coefficient-dependent intermediate sums, so a
/// coefficient change mid-stream continues from the true history (no jump), a section can be
/// started from a known signal history ([`BiquadLanes::prime`]), and its recursion
/// `y[n] = f[n] - a2 y[n-2] - a1 y[n-1]` (the feed-forward part `f` computed aside) has one
/// multiply and one subtraction on its critical path. With `N = 2` the arithmetic runs on
/// both channels in one vector register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadLanes<const N: usize> {
    x1: [f64; N],
    x2: [f64; N],
    y1: [f64; N],
    y2: [f64; N],
}

impl<const N: usize> Default for BiquadLanes<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> BiquadLanes<N> {
    /// A section with zero memory.
    pub const fn new() -> Self {
        BiquadLanes {
            x1: [0.0; N],
            x2: [0.0; N],
            y1: [0.0; N],
            y2: [0.0; N],
        }
    }

    /// Filters one frame (one sample per lane) through coefficients `c`.
    #[inline(always)]
    pub fn step(&mut self, c: &Coefficients, x: [f64; N]) -> [f64; N] {
        let y: [f64; N] = std::array::from_fn(|k| {
            c.b0 * x[k] + c.b1 * self.x1[k] + c.b2 * self.x2[k]
                - c.a2 * self.y2[k]
                - c.a1 * self.y1[k]
        });
        self.x2 = self.x1;
        self.x1 = x;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }

    /// Sets the memory as if the section had read `input` and written `output`, each given
    /// as `[previous sample, the one before]`.
    pub fn prime(&mut self, input: [[f64; N]; 2], output: [[f64; N]; 2]) {
        [self.x1, self.x2] = input;
        [self.y1, self.y2] = output;
    }

    /// The last two outputs, `[previous sample, the one before]`.
    pub fn output_history(&self) -> [[f64; N]; 2] {
        [self.y1, self.y2]
    }

    /// Clears the memory of lane `lane` (the others keep theirs).
    pub fn reset_lane(&mut self, lane: usize) {
        for v in [&mut self.x1, &mut self.x2, &mut self.y1, &mut self.y2] {
            if let Some(v) = v.get_mut(lane) {
                *v = 0.0;
            }
        }
    }

    /// Clears the memory (silence in, silence out).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Zeroes remembered values too small to matter (see `TINY`), so a decaying section
    /// never reaches subnormal numbers.
    pub fn flush_tiny(&mut self) {
        for v in [&mut self.x1, &mut self.x2, &mut self.y1, &mut self.y2] {
            for x in v.iter_mut() {
                if x.abs() < TINY {
                    *x = 0.0;
                }
            }
        }
    }
}

/// Runs `S` sections in series over `frames` frames of `N` lanes: frame `i` is read with
/// `read(i)`, passes through `coefficients[0]` with `states[0]`, then the next section, and
/// the result goes to `write(i, y)`. The memories are copied into locals for the run, so
/// they stay in registers; the output is exactly that of calling [`BiquadLanes::step`]
/// frame by frame.
#[inline(always)]
pub fn run_series<const N: usize, const S: usize>(
    coefficients: &[Coefficients; S],
    states: &mut [BiquadLanes<N>; S],
    frames: usize,
    read: impl Fn(usize) -> [f64; N],
    mut write: impl FnMut(usize, [f64; N]),
) {
    let c = *coefficients;
    let mut s = *states;
    for i in 0..frames {
        let mut v = read(i);
        for (state, coefficients) in s.iter_mut().zip(&c) {
            v = state.step(coefficients, v);
        }
        write(i, v);
    }
    *states = s;
}

/// One biquad section filtering one channel sample by sample, in transposed direct form II,
/// with a denormal guard on every sample.
///
/// This is the form for a section called once per sample inside a larger per-sample loop,
/// where its state lives in memory between calls: its two state values are written and read
/// back one by one, which the processor forwards from store to load without delay. Direct
/// form I ([`BiquadLanes`]) suits whole blocks with the memories in registers; in such a
/// loop its history pairs, written one value at a time and read back as a vector, stall the
/// store-to-load forwarding (a delay line with this section ran at half speed in DF1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Biquad {
    s1: f64,
    s2: f64,
}

impl Biquad {
    /// A section with zero state.
    pub fn new() -> Biquad {
        Biquad::default()
    }

    /// Filters one sample through coefficients `c`, updating the state.
    #[inline]
    pub fn process(&mut self, c: &Coefficients, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        if self.s1.abs() < DENORMAL_FLOOR {
            self.s1 = 0.0;
        }
        if self.s2.abs() < DENORMAL_FLOOR {
            self.s2 = 0.0;
        }
        y
    }

    /// Clears the state (silence in, silence out).
    pub fn reset(&mut self) {
        *self = Biquad::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_1_SQRT_2;

    /// The analog prototype of each cookbook shape, `H(s)` evaluated at `s = j omega`
    /// (normalized so the design frequency is `omega = 1`). Written from the cookbook's
    /// analog transfer functions, independently of the digital coefficient formulas.
    fn analog(shape: FilterShape, omega: f64, q: f64, gain_db: f64) -> f64 {
        let a = 10f64.powf(gain_db / 40.0);
        // Polynomial n2 s^2 + n1 s + n0 at s = j omega: (n0 - n2 omega^2) + j n1 omega.
        let poly = |n2: f64, n1: f64, n0: f64| (n0 - n2 * omega * omega).hypot(n1 * omega);
        let (num, den) = match shape {
            FilterShape::LowPass => (poly(0.0, 0.0, 1.0), poly(1.0, 1.0 / q, 1.0)),
            FilterShape::HighPass => (poly(1.0, 0.0, 0.0), poly(1.0, 1.0 / q, 1.0)),
            FilterShape::BandPass => (poly(0.0, 1.0 / q, 0.0), poly(1.0, 1.0 / q, 1.0)),
            FilterShape::Notch => (poly(1.0, 0.0, 1.0), poly(1.0, 1.0 / q, 1.0)),
            FilterShape::AllPass => (poly(1.0, -1.0 / q, 1.0), poly(1.0, 1.0 / q, 1.0)),
            FilterShape::Peak => (poly(1.0, a / q, 1.0), poly(1.0, 1.0 / (a * q), 1.0)),
            FilterShape::LowShelf => (a * poly(1.0, a.sqrt() / q, a), poly(a, a.sqrt() / q, 1.0)),
            FilterShape::HighShelf => (a * poly(a, a.sqrt() / q, 1.0), poly(1.0, a.sqrt() / q, a)),
        };
        num / den
    }

    /// The digital response the bilinear transform prewarped at `f0` must give at `f`:
    /// the analog prototype at `omega = tan(pi f / fs) / tan(pi f0 / fs)`.
    fn expected_magnitude(
        shape: FilterShape,
        fs: f64,
        f0: f64,
        q: f64,
        gain_db: f64,
        f: f64,
    ) -> f64 {
        let omega = (PI * f / fs).tan() / (PI * f0 / fs).tan();
        analog(shape, omega, q, gain_db)
    }

    fn log_frequencies(count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| 20.0 * 1000f64.powf(i as f64 / (count - 1) as f64))
            .collect()
    }

    #[test]
    fn magnitude_matches_the_bilinear_transformed_analog_prototype() {
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            for shape in FilterShape::ALL {
                for (f0, q, gain) in [
                    (100.0, FRAC_1_SQRT_2, 6.0),
                    (1000.0, 2.0, -9.0),
                    (8000.0, 0.5, 12.0),
                ] {
                    let c = Coefficients::rbj(shape, fs, f0, q, gain);
                    for f in log_frequencies(30) {
                        let f = f.min(fs * 0.45);
                        let want = expected_magnitude(shape, fs, f0, q, gain, f);
                        let got = c.magnitude(f, fs);
                        let err_db = (20.0 * (got / want).log10()).abs();
                        // Notches reach exactly zero at f0: compare linearly there.
                        assert!(
                            err_db < 1e-6 || (got - want).abs() < 1e-9,
                            "{shape:?} fs {fs} f0 {f0} at {f} Hz: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// `(re, im)` of the DFT of `h` at `freq` Hz.
    fn dft(h: &[f64], freq: f64, fs: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / fs;
        h.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, x)| {
            let (s, c) = (w * n as f64).sin_cos();
            (re + x * c, im - x * s)
        })
    }

    #[test]
    fn filtered_impulse_matches_the_analog_prototype_within_a_hundredth_of_a_db() {
        // Every shape, measured by running the section (not by evaluating its polynomial),
        // against the independent prototype formula, 20 Hz to 20 kHz, at three rates.
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            for shape in FilterShape::ALL {
                let (f0, q, gain) = (1000.0, 1.5, 7.5);
                let c = Coefficients::rbj(shape, fs, f0, q, gain);
                let mut b = Biquad::new();
                let h: Vec<f64> = (0..4096)
                    .map(|n| b.process(&c, if n == 0 { 1.0 } else { 0.0 }))
                    .collect();
                for f in log_frequencies(30) {
                    let (re, im) = dft(&h, f, fs);
                    let want = expected_magnitude(shape, fs, f0, q, gain, f);
                    let got = re.hypot(im);
                    let err_db = (20.0 * (got / want).log10()).abs();
                    assert!(
                        err_db < 0.01 || (got - want).abs() < 1e-9,
                        "{shape:?} fs {fs} at {f}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn decay_estimate_follows_the_pole_radius() {
        let c = Coefficients::rbj(FilterShape::LowPass, 48_000.0, 100.0, 5.0, 0.0);
        let frames = c.decay_frames(60.0);
        let mut b = Biquad::new();
        let h: Vec<f64> = (0..(frames as usize * 2))
            .map(|n| b.process(&c, if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        let peak = h.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        // The envelope r^n: past the estimate, nothing is louder than 60 dB (plus the
        // resonance's peak-to-first-sample ratio) below the peak.
        let late = h[frames as usize..]
            .iter()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(late < peak * 1e-3 * 2.0, "{late} vs {peak}");
        assert_eq!(Coefficients::identity().decay_frames(60.0), 0.0);
    }

    #[test]
    fn a_series_run_on_two_lanes_has_the_product_response_in_each_lane() {
        // Three sections in series over an impulse (lane 0) and a half-size impulse (lane 1):
        // lane 0's DFT is the product of the analytic magnitudes, lane 1 is exactly half of
        // lane 0 (scaling by a power of two commutes with rounding), so lanes never mix.
        let fs = 48_000.0;
        let c = [
            Coefficients::rbj(FilterShape::HighPass, fs, 80.0, 0.7, 0.0),
            Coefficients::rbj(FilterShape::Peak, fs, 1000.0, 1.5, 6.0),
            Coefficients::rbj(FilterShape::LowShelf, fs, 300.0, 0.7, -4.0),
        ];
        let mut states = [BiquadLanes::<2>::new(); 3];
        let mut h = vec![[0.0; 2]; 16_384];
        run_series(
            &c,
            &mut states,
            h.len(),
            |i| if i == 0 { [1.0, 0.5] } else { [0.0, 0.0] },
            |i, y| h[i] = y,
        );
        let lane0: Vec<f64> = h.iter().map(|y| y[0]).collect();
        for f in log_frequencies(30) {
            let (re, im) = dft(&lane0, f, fs);
            let want: f64 = c.iter().map(|c| c.magnitude(f, fs)).product();
            let err_db = (20.0 * (re.hypot(im) / want).log10()).abs();
            assert!(err_db < 0.01, "{f} Hz: {err_db} dB off");
        }
        assert!(h.iter().all(|y| y[1] == 0.5 * y[0]));
    }

    #[test]
    fn a_section_primed_with_a_history_continues_it_exactly() {
        // Direct form I keeps the signal: a fresh section primed with the last two inputs and
        // outputs of a running one continues exactly as the running one does.
        let c = Coefficients::rbj(FilterShape::Peak, 48_000.0, 500.0, 3.0, 9.0);
        let x: Vec<f64> = (0..2000).map(|n| (n as f64 * 0.07).sin()).collect();
        let mut running = BiquadLanes::<1>::new();
        let y: Vec<f64> = x[..1000]
            .iter()
            .map(|v| running.step(&c, [*v])[0])
            .collect();
        let mut primed = BiquadLanes::<1>::new();
        primed.prime([[x[999]], [x[998]]], [[y[999]], [y[998]]]);
        for v in &x[1000..] {
            assert_eq!(running.step(&c, [*v]), primed.step(&c, [*v]));
        }
    }

    #[test]
    fn identity_passes_signal_unchanged() {
        let mut b = Biquad::new();
        let c = Coefficients::identity();
        for x in [1.0, -0.5, 0.25, 0.0] {
            assert_eq!(b.process(&c, x), x);
        }
        assert_eq!(c.magnitude(1234.0, 48_000.0), 1.0);
    }

    #[test]
    fn impulse_response_dft_equals_analytic_magnitude() {
        let fs = 48_000.0;
        let c = Coefficients::rbj(FilterShape::Peak, fs, 1000.0, 1.0, 6.0);
        let mut b = Biquad::new();
        let h: Vec<f64> = (0..8192)
            .map(|n| b.process(&c, if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        for f in [50.0, 500.0, 1000.0, 5000.0] {
            let w = 2.0 * PI * f / fs;
            let (re, im) = h.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, x)| {
                (re + x * (w * n as f64).cos(), im - x * (w * n as f64).sin())
            });
            assert!((re.hypot(im) - c.magnitude(f, fs)).abs() < 1e-9);
        }
    }

    #[test]
    fn butterworth_q_values_are_the_textbook_ones() {
        assert!((butterworth_q(2, 0) - FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((butterworth_q(4, 0) - 0.541_196_1).abs() < 1e-6);
        assert!((butterworth_q(4, 1) - 1.306_563_0).abs() < 1e-6);
        // The product of a cascade's stage Qs... each stage's |H| at the corner is Q; a
        // Butterworth of any order is -3.01 dB at the corner.
        for order in [2, 4, 6, 8] {
            let at_corner: f64 = (0..order / 2).map(|k| butterworth_q(order, k)).product();
            assert!(
                (20.0 * at_corner.log10() + 3.0103).abs() < 1e-3,
                "order {order}"
            );
        }
    }

    #[test]
    fn extreme_parameters_never_give_nan() {
        for shape in FilterShape::ALL {
            for fs in [1.0, 8000.0, 192_000.0, 0.0, -1.0, f64::NAN, f64::INFINITY] {
                for f in [
                    0.0,
                    -10.0,
                    1e-9,
                    1e9,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                ] {
                    for q in [0.0, -1.0, 1e-9, 1e9, f64::NAN] {
                        for g in [-1e9, 0.0, 1e9, f64::NAN] {
                            let c = Coefficients::rbj(shape, fs, f, q, g);
                            assert!(c.is_finite(), "{shape:?} {fs} {f} {q} {g}: {c:?}");
                            // Poles inside the unit circle: |a2| < 1 and |a1| < 1 + a2.
                            assert!(c.a2.abs() < 1.0 && c.a1.abs() < 1.0 + c.a2 + 1e-12, "{c:?}");
                        }
                    }
                }
            }
        }
    }
}
