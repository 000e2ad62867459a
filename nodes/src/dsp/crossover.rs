//! Linkwitz-Riley crossovers: a 4th-order (LR4, 24 dB/octave) two-way split and an N-way
//! crossover built from a chain of splits with all-pass phase compensation, so the bands
//! always sum to a flat magnitude response.
//!
//! An LR4 split is a squared 2nd-order Butterworth low-pass and high-pass. Their sum is the
//! 2nd-order all-pass at the same frequency (`LP^2 + HP^2 = AP`), so an N-way crossover made
//! of splits at `f1 < f2 < ... < fN`, where every band below split `j` also passes through
//! split `j`'s all-pass, sums to the product of all the all-passes: unity magnitude.
//!
//! Coefficients ([`SplitCoefficients`], [`CrossoverCoefficients`]) are kept apart from the
//! filter memories ([`Lr4Sections`], [`CrossoverState`]) so a multichannel node designs them
//! once per frame and shares them between its channels. [`Lr4`] and [`Crossover`] bundle both
//! for single-channel use.

use std::f64::consts::FRAC_1_SQRT_2;

use super::biquad::{Biquad, Coefficients, FilterShape};

/// The three 2nd-order sections of an LR4 split at one frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitCoefficients {
    /// The split frequency in Hz, as requested.
    pub freq: f64,
    /// Butterworth low-pass (applied twice for the LR4 low band).
    pub low: Coefficients,
    /// Butterworth high-pass (applied twice for the LR4 high band).
    pub high: Coefficients,
    /// The all-pass equal to the sum of the two LR4 bands (for phase compensation).
    pub all: Coefficients,
}

impl SplitCoefficients {
    /// An LR4 split at `freq` Hz (clamped like [`Coefficients::rbj`]).
    pub fn new(sample_rate: f64, freq: f64) -> SplitCoefficients {
        let design = |shape| Coefficients::rbj(shape, sample_rate, freq, FRAC_1_SQRT_2, 0.0);
        SplitCoefficients {
            freq,
            low: design(FilterShape::LowPass),
            high: design(FilterShape::HighPass),
            all: design(FilterShape::AllPass),
        }
    }
}

/// The filter memories of one LR4 split (two low-pass and two high-pass sections).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lr4Sections {
    low: [Biquad; 2],
    high: [Biquad; 2],
}

impl Lr4Sections {
    /// Splits one sample into `(low, high)` with the given coefficients.
    #[inline]
    pub fn split(&mut self, c: &SplitCoefficients, x: f64) -> (f64, f64) {
        let [l1, l2] = &mut self.low;
        let [h1, h2] = &mut self.high;
        let low = l2.process(&c.low, l1.process(&c.low, x));
        let high = h2.process(&c.high, h1.process(&c.high, x));
        (low, high)
    }

    /// Clears the memories.
    pub fn reset(&mut self) {
        *self = Lr4Sections::default();
    }
}

/// A Linkwitz-Riley 4th-order two-way split: both bands are -6.02 dB at the split frequency,
/// in phase with each other, and sum to an all-pass (flat magnitude).
#[derive(Debug, Clone, Copy)]
pub struct Lr4 {
    coefficients: SplitCoefficients,
    sections: Lr4Sections,
}

impl Lr4 {
    /// A split at `freq` Hz.
    pub fn new(sample_rate: f64, freq: f64) -> Lr4 {
        Lr4 {
            coefficients: SplitCoefficients::new(sample_rate, freq),
            sections: Lr4Sections::default(),
        }
    }

    /// Moves the split to `freq` Hz, keeping the filter memories.
    pub fn set_frequency(&mut self, sample_rate: f64, freq: f64) {
        self.coefficients = SplitCoefficients::new(sample_rate, freq);
    }

    /// The coefficients in use.
    pub fn coefficients(&self) -> &SplitCoefficients {
        &self.coefficients
    }

    /// Splits one sample into `(low, high)`.
    #[inline]
    pub fn split(&mut self, x: f64) -> (f64, f64) {
        self.sections.split(&self.coefficients, x)
    }

    /// Clears the filter memories.
    pub fn reset(&mut self) {
        self.sections.reset();
    }
}

