//! Polyphase FIR oversampling: an L-th band low-pass (Kaiser-windowed sinc, designed in
//! code) used as an interpolator (one sample in, `factor` out) and as a decimator (`factor`
//! in, one out), and an [`Oversampler`] pairing the two around a nonlinearity.
//!
//! The prototype has `factor * taps_per_phase + 1` taps centred on tap
//! `factor * taps_per_phase / 2` and its cutoff exactly at the base-rate Nyquist frequency,
//! so every `factor`-th tap off the centre is zero: phase 0 of the interpolator passes the
//! input samples through unchanged (delayed by `taps_per_phase / 2` frames), and up- then
//! down-sampling delays by exactly `taps_per_phase` frames.

use std::f64::consts::PI;

/// A designed prototype low-pass, split into its polyphase components.
#[derive(Debug, Clone, PartialEq)]
pub struct OversamplingFilter {
    factor: usize,
    taps_per_phase: usize,
    /// Interpolation taps, phase after phase: `phases[p * (taps_per_phase + 1) + j]` is
    /// `factor * h[j * factor + p]`, normalized so that each phase passes DC at unity.
    phases: Vec<f64>,
    /// Decimation taps `h[k]`, `k = 0..factor * taps_per_phase`, summing to one.
    prototype: Vec<f64>,
}

impl OversamplingFilter {
    /// A Kaiser-windowed sinc for `factor`-times oversampling with `taps_per_phase` taps per
    /// polyphase branch (rounded up to an even count, at least 2) and the window shaped for
    /// `stopband_db` of stopband attenuation. The transition band is as narrow as that
    /// attenuation allows for this length (Kaiser's formula), centred on the base-rate
    /// Nyquist frequency. `factor` is at least 1.
    pub fn design(factor: usize, taps_per_phase: usize, stopband_db: f64) -> OversamplingFilter {
        let factor = factor.max(1);
        let taps_per_phase = (taps_per_phase.max(2) + 1) & !1;
        let len = factor * taps_per_phase + 1;
        let centre = (factor * taps_per_phase / 2) as f64;
        let beta = kaiser_beta(stopband_db);
        let i0_beta = bessel_i0(beta);
        let mut prototype: Vec<f64> = (0..len)
            .map(|k| {
                let m = k as f64 - centre;
                let r = m / centre;
                let window = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                sinc(m / factor as f64) * window
            })
            .collect();
        let sum: f64 = prototype.iter().sum();
        prototype.iter_mut().for_each(|h| *h /= sum);
        let stride = taps_per_phase + 1;
        let mut phases = vec![0.0; factor * stride];
        for p in 0..factor {
            let branch = &mut phases[p * stride..(p + 1) * stride];
            for (j, tap) in branch.iter_mut().enumerate() {
                *tap = prototype.get(j * factor + p).copied().unwrap_or(0.0);
            }
            let dc: f64 = branch.iter().sum();
            if dc.abs() > f64::EPSILON {
                branch.iter_mut().for_each(|t| *t /= dc);
            }
        }
        OversamplingFilter {
            factor,
            taps_per_phase,
            phases,
            prototype,
        }
    }

    /// The oversampling factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Taps per polyphase branch (even).
    pub fn taps_per_phase(&self) -> usize {
        self.taps_per_phase
    }

    /// Frames of delay of the interpolator (and of the decimator): `taps_per_phase / 2`.
    pub fn half_latency(&self) -> usize {
        self.taps_per_phase / 2
    }

    /// The taps of interpolation branch `p` (`taps_per_phase + 1` of them, each branch
    /// with unity DC gain; empty when `p >= factor`): interpolated output `p` after input
    /// `n` is `sum_j branch(p)[j] * x[n - j]`.
    pub fn branch(&self, p: usize) -> &[f64] {
        let stride = self.taps_per_phase + 1;
        self.phases.get(p * stride..(p + 1) * stride).unwrap_or(&[])
    }

    /// The prototype low-pass at the oversampled rate (unity DC gain).
    pub fn prototype(&self) -> &[f64] {
        &self.prototype
    }

    /// The magnitude of the prototype at `freq`, a fraction of the base sample rate
    /// (0.5 is the base-rate Nyquist frequency), with unity at DC.
    pub fn magnitude(&self, freq: f64) -> f64 {
        let w = 2.0 * PI * freq / self.factor as f64;
        let (re, im) = self
            .prototype
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(re, im), (k, h)| {
                let (s, c) = (w * k as f64).sin_cos();
                (re + h * c, im - h * s)
            });
        re.hypot(im)
    }
}

