//! A chain of Schroeder all-pass filters that smears an input into a dense burst before it
//! enters a reverb's feedback network (flat magnitude response, only the timing spreads).

use super::delay_line::DelayLine;

/// Stages of the chain: delay in milliseconds and all-pass coefficient.
pub(crate) type Stages = [(f64, f64); 4];

/// One all-pass: `H(z) = (-g + z^-D) / (1 - g z^-D)`.
#[derive(Debug, Clone)]
struct AllPass {
    line: DelayLine,
    delay: usize,
    gain: f64,
}

impl AllPass {
    #[inline]
    fn process(&mut self, x: f64) -> f64 {
        let delayed = f64::from(self.line.read(self.delay));
        let w = x + self.gain * delayed;
        self.line.write(w as f32);
        delayed - self.gain * w
    }
}

/// All-passes in series.
#[derive(Debug, Clone)]
pub(crate) struct Diffuser {
    stages: Box<[AllPass]>,
}

impl Diffuser {
    /// A chain with the given stages at `sample_rate`.
    pub(crate) fn new(stages: &Stages, sample_rate: f64) -> Diffuser {
        Diffuser {
            stages: stages
                .iter()
                .map(|&(ms, gain)| {
                    let delay = ((ms * 0.001 * sample_rate).round() as usize).max(1);
                    AllPass {
                        line: DelayLine::new(delay),
                        delay,
                        gain,
                    }
                })
                .collect(),
        }
    }

    /// Filters one sample through every stage.
    #[inline]
    pub(crate) fn process(&mut self, x: f64) -> f64 {
        self.stages.iter_mut().fold(x, |v, stage| stage.process(v))
    }

    /// Silences every stage.
    pub(crate) fn clear(&mut self) {
        for stage in self.stages.iter_mut() {
            stage.line.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_passes_all_the_energy_of_an_impulse() {
        // An all-pass keeps energy: the impulse response's energy is 1.
        let mut d = Diffuser::new(&[(1.0, 0.7), (0.7, 0.7), (2.3, 0.6), (1.9, 0.6)], 48_000.0);
        let energy: f64 = (0..48_000)
            .map(|n| d.process(if n == 0 { 1.0 } else { 0.0 }).powi(2))
            .sum();
        assert!((energy - 1.0).abs() < 1e-6, "{energy}");
    }

    #[test]
    fn one_stage_matches_its_difference_equation() {
        let mut d = Diffuser::new(&[(1.0, 0.5), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)], 2000.0);
        // D = 2 frames, g = 0.5; the zero-gain stages of one frame only delay by... nothing:
        // a stage with g = 0 is a pure one-frame delay, so three of them delay by 3.
        let out: Vec<f64> = (0..12)
            .map(|n| d.process(if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        // h[0] = -g, h[D] = 1 - g^2, h[2D] = g (1 - g^2), ..., shifted by 3 frames.
        let mut expected = vec![0.0; 12];
        expected[3] = -0.5;
        expected[5] = 0.75;
        expected[7] = 0.375;
        expected[9] = 0.1875;
        expected[11] = 0.09375;
        assert_eq!(out, expected);
    }
}