/// The coefficients of an N-way crossover: up to `capacity` splits, sorted by frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossoverCoefficients {
    sample_rate: f64,
    splits: Vec<SplitCoefficients>,
    active: usize,
}

impl CrossoverCoefficients {
    /// Splits at `freqs` (any order; used in ascending order): `freqs.len() + 1` bands.
    /// The capacity is `freqs.len()`; allocates.
    pub fn new(sample_rate: f64, freqs: &[f64]) -> CrossoverCoefficients {
        let mut c = CrossoverCoefficients {
            sample_rate,
            splits: vec![SplitCoefficients::new(sample_rate, 1000.0); freqs.len()],
            active: 0,
        };
        c.set_frequencies(freqs);
        c
    }

    /// Redesigns the splits for `freqs` (any order). At most the capacity given to
    /// [`CrossoverCoefficients::new`] is used; extra frequencies are ignored. Never allocates.
    pub fn set_frequencies(&mut self, freqs: &[f64]) {
        self.active = freqs.len().min(self.splits.len());
        for (split, &f) in self.splits.iter_mut().zip(freqs) {
            *split = SplitCoefficients::new(self.sample_rate, f);
        }
        if let Some(active) = self.splits.get_mut(..self.active) {
            active.sort_unstable_by(|a, b| a.freq.total_cmp(&b.freq));
        }
    }

    /// The splits in use, lowest frequency first.
    pub fn splits(&self) -> &[SplitCoefficients] {
        self.splits.get(..self.active).unwrap_or(&[])
    }

    /// The number of bands in use (splits + 1).
    pub fn band_count(&self) -> usize {
        self.active + 1
    }

    /// The largest number of splits these coefficients can hold.
    pub fn capacity(&self) -> usize {
        self.splits.len()
    }
}

/// One all-pass that aligns the phase of a band with a split above it.
#[derive(Debug, Clone, Copy)]
struct Compensation {
    band: usize,
    split: usize,
    state: Biquad,
}

/// The filter memories of an N-way crossover for one channel.
#[derive(Debug, Clone)]
pub struct CrossoverState {
    splits: Vec<Lr4Sections>,
    /// For every band `k` and every split `j > k`: band `k` passes through split `j`'s all-pass.
    compensations: Vec<Compensation>,
}

impl CrossoverState {
    /// Memories for up to `capacity` splits; allocates.
    pub fn new(capacity: usize) -> CrossoverState {
        let compensations = (0..capacity)
            .flat_map(|split| {
                (0..split).map(move |band| Compensation {
                    band,
                    split,
                    state: Biquad::new(),
                })
            })
            .collect();
        CrossoverState {
            splits: vec![Lr4Sections::default(); capacity],
            compensations,
        }
    }

    /// Splits one sample into `c.band_count()` bands, lowest first, written to the start of
    /// `bands` (bands beyond its length are computed but not written). Never allocates.
    #[inline]
    pub fn process(&mut self, c: &CrossoverCoefficients, x: f64, bands: &mut [f64]) {
        let active = c.splits();
        // The chain: each split's low output is a band, its high output feeds the next split.
        let mut rest = x;
        for (index, (split, sections)) in active.iter().zip(&mut self.splits).enumerate() {
            let (low, high) = sections.split(split, rest);
            if let Some(band) = bands.get_mut(index) {
                *band = low;
            }
            rest = high;
        }
        if let Some(top) = bands.get_mut(active.len()) {
            *top = rest;
        }
        for comp in &mut self.compensations {
            if let (Some(split), Some(band)) = (active.get(comp.split), bands.get_mut(comp.band)) {
                *band = comp.state.process(&split.all, *band);
            }
        }
    }

    /// Clears every memory.
    pub fn reset(&mut self) {
        self.splits.iter_mut().for_each(Lr4Sections::reset);
        self.compensations.iter_mut().for_each(|c| c.state.reset());
    }
}

/// An N-way Linkwitz-Riley crossover for one channel: `freqs.len() + 1` bands whose sum has
/// a flat magnitude response.
#[derive(Debug, Clone)]
pub struct Crossover {
    coefficients: CrossoverCoefficients,
    state: CrossoverState,
}

