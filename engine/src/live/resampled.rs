//! A [`FrameSource`] converted to another sample rate on the decoder thread, with the
//! engine's resampler (delay removed, so the converted input starts at frame 0).

use super::error::LiveError;
use super::source::FrameSource;
use crate::io::Resampler;

/// Frames read from the inner source per refill of the resampler.
const READ_CHUNK: usize = 4096;

/// A source delivered at another rate.
pub struct ResampledSource {
    inner: Box<dyn FrameSource>,
    resampler: Resampler,
    scratch: Vec<Vec<f32>>,
}

impl ResampledSource {
    /// Converts `inner` to `rate` Hz; `context` (the input's name) is used in errors.
    ///
    /// # Errors
    /// [`LiveError::Audio`] when no converter can be built for these rates.
    pub fn new(
        inner: Box<dyn FrameSource>,
        rate: u32,
        context: &str,
    ) -> Result<ResampledSource, LiveError> {
        let channels = inner.channels();
        let resampler = Resampler::new(inner.sample_rate(), rate, channels, context)?;
        Ok(ResampledSource {
            inner,
            resampler,
            scratch: vec![vec![0.0; READ_CHUNK]; channels],
        })
    }
}

impl FrameSource for ResampledSource {
    fn channels(&self) -> usize {
        self.resampler.channels()
    }

    fn sample_rate(&self) -> u32 {
        self.resampler.to_rate()
    }

    fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, LiveError> {
        let want = out.iter().map(Vec::len).fold(max_frames, usize::min);
        while self.resampler.available() < want && !self.resampler.is_finished() {
            let n = self.inner.read(&mut self.scratch, READ_CHUNK)?;
            if n == 0 {
                self.resampler.finish()?;
            } else {
                self.resampler.push(&self.scratch, n)?;
            }
        }
        Ok(self.resampler.pop(out, want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::source::MemorySource;
    use std::f64::consts::PI;

    #[test]
    fn a_sine_converted_from_44k1_to_48k_keeps_its_frequency_length_and_level() {
        let (from, to) = (44_100u32, 48_000u32);
        let n = 44_100;
        let sine = |rate: f64, i: usize| (0.5 * (2.0 * PI * 997.0 * i as f64 / rate).sin()) as f32;
        let src = MemorySource::new(
            vec![(0..n).map(|i| sine(f64::from(from), i)).collect()],
            from,
        );
        let mut r = ResampledSource::new(Box::new(src), to, "test").unwrap();
        assert_eq!(r.sample_rate(), to);
        let mut out = vec![vec![0.0; 1000]];
        let mut got = Vec::new();
        loop {
            let k = r.read(&mut out, 1000).unwrap();
            if k == 0 {
                break;
            }
            got.extend_from_slice(&out[0][..k]);
        }
        assert_eq!(got.len(), 48_000, "round(44100 * 48000 / 44100)");
        // Away from the edges the output is the same sine sampled at 48 kHz.
        let worst = (2000..46_000)
            .map(|i| (got[i] - sine(f64::from(to), i)).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "largest deviation {worst}");
    }
}