/// Kaiser's window shape parameter for a stopband attenuation in dB.
fn kaiser_beta(stopband_db: f64) -> f64 {
    let a = stopband_db.abs();
    if a > 50.0 {
        0.1102 * (a - 8.7)
    } else if a > 21.0 {
        0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0)
    } else {
        0.0
    }
}

/// The modified Bessel function of the first kind, order zero, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..200 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// `sin(pi x) / (pi x)`.
fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// The most recent samples of a signal, newest first, readable as one contiguous slice.
///
/// Each sample is written twice, `len` apart, so the last `len` samples are always
/// `buf[pos..pos + len]`.
#[derive(Debug, Clone)]
struct History {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
}

impl History {
    fn new(len: usize) -> History {
        let len = len.max(1);
        History {
            buf: vec![0.0; 2 * len],
            pos: 0,
            len,
        }
    }

    #[inline]
    fn push(&mut self, x: f64) {
        self.pos = if self.pos == 0 {
            self.len - 1
        } else {
            self.pos - 1
        };
        if let Some(a) = self.buf.get_mut(self.pos) {
            *a = x;
        }
        if let Some(b) = self.buf.get_mut(self.pos + self.len) {
            *b = x;
        }
    }

    /// The last `len` samples, newest first.
    #[inline]
    fn newest_first(&self) -> &[f64] {
        self.buf.get(self.pos..self.pos + self.len).unwrap_or(&[])
    }

    fn clear(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }
}

/// Independent partial sums in [`dot`]: enough to hide the latency of each addition (the
/// sum does not wait on the previous one) and to fill two-wide SSE2 registers.
const DOT_LANES: usize = 8;

/// `sum a[k] b[k]` over the shorter length, in [`DOT_LANES`] partial sums.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0f64; DOT_LANES];
    let (mut a, mut b) = (a.chunks_exact(DOT_LANES), b.chunks_exact(DOT_LANES));
    for (x, y) in (&mut a).zip(&mut b) {
        for ((s, x), y) in sums.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    let mut tail = 0.0;
    let (ra, rb) = (a.remainder(), b.remainder());
    // Whichever input ran out first, the other's chunk iterator stopped at the same count.
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    pairwise(sums) + tail
}

