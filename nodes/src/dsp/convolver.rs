//! Uniformly partitioned FFT convolution (overlap-save with a frequency-domain delay line).
//!
//! The impulse response is cut into partitions of `B` frames, each transformed once with a
//! `2B`-point real FFT. Every `B` input frames, the newest `2B` frames of input are
//! transformed, pushed onto a delay line of spectra, multiplied with the partition spectra
//! and summed, and one inverse FFT gives the next `B` output frames. Samples go in and out
//! one at a time through internal buffers, so any block size works and the output is the
//! exact linear convolution delayed by `B` frames (the [`Convolver::latency`]).
//!
//! All arithmetic is in `f64`; nothing allocates after [`Convolver::new`].

use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// One channel of partitioned convolution with a fixed impulse response.
pub struct Convolver {
    partition: usize,
    ir_len: usize,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Spectrum of each impulse-response partition, `B + 1` bins each.
    ir_spectra: Box<[Box<[Complex<f64>]>]>,
    /// Spectra of the most recent input windows, one per partition, used as a ring.
    history: Box<[Box<[Complex<f64>]>]>,
    /// Ring index of the newest input spectrum.
    newest: usize,
    /// The last `2B` input frames: the previous block, then the block being filled.
    window: Box<[f64]>,
    /// Frames of the current block received so far.
    filled: usize,
    /// The output block being played out while the next one is gathered.
    ready: Box<[f64]>,
    time_scratch: Box<[f64]>,
    spectrum: Box<[Complex<f64>]>,
    sum: Box<[Complex<f64>]>,
    fft_scratch: Box<[Complex<f64>]>,
}

impl fmt::Debug for Convolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Convolver")
            .field("partition", &self.partition)
            .field("ir_len", &self.ir_len)
            .field("partitions", &self.ir_spectra.len())
            .finish_non_exhaustive()
    }
}

impl Convolver {
    /// A convolver for `ir` with partitions of `partition` frames (at least 1). Allocates
    /// everything it will use.
    pub fn new(ir: &[f32], partition: usize) -> Convolver {
        let b = partition.max(1);
        let n = 2 * b;
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let bins = b + 1;
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let mut fft_scratch = vec![Complex::new(0.0, 0.0); scratch_len].into_boxed_slice();
        let mut time = vec![0.0f64; n].into_boxed_slice();
        let partitions = ir.len().div_ceil(b).max(1);
        // The inverse FFT is unnormalized: fold its 1/N into the partition spectra.
        let scale = 1.0 / n as f64;
        let ir_spectra = (0..partitions)
            .map(|p| {
                time.fill(0.0);
                let piece = ir.get(p * b..ir.len().min((p + 1) * b)).unwrap_or(&[]);
                for (t, v) in time.iter_mut().zip(piece) {
                    *t = f64::from(*v) * scale;
                }
                let mut spectrum = vec![Complex::new(0.0, 0.0); bins].into_boxed_slice();
                // Lengths come from the plan itself, so this cannot fail.
                let _ = forward.process_with_scratch(&mut time, &mut spectrum, &mut fft_scratch);
                spectrum
            })
            .collect();
        let zero_spectra = || vec![Complex::new(0.0, 0.0); bins].into_boxed_slice();
        Convolver {
            partition: b,
            ir_len: ir.len(),
            forward,
            inverse,
            ir_spectra,
            history: (0..partitions).map(|_| zero_spectra()).collect(),
            newest: 0,
            window: vec![0.0; n].into_boxed_slice(),
            filled: 0,
            ready: vec![0.0; b].into_boxed_slice(),
            time_scratch: time,
            spectrum: zero_spectra(),
            sum: zero_spectra(),
            fft_scratch,
        }
    }

    /// The partition size `B`, which is also the latency.
    pub fn partition(&self) -> usize {
        self.partition
    }

    /// Frames between an input sample and the start of its convolution in the output.
    pub fn latency(&self) -> usize {
        self.partition
    }

    /// Length of the impulse response in frames.
    pub fn ir_len(&self) -> usize {
        self.ir_len
    }

    /// Convolves one sample: returns the output `latency()` frames behind the input.
    #[inline]
    pub fn process_sample(&mut self, x: f32) -> f64 {
        let b = self.partition;
        let slot = b + self.filled;
        if let Some(w) = self.window.get_mut(slot) {
            *w = if x.is_finite() { f64::from(x) } else { 0.0 };
        }
        let y = self.ready.get(self.filled).copied().unwrap_or(0.0);
        self.filled += 1;
        if self.filled >= b {
            self.filled = 0;
            self.run_block();
        }
        y
    }

