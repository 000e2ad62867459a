//! A 16-line feedback delay network (Jot): delay lines of mutually prime lengths, mixed by
//! an orthogonal (normalized Hadamard) matrix, each with a one-pole loss filter whose gain at
//! 0 Hz and at Nyquist is set from the line's length so the network decays by 60 dB in
//! exactly the requested time at both ends of the spectrum.
//!
//! With an orthogonal matrix and a loss of `gamma^L` on a line of `L` frames, every pole of
//! the network has magnitude `gamma`, so the decay time does not depend on which mode rings.

use mixgraph_engine::Smoothed;

use super::delay_line::DelayLine;

/// Number of delay lines (a power of two, for the fast Hadamard transform).
pub(crate) const LINES: usize = 16;

/// Line lengths at the largest size, in milliseconds: a geometric spread from 35 to 100 ms.
fn base_length_ms(line: usize) -> f64 {
    35.0 * (100.0f64 / 35.0).powf(line as f64 / (LINES - 1) as f64)
}

/// The longest line, in milliseconds, at the largest size.
pub(crate) const MAX_LENGTH_MS: f64 = 100.0;

/// The settings the network is tuned to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tuning {
    /// Scale of the line lengths, 0 < scale <= 1.
    pub(crate) scale: f64,
    /// Time to decay 60 dB at 0 Hz, seconds.
    pub(crate) decay: f64,
    /// Decay time at Nyquist as a share of `decay`, 0 < ratio <= 1.
    pub(crate) nyquist_ratio: f64,
}

/// One line with its smoothed length and loss-filter coefficients.
#[derive(Debug, Clone)]
struct Line {
    line: DelayLine,
    length: Smoothed,
    /// Feed-forward factor `g (1 - b)` and pole `b` of the loss filter.
    gain: Smoothed,
    pole: Smoothed,
    state: f64,
}

/// The network.
#[derive(Debug, Clone)]
pub(crate) struct Fdn {
    sample_rate: f64,
    lines: Box<[Line]>,
    /// Shortest ramp for a change of line lengths, so even an immediate change is smooth.
    min_ramp: usize,
}

/// The loss filter of a line of `length` frames: `(g (1 - b), b)` for
/// `H(z) = g (1 - b) / (1 - b z^-1)`, with `H(1)` and `|H(-1)|` the 60 dB decay per pass at 0 Hz
/// and at Nyquist.
pub(crate) fn loss_filter(length: f64, sample_rate: f64, tuning: &Tuning) -> (f64, f64) {
    let per_second_db = |t: f64| -60.0 / t.max(1e-3);
    let seconds = length / sample_rate;
    let g_dc = 10f64.powf(per_second_db(tuning.decay) * seconds / 20.0);
    let g_ny = 10f64
        .powf(per_second_db(tuning.decay * tuning.nyquist_ratio.clamp(0.01, 1.0)) * seconds / 20.0);
    // |H(-1)| = g (1 - b) / (1 + b) = g_ny  =>  b = (1 - r) / (1 + r), r = g_ny / g_dc.
    let r = g_ny / g_dc;
    let b = (1.0 - r) / (1.0 + r);
    (g_dc * (1.0 - b), b)
}

/// The smallest prime at or above `n`.
fn prime_at_or_above(n: usize) -> usize {
    let is_prime = |k: usize| k >= 2 && (2..).take_while(|d| d * d <= k).all(|d| k % d != 0);
    (n.max(2)..).find(|&k| is_prime(k)).unwrap_or(n)
}

/// In-place fast Walsh-Hadamard transform, scaled to be orthonormal.
#[inline]
fn hadamard(v: &mut [f64; LINES]) {
    let mut h = 1;
    while h < LINES {
        for start in (0..LINES).step_by(2 * h) {
            for i in start..start + h {
                let (a, b) = (v[i], v[i + h]);
                v[i] = a + b;
                v[i + h] = a - b;
            }
        }
        h *= 2;
    }
    let norm = 1.0 / (LINES as f64).sqrt();
    for x in v.iter_mut() {
        *x *= norm;
    }
}