/// The sum of eight values as a balanced tree.
#[inline]
fn pairwise(s: [f64; DOT_LANES]) -> f64 {
    ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

/// The interpolation taps stored tap-major (`bank[j * factor + p]` is tap `j` of branch `p`),
/// so one input sample times one row updates every branch at once: the branches form a
/// vector.
fn tap_major(filter: &OversamplingFilter) -> Vec<f64> {
    let taps = filter.taps_per_phase + 1;
    let mut bank = vec![0.0; taps * filter.factor];
    for p in 0..filter.factor {
        for (j, &h) in filter.branch(p).iter().enumerate() {
            if let Some(slot) = bank.get_mut(j * filter.factor + p) {
                *slot = h;
            }
        }
    }
    bank
}

/// Every branch's output for the samples `recent` (newest first) from a tap-major `bank`
/// of `F` branches: `F` sums, each split into two halves (even and odd taps) so neither
/// waits long on its own additions.
#[inline(always)]
fn interpolate<const F: usize>(bank: &[f64], recent: &[f64], out: &mut [f64]) {
    let mut even = [0.0f64; F];
    let mut odd = [0.0f64; F];
    let mut rows = bank.chunks_exact(2 * F);
    let mut samples = recent.chunks_exact(2);
    for (rows, x) in (&mut rows).zip(&mut samples) {
        let (Some(r0), Some(r1), [x0, x1]) = (
            rows.get(..F).and_then(|r| <&[f64; F]>::try_from(r).ok()),
            rows.get(F..).and_then(|r| <&[f64; F]>::try_from(r).ok()),
            x,
        ) else {
            continue;
        };
        for ((e, o), (a, b)) in even.iter_mut().zip(odd.iter_mut()).zip(r0.iter().zip(r1)) {
            *e += a * x0;
            *o += b * x1;
        }
    }
    // An odd tap count leaves one row and one sample.
    let last_row = rows
        .remainder()
        .get(..F)
        .and_then(|r| <&[f64; F]>::try_from(r).ok());
    if let (Some(row), Some(&x)) = (last_row, samples.remainder().first()) {
        for (e, a) in even.iter_mut().zip(row) {
            *e += a * x;
        }
    }
    for ((o, e), d) in out.iter_mut().zip(even).zip(odd) {
        *o = e + d;
    }
}

/// One channel of polyphase interpolation: each input sample yields `factor` output
/// samples; output `p` after input `n` is the band-limited signal at base time
/// `n - half_latency + p / factor` (output 0 is input `n - half_latency` exactly).
#[derive(Debug, Clone)]
pub struct Interpolator {
    filter: OversamplingFilter,
    /// The taps, tap-major (see [`tap_major`]).
    bank: Vec<f64>,
    history: History,
}

impl Interpolator {
    /// An interpolator with this filter; allocates.
    pub fn new(filter: &OversamplingFilter) -> Interpolator {
        Interpolator {
            history: History::new(filter.taps_per_phase + 1),
            bank: tap_major(filter),
            filter: filter.clone(),
        }
    }

    /// Pushes one input sample and writes `factor` outputs to the start of `out` (fewer if
    /// `out` is shorter).
    #[inline]
    pub fn process(&mut self, x: f64, out: &mut [f64]) {
        self.history.push(x);
        let recent = self.history.newest_first();
        match self.filter.factor {
            2 => interpolate::<2>(&self.bank, recent, out),
            4 => interpolate::<4>(&self.bank, recent, out),
            8 => interpolate::<8>(&self.bank, recent, out),
            _ => {
                let stride = self.filter.taps_per_phase + 1;
                for (o, branch) in out.iter_mut().zip(self.filter.phases.chunks_exact(stride)) {
                    *o = dot(branch, recent);
                }
            }
        }
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.history.clear();
    }
}

/// One channel of decimation: `factor` oversampled inputs yield one output sample,
/// low-pass filtered by the prototype so content above the base-rate Nyquist frequency
/// does not fold back.
#[derive(Debug, Clone)]
pub struct Decimator {
    filter: OversamplingFilter,
    history: History,
}

impl Decimator {
    /// A decimator with this filter; allocates.
    pub fn new(filter: &OversamplingFilter) -> Decimator {
        let len = filter.prototype.len() + filter.factor - 1;
        Decimator {
            history: History::new(len),
            filter: filter.clone(),
        }
    }

    /// Pushes `factor` oversampled samples (the first of them on the base-rate grid) and
    /// returns one base-rate sample, `half_latency` frames behind the first of them.
    #[inline]
    pub fn process(&mut self, block: &[f64]) -> f64 {
        for &v in block.iter().take(self.filter.factor) {
            self.history.push(v);
        }
        // Skip the `factor - 1` newest samples so the output lines up with the base grid.
        let recent = self.history.newest_first();
        dot(
            &self.filter.prototype,
            recent.get(self.filter.factor - 1..).unwrap_or(&[]),
        )
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.history.clear();
    }
}

/// Runs a per-sample function at `factor` times the sample rate: interpolate, apply,
/// decimate. The result is delayed by [`Oversampler::latency`] frames.
#[derive(Debug, Clone)]
pub struct Oversampler {
    up: Interpolator,
    down: Decimator,
    block: Vec<f64>,
}

impl Oversampler {
    /// An oversampler with this filter for interpolation and decimation; allocates.
    pub fn new(filter: &OversamplingFilter) -> Oversampler {
        Oversampler {
            up: Interpolator::new(filter),
            down: Decimator::new(filter),
            block: vec![0.0; filter.factor],
        }
    }

    /// Frames of delay from input to output.
    pub fn latency(&self) -> usize {
        self.up.filter.taps_per_phase
    }

    /// Frames of ringing that may follow the end of the input once the latency is taken
    /// off: the combined up- and down-sampling response reaches this far past its centre.
    pub fn tail(&self) -> usize {
        self.up.filter.taps_per_phase
    }

    /// One base-rate sample in, `f` applied to every oversampled sample, one sample out.
    #[inline]
    pub fn process(&mut self, x: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
        self.up.process(x, &mut self.block);
        for v in &mut self.block {
            *v = f(*v);
        }
        self.down.process(&self.block)
    }

    /// Clears both filters.
    pub fn reset(&mut self) {
        self.up.reset();
        self.down.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(x: f64) -> f64 {
        20.0 * x.log10()
    }

    #[test]
    fn prototype_is_an_lth_band_filter_with_the_designed_stopband() {
        let f = OversamplingFilter::design(4, 48, 80.0);
        let centre = f.prototype().len() / 2;
        for (k, h) in f.prototype().iter().enumerate() {
            if k != centre && (k as isize - centre as isize) % 4 == 0 {
                assert!(h.abs() < 1e-15, "tap {k} = {h}");
            }
        }
        // Kaiser: transition width (A - 8) / (2.285 (N - 1)) rad at the high rate.
        let width = (80.0 - 8.0) / (2.285 * 192.0) / (2.0 * PI) * 4.0;
        let (pass, stop) = (0.5 - width / 2.0, 0.5 + width / 2.0);
        for i in 0..=100 {
            let fr = pass * i as f64 / 100.0;
            assert!(
                db(f.magnitude(fr)).abs() < 0.01,
                "passband {fr}: {} dB",
                db(f.magnitude(fr))
            );
        }
        for i in 0..=400 {
            let fr = stop + (2.0 - stop) * i as f64 / 400.0;
            assert!(
                db(f.magnitude(fr)) < -79.0,
                "stopband {fr}: {} dB",
                db(f.magnitude(fr))
            );
        }
    }

    #[test]
    fn interpolation_equals_the_direct_convolution_of_the_zero_stuffed_input() {
        // Upsampling by definition: put factor - 1 zeros after every sample and convolve with
        // the prototype; output p after input n is that signal at high-rate time
        // factor * n + p. Only taps k = p (mod factor) meet a non-zero sample there; the
        // design scales those by 1 / (their sum), so each branch passes DC at unity.
        let x: Vec<f64> = (0..300)
            .map(|n| ((n * 7919 % 211) as f64 - 105.0) / 105.0)
            .collect();
        for (factor, taps) in [(2, 16), (3, 10), (4, 32), (8, 48)] {
            let f = OversamplingFilter::design(factor, taps, 80.0);
            let h = f.prototype();
            let mut stuffed = vec![0.0; x.len() * factor];
            for (n, &v) in x.iter().enumerate() {
                stuffed[n * factor] = v;
            }
            let branch_sum = |p: usize| -> f64 { h.iter().skip(p).step_by(factor).sum() };
            let direct = |t: usize, p: usize| -> f64 {
                let sum: f64 = (0..h.len())
                    .filter(|&k| k <= t)
                    .map(|k| h[k] * stuffed[t - k])
                    .sum();
                sum / branch_sum(p)
            };
            let mut up = Interpolator::new(&f);
            let mut out = vec![0.0; factor];
            for (n, &v) in x.iter().enumerate() {
                up.process(v, &mut out);
                for (p, &o) in out.iter().enumerate() {
                    let want = direct(factor * n + p, p);
                    assert!(
                        (o - want).abs() < 1e-12,
                        "factor {factor}, n {n}, p {p}: {o} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn phase_zero_passes_the_input_through_delayed() {
        let f = OversamplingFilter::design(4, 32, 80.0);
        let mut up = Interpolator::new(&f);
        let mut out = [0.0; 4];
        let x: Vec<f64> = (0..200)
            .map(|n| ((n * 37 % 17) as f64 - 8.0) / 8.0)
            .collect();
        for (n, &v) in x.iter().enumerate() {
            up.process(v, &mut out);
            if n >= f.half_latency() {
                assert!((out[0] - x[n - f.half_latency()]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn interpolated_sine_matches_the_continuous_sine() {
        let f = OversamplingFilter::design(4, 32, 80.0);
        let fs = 48_000.0;
        let freq = 15_000.0;
        let w = 2.0 * PI * freq / fs;
        let mut up = Interpolator::new(&f);
        let mut out = [0.0; 4];
        let d = f.half_latency() as f64;
        let mut worst: f64 = 0.0;
        for n in 0..2000 {
            up.process((w * n as f64 + 0.3).sin(), &mut out);
            if n > 100 {
                for (p, o) in out.iter().enumerate() {
                    let t = n as f64 - d + p as f64 / 4.0;
                    worst = worst.max((o - (w * t + 0.3).sin()).abs());
                }
            }
        }
        assert!(worst < 1e-3, "worst error {worst}");
    }

    #[test]
    fn up_then_down_is_a_pure_delay_in_the_passband() {
        let f = OversamplingFilter::design(4, 48, 80.0);
        let mut os = Oversampler::new(&f);
        assert_eq!(os.latency(), 48);
        let fs = 44_100.0;
        let w = 2.0 * PI * 9_000.0 / fs;
        let mut worst: f64 = 0.0;
        for n in 0..3000 {
            let y = os.process((w * n as f64).cos(), |v| v);
            if n > 200 {
                worst = worst.max((y - (w * (n - 48) as f64).cos()).abs());
            }
        }
        assert!(worst < 1e-3, "worst error {worst}");
    }

    #[test]
    fn decimation_rejects_content_above_the_base_nyquist() {
        // A 30 kHz tone at 4 x 44.1 kHz would fold to 14.1 kHz; the decimator removes it.
        let f = OversamplingFilter::design(4, 48, 80.0);
        let mut down = Decimator::new(&f);
        let fs4 = 4.0 * 44_100.0;
        let w = 2.0 * PI * 30_000.0 / fs4;
        let out: Vec<f64> = (0..4000)
            .map(|n| {
                let block: Vec<f64> = (0..4).map(|p| (w * (4 * n + p) as f64).sin()).collect();
                down.process(&block)
            })
            .collect();
        let peak = out[200..].iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(db(peak) < -78.0, "{} dB", db(peak));
    }
}