impl Crossover {
    /// A crossover with splits at `freqs` Hz (any order; used ascending). Allocates.
    pub fn new(sample_rate: f64, freqs: &[f64]) -> Crossover {
        Crossover {
            coefficients: CrossoverCoefficients::new(sample_rate, freqs),
            state: CrossoverState::new(freqs.len()),
        }
    }

    /// The number of bands.
    pub fn band_count(&self) -> usize {
        self.coefficients.band_count()
    }

    /// The coefficients in use.
    pub fn coefficients(&self) -> &CrossoverCoefficients {
        &self.coefficients
    }

    /// Moves the split frequencies (the count stays at most the one given to `new`),
    /// keeping the filter memories.
    pub fn set_frequencies(&mut self, freqs: &[f64]) {
        self.coefficients.set_frequencies(freqs);
    }

    /// Splits one sample into bands, lowest first (see [`CrossoverState::process`]).
    #[inline]
    pub fn process(&mut self, x: f64, bands: &mut [f64]) {
        self.state.process(&self.coefficients, x, bands);
    }

    /// Clears the filter memories.
    pub fn reset(&mut self) {
        self.state.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// `(re, im)` of the DFT of `h` at `freq`.
    fn dft(h: &[f64], freq: f64, fs: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / fs;
        h.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, x)| {
            let (s, c) = (w * n as f64).sin_cos();
            (re + x * c, im - x * s)
        })
    }

    fn db(z: (f64, f64)) -> f64 {
        20.0 * z.0.hypot(z.1).log10()
    }

    /// Impulse responses of every band of a crossover.
    fn band_impulses(fs: f64, freqs: &[f64], len: usize) -> Vec<Vec<f64>> {
        let mut x = Crossover::new(fs, freqs);
        let mut bands = vec![vec![0.0; len]; x.band_count()];
        let mut frame = vec![0.0; x.band_count()];
        for n in 0..len {
            x.process(if n == 0 { 1.0 } else { 0.0 }, &mut frame);
            for (b, v) in bands.iter_mut().zip(&frame) {
                b[n] = *v;
            }
        }
        bands
    }

    fn log_frequencies(count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| 20.0 * 1000f64.powf(i as f64 / (count - 1) as f64))
            .collect()
    }

    /// The analog Butterworth 2nd-order low-pass and high-pass at `s = j omega`, written in
    /// the test: `1 / (s^2 + sqrt2 s + 1)` and `s^2 / (s^2 + sqrt2 s + 1)`.
    fn butterworth(omega: f64) -> ((f64, f64), (f64, f64)) {
        let den = (1.0 - omega * omega, std::f64::consts::SQRT_2 * omega);
        let n = den.0 * den.0 + den.1 * den.1;
        let lp = (den.0 / n, -den.1 / n);
        let hp = ((-omega * omega) * den.0 / n, -(-omega * omega) * den.1 / n);
        (lp, hp)
    }

    fn mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
    }

    #[test]
    fn lr4_bands_are_minus_six_db_at_the_split_and_sum_flat() {
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            for fc in [80.0, 1000.0, 8000.0] {
                let mut split = Lr4::new(fs, fc);
                let (mut low, mut high) = (vec![0.0; 16384], vec![0.0; 16384]);
                for n in 0..low.len() {
                    (low[n], high[n]) = split.split(if n == 0 { 1.0 } else { 0.0 });
                }
                let l = db(dft(&low, fc, fs));
                let h = db(dft(&high, fc, fs));
                let six = 20.0 * 0.5f64.log10();
                assert!(
                    (l - six).abs() < 0.01 && (h - six).abs() < 0.01,
                    "fs {fs} fc {fc}: {l} {h}"
                );
                let sum: Vec<f64> = low.iter().zip(&high).map(|(a, b)| a + b).collect();
                for f in log_frequencies(30) {
                    let s = db(dft(&sum, f, fs));
                    assert!(s.abs() < 0.01, "fs {fs} fc {fc} at {f}: {s} dB");
                }
            }
        }
    }

    #[test]
    fn bands_sum_flat_for_two_to_five_bands() {
        let sets: [&[f64]; 4] = [
            &[500.0],
            &[120.0, 2500.0],
            &[90.0, 700.0, 6000.0],
            &[60.0, 250.0, 1200.0, 5000.0],
        ];
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            for freqs in sets {
                let bands = band_impulses(fs, freqs, 32768);
                assert_eq!(bands.len(), freqs.len() + 1);
                let sum: Vec<f64> = (0..bands[0].len())
                    .map(|n| bands.iter().map(|b| b[n]).sum())
                    .collect();
                for f in log_frequencies(30) {
                    let s = db(dft(&sum, f, fs));
                    assert!(
                        s.abs() < 0.01,
                        "fs {fs} splits {freqs:?} at {f} Hz: sum {s} dB"
                    );
                }
            }
        }
    }

    #[test]
    fn every_band_matches_the_analytic_chain_of_splits() {
        // Band k = LP_k^2 * HP_{k-1}^2 ... HP_1^2 * AP_{k+1} ... AP_N, each section the
        // bilinear transform (prewarped at its split) of the analog Butterworth prototype.
        let fs = 48_000.0;
        let freqs = [60.0, 250.0, 1200.0, 5000.0];
        let bands = band_impulses(fs, &freqs, 32768);
        for f in log_frequencies(30) {
            let omega = |fc: f64| (PI * f / fs).tan() / (PI * fc / fs).tan();
            for (k, band) in bands.iter().enumerate() {
                let mut want = (1.0, 0.0);
                for (j, &fc) in freqs.iter().enumerate() {
                    let (lp, hp) = butterworth(omega(fc));
                    let factor = match j.cmp(&k) {
                        std::cmp::Ordering::Less => mul(hp, hp),
                        std::cmp::Ordering::Equal => mul(lp, lp),
                        std::cmp::Ordering::Greater => (1.0, 0.0), // all-pass: unit magnitude
                    };
                    want = mul(want, factor);
                }
                let got = db(dft(band, f, fs));
                let want = db(want);
                assert!(
                    (got - want).abs() < 0.01 || (got < -100.0 && want < -100.0),
                    "band {k} at {f}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn bands_spaced_a_decade_apart_cross_at_minus_six_db() {
        let fs = 48_000.0;
        let freqs = [50.0, 500.0, 5000.0];
        let bands = band_impulses(fs, &freqs, 65536);
        let six = 20.0 * 0.5f64.log10();
        for (j, &fc) in freqs.iter().enumerate() {
            let below = db(dft(&bands[j], fc, fs));
            let above = db(dft(&bands[j + 1], fc, fs));
            assert!(
                (below - six).abs() < 0.01 && (above - six).abs() < 0.01,
                "split {fc}: {below} {above}"
            );
        }
    }

    #[test]
    fn frequencies_given_out_of_order_are_sorted() {
        let c = CrossoverCoefficients::new(48_000.0, &[5000.0, 100.0, 800.0]);
        let f: Vec<f64> = c.splits().iter().map(|s| s.freq).collect();
        assert_eq!(f, vec![100.0, 800.0, 5000.0]);
    }

    #[test]
    fn fewer_active_splits_than_capacity_still_sum_flat() {
        let fs = 48_000.0;
        let mut c = CrossoverCoefficients::new(fs, &[100.0, 1000.0, 5000.0, 10_000.0]);
        c.set_frequencies(&[300.0, 3000.0]);
        assert_eq!(c.band_count(), 3);
        let mut state = CrossoverState::new(c.capacity());
        let mut frame = [0.0; 5];
        let sum: Vec<f64> = (0..32768)
            .map(|n| {
                state.process(&c, if n == 0 { 1.0 } else { 0.0 }, &mut frame);
                frame[..3].iter().sum()
            })
            .collect();
        for f in log_frequencies(20) {
            assert!(db(dft(&sum, f, fs)).abs() < 0.01);
        }
    }

    #[test]
    fn reset_reproduces_output() {
        let mut x = Crossover::new(44_100.0, &[200.0, 2000.0]);
        let input: Vec<f64> = (0..500)
            .map(|n| ((n * 7919) % 101) as f64 / 50.0 - 1.0)
            .collect();
        let run = |x: &mut Crossover| {
            let mut frame = [0.0; 3];
            input
                .iter()
                .map(|v| {
                    x.process(*v, &mut frame);
                    frame
                })
                .collect::<Vec<_>>()
        };
        let a = run(&mut x);
        x.reset();
        assert_eq!(a, run(&mut x));
    }
}