/// The sign of entry `(row, column)` of the Sylvester Hadamard matrix.
pub(crate) fn hadamard_sign(row: usize, column: usize) -> f64 {
    if (row & column).count_ones() % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

impl Fdn {
    /// A silent network at `sample_rate` tuned to `tuning`; length changes ramp over at least
    /// `min_ramp` frames.
    pub(crate) fn new(sample_rate: f64, tuning: &Tuning, min_ramp: usize) -> Fdn {
        let capacity = (MAX_LENGTH_MS * 0.001 * sample_rate).ceil() as usize * 11 / 10 + 2;
        let lines = (0..LINES)
            .map(|i| {
                let length = Self::length_of(i, sample_rate, tuning.scale);
                let (gain, pole) = loss_filter(length, sample_rate, tuning);
                Line {
                    line: DelayLine::new(capacity),
                    length: Smoothed::new(length),
                    gain: Smoothed::new(gain),
                    pole: Smoothed::new(pole),
                    state: 0.0,
                }
            })
            .collect();
        Fdn {
            sample_rate,
            lines,
            min_ramp,
        }
    }

    /// The length of line `i` in frames: a prime near its base length times `scale`.
    fn length_of(i: usize, sample_rate: f64, scale: f64) -> f64 {
        let frames =
            (base_length_ms(i) * scale.clamp(0.01, 1.0) * 0.001 * sample_rate).round() as usize;
        prime_at_or_above(frames.max(2)) as f64
    }

    /// Retunes: line lengths and loss filters ramp to the new values over `ramp` frames
    /// (lengths over at least the minimum ramp).
    pub(crate) fn retune(&mut self, tuning: &Tuning, ramp: usize) {
        for (i, l) in self.lines.iter_mut().enumerate() {
            let length = Self::length_of(i, self.sample_rate, tuning.scale);
            let (gain, pole) = loss_filter(length, self.sample_rate, tuning);
            if length != l.length.target() {
                l.length.set(length, ramp.max(self.min_ramp));
            }
            l.gain.set(gain, ramp);
            l.pole.set(pole, ramp);
        }
    }

    /// Jumps to `tuning` and silences the network.
    pub(crate) fn reset(&mut self, tuning: &Tuning) {
        for (i, l) in self.lines.iter_mut().enumerate() {
            let length = Self::length_of(i, self.sample_rate, tuning.scale);
            let (gain, pole) = loss_filter(length, self.sample_rate, tuning);
            l.length.reset(length);
            l.gain.reset(gain);
            l.pole.reset(pole);
            l.line.clear();
            l.state = 0.0;
        }
    }

    /// Runs one frame: `inputs[i]` is added to line `i`; returns the lines' outputs (after
    /// their loss filters) for the caller to tap.
    #[inline]
    pub(crate) fn process(&mut self, inputs: &[f64; LINES]) -> [f64; LINES] {
        let mut outputs = [0.0; LINES];
        for (l, out) in self.lines.iter_mut().zip(outputs.iter_mut()) {
            let delayed = if l.length.is_settled() {
                f64::from(l.line.read(l.length.value() as usize))
            } else {
                l.line.read_fractional(l.length.next())
            };
            let (gain, pole) = (l.gain.next(), l.pole.next());
            l.state = gain * delayed + pole * l.state;
            if l.state.abs() < 1e-30 {
                l.state = 0.0;
            }
            *out = l.state;
        }
        let mut feedback = outputs;
        hadamard(&mut feedback);
        for ((l, fb), x) in self.lines.iter_mut().zip(feedback).zip(inputs) {
            l.line.write((fb + x) as f32);
        }
        outputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_transform_is_the_orthonormal_hadamard_matrix() {
        for column in 0..LINES {
            let mut v = [0.0; LINES];
            v[column] = 1.0;
            hadamard(&mut v);
            for (row, x) in v.iter().enumerate() {
                assert!((x - hadamard_sign(row, column) / 4.0).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn the_loss_filter_hits_the_decay_per_pass_at_both_ends_of_the_spectrum() {
        let tuning = Tuning {
            scale: 1.0,
            decay: 2.0,
            nyquist_ratio: 0.4,
        };
        let (sr, length) = (48_000.0, 3001.0);
        let (ff, b) = loss_filter(length, sr, &tuning);
        let dc = ff / (1.0 - b);
        let nyquist = ff / (1.0 + b);
        let seconds = length / sr;
        assert!((20.0 * dc.log10() - (-60.0 * seconds / 2.0)).abs() < 1e-9);
        assert!((20.0 * nyquist.log10() - (-60.0 * seconds / 0.8)).abs() < 1e-9);
        // No damping: a plain gain.
        let (ff, b) = loss_filter(
            length,
            sr,
            &Tuning {
                nyquist_ratio: 1.0,
                ..tuning
            },
        );
        assert_eq!(b, 0.0);
        assert!((20.0 * ff.log10() - (-60.0 * seconds / 2.0)).abs() < 1e-9);
    }

    #[test]
    fn line_lengths_are_distinct_primes() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            for scale in [0.3, 0.65, 1.0] {
                let lengths: Vec<usize> = (0..LINES)
                    .map(|i| Fdn::length_of(i, sr, scale) as usize)
                    .collect();
                for (i, &a) in lengths.iter().enumerate() {
                    assert!(
                        (2..a).take_while(|d| d * d <= a).all(|d| a % d != 0),
                        "{a} is not prime"
                    );
                    assert!(lengths[..i].iter().all(|&b| b != a), "{a} appears twice");
                }
            }
        }
    }
}