    /// Convolves `input` into `output` (the shorter length of the two), `latency()` frames
    /// behind.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        for (o, x) in output.iter_mut().zip(input) {
            *o = self.process_sample(*x) as f32;
        }
    }

    /// Clears the input history and the pending output.
    pub fn reset(&mut self) {
        for h in self.history.iter_mut() {
            h.fill(Complex::new(0.0, 0.0));
        }
        self.window.fill(0.0);
        self.ready.fill(0.0);
        self.filled = 0;
        self.newest = 0;
    }

    /// Transforms the newest window, sums its product with every partition, and fills
    /// `ready` with the next block of output.
    fn run_block(&mut self) {
        let b = self.partition;
        let count = self.history.len();
        self.newest = if self.newest + 1 >= count {
            0
        } else {
            self.newest + 1
        };
        self.time_scratch.copy_from_slice(&self.window);
        if let Some(newest) = self.history.get_mut(self.newest) {
            let _ = self.forward.process_with_scratch(
                &mut self.time_scratch,
                newest,
                &mut self.fft_scratch,
            );
        }
        self.sum.fill(Complex::new(0.0, 0.0));
        for (p, h) in self.ir_spectra.iter().enumerate() {
            // Partition p meets the input window from p blocks ago.
            let age = if self.newest >= p {
                self.newest - p
            } else {
                self.newest + count - p
            };
            if let Some(x) = self.history.get(age) {
                for ((s, x), h) in self.sum.iter_mut().zip(x.iter()).zip(h.iter()) {
                    *s += x * h;
                }
            }
        }
        self.spectrum.copy_from_slice(&self.sum);
        // The spectrum of a real signal has real DC and Nyquist bins; rounding leaves dust.
        if let Some(first) = self.spectrum.first_mut() {
            first.im = 0.0;
        }
        if let Some(last) = self.spectrum.last_mut() {
            last.im = 0.0;
        }
        let _ = self.inverse.process_with_scratch(
            &mut self.spectrum,
            &mut self.time_scratch,
            &mut self.fft_scratch,
        );
        // Overlap-save: the second half of the circular result is the linear convolution.
        if let Some(valid) = self.time_scratch.get(b..) {
            for (r, v) in self.ready.iter_mut().zip(valid) {
                *r = if v.abs() < 1e-300 { 0.0 } else { *v };
            }
        }
        self.window.copy_within(b.., 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    /// Direct time-domain convolution, written out.
    fn direct(x: &[f32], h: &[f32]) -> Vec<f64> {
        (0..x.len())
            .map(|n| {
                (0..h.len().min(n + 1))
                    .map(|k| f64::from(h[k]) * f64::from(x[n - k]))
                    .sum()
            })
            .collect()
    }

    fn error_db(got: &[f64], want: &[f64]) -> f64 {
        let err: f64 = got.iter().zip(want).map(|(a, b)| (a - b) * (a - b)).sum();
        let power: f64 = want.iter().map(|b| b * b).sum();
        10.0 * (err / power).log10()
    }

    #[test]
    fn output_is_the_direct_convolution_delayed_by_one_partition() {
        let x = &testkit::noise(1, 1, 6000)[0];
        for (ir_len, partition) in [
            (1, 64),
            (63, 64),
            (65, 64),
            (1000, 64),
            (777, 256),
            (3001, 128),
        ] {
            let h = &testkit::noise(2, 1, ir_len)[0];
            let mut c = Convolver::new(h, partition);
            let got: Vec<f64> = x.iter().map(|v| c.process_sample(*v)).collect();
            assert!(got[..partition].iter().all(|v| *v == 0.0));
            let want = direct(&x[..x.len() - partition], h);
            let db = error_db(&got[partition..], &want);
            assert!(
                db < -200.0,
                "IR {ir_len}, partition {partition}: error {db:.1} dB"
            );
        }
    }

    #[test]
    fn calling_in_any_block_sizes_gives_the_same_output() {
        let x = &testkit::noise(3, 1, 5000)[0];
        let h = &testkit::noise(4, 1, 1500)[0];
        let run = |block: usize| {
            let mut c = Convolver::new(h, 128);
            let mut out = vec![0.0f32; x.len()];
            for (i, o) in x.chunks(block).zip(out.chunks_mut(block)) {
                c.process(i, o);
            }
            out
        };
        let one = run(1);
        for block in [7, 128, 1000, 4096] {
            assert_eq!(run(block), one, "block {block}");
        }
    }

    #[test]
    fn reset_forgets_the_past() {
        let h = [0.5f32, 0.25, 0.125];
        let mut c = Convolver::new(&h, 4);
        let mut first = vec![0.0f32; 16];
        let mut x = vec![0.0f32; 16];
        x[0] = 1.0;
        c.process(&x, &mut first);
        assert_eq!(&first[4..7], &h);
        c.reset();
        let mut second = vec![0.0f32; 16];
        c.process(&x, &mut second);
        assert_eq!(first, second);
    }

    #[test]
    fn an_empty_impulse_response_gives_silence() {
        let mut c = Convolver::new(&[], 8);
        let out: Vec<f64> = (0..40).map(|_| c.process_sample(1.0)).collect();
        assert!(out.iter().all(|v| *v == 0.0));
    }
}
