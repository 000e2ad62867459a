//! The true peak of every frame as the limiter sees it: the limiter's own block-wise
//! detector ([`TruePeakKernel`]: 4x interpolation with its filter, folded on the filter's
//! symmetry), run over the audio the limiter would be fed.

use mixgraph_nodes::dsp::true_peak::{DELAY, HISTORY, TruePeakKernel};

/// Per-frame peaks of the 4x-interpolated signal, over all channels.
pub struct PeakScanner {
    kernel: TruePeakKernel,
    /// Per channel: the last [`HISTORY`] samples of the previous block, then the current one.
    buffers: Vec<Vec<f32>>,
}

impl PeakScanner {
    /// A scanner for `channels` channels.
    pub fn new(channels: usize) -> Self {
        Self {
            kernel: TruePeakKernel::new(),
            buffers: vec![vec![0.0; HISTORY]; channels],
        }
    }

    /// Frames by which a frame's peak lags the frame (the interpolator's delay).
    pub fn delay(&self) -> usize {
        DELAY
    }

    /// Writes into `peaks[n]` the largest interpolated magnitude over all channels around
    /// frame `n` of the block (delayed by [`PeakScanner::delay`]). `peaks` is resized to the
    /// block's length (the shortest channel's). Non-finite samples count as silence.
    pub fn scan(&mut self, block: &[&[f32]], peaks: &mut Vec<f32>) {
        let frames = block.iter().map(|c| c.len()).min().unwrap_or(0);
        peaks.clear();
        peaks.resize(frames, 0.0);
        for (buffer, channel) in self.buffers.iter_mut().zip(block) {
            // Keep the last `HISTORY` samples of the previous block.
            let drop = buffer.len().saturating_sub(HISTORY);
            buffer.drain(..drop);
            buffer.extend(
                channel
                    .iter()
                    .take(frames)
                    .map(|&x| if x.is_finite() { x } else { 0.0 }),
            );
            self.kernel.raise_peaks(buffer, peaks);
        }
    }
}

#[cfg(test)]
mod tests {
    use mixgraph_nodes::dsp::oversample::{Interpolator, OversamplingFilter};
    use mixgraph_nodes::dsp::true_peak::{FACTOR, STOPBAND_DB, TAPS_PER_PHASE};

    use super::*;

    #[test]
    fn peaks_equal_the_engine_interpolator_frame_by_frame() {
        // Two channels of a 19 kHz tone and noise-like content at 44.1 kHz, fed in uneven
        // blocks: every frame's peak must equal the max over channels and phases of the
        // engine's interpolator (f64) to f32 precision.
        let frames = 5000;
        let left: Vec<f32> = (0..frames)
            .map(|i| {
                (0.7 * (i as f64 * 2.0 * std::f64::consts::PI * 19_000.0 / 44_100.0).sin()) as f32
            })
            .collect();
        let right: Vec<f32> = (0..frames)
            .map(|i| (((i * 7919) % 1013) as f32 / 1013.0 - 0.5) * 0.9)
            .collect();
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        let mut reference = [Interpolator::new(&filter), Interpolator::new(&filter)];
        let mut out = [0.0; FACTOR];
        let expected: Vec<f64> = (0..frames)
            .map(|n| {
                let mut peak: f64 = 0.0;
                for (interp, x) in reference.iter_mut().zip([left[n], right[n]]) {
                    interp.process(f64::from(x), &mut out);
                    peak = out.iter().fold(peak, |m, v| m.max(v.abs()));
                }
                peak
            })
            .collect();
        let mut scanner = PeakScanner::new(2);
        let mut peaks = Vec::new();
        let mut got = Vec::new();
        let mut start = 0;
        for size in [1, 7, 64, 1000, 3928].iter().cycle() {
            if start >= frames {
                break;
            }
            let end = (start + size).min(frames);
            scanner.scan(&[&left[start..end], &right[start..end]], &mut peaks);
            got.extend_from_slice(&peaks);
            start = end;
        }
        assert_eq!(got.len(), frames);
        for (n, (&g, &e)) in got.iter().zip(&expected).enumerate() {
            assert!((f64::from(g) - e).abs() < 1e-5, "frame {n}: {g} vs {e}");
        }
        assert_eq!(scanner.delay(), TAPS_PER_PHASE / 2);
        // The 19 kHz tone's inter-sample peaks reach its amplitude, above most samples.
        let tone_peak = expected.iter().skip(100).copied().fold(0.0, f64::max);
        assert!(tone_peak > 0.69, "{tone_peak}");
    }
}
