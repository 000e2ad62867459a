//! A circular delay line of `f32` samples, allocated once, read at whole or fractional delays.

/// Magnitudes below this are stored as zero.
pub(crate) const DENORMAL_FLOOR: f32 = 1e-30;

/// A ring of samples: write one per frame, read any earlier frame up to the capacity.
#[derive(Debug, Clone)]
pub(crate) struct DelayLine {
    ring: Box<[f32]>,
    /// Index the next sample is written to.
    write: usize,
}

impl DelayLine {
    /// A silent line that can delay by up to `max_delay` frames (at least 1).
    pub(crate) fn new(max_delay: usize) -> DelayLine {
        DelayLine {
            ring: vec![0.0; max_delay.max(1)].into_boxed_slice(),
            write: 0,
        }
    }

    /// The longest delay [`DelayLine::read`] serves.
    pub(crate) fn max_delay(&self) -> usize {
        self.ring.len()
    }

    /// The sample written `delay` frames before the next [`DelayLine::write`]: with the
    /// current frame not yet written, `read(1)` is the previous frame. `delay` is clamped to
    /// `1..=max_delay`.
    #[inline]
    pub(crate) fn read(&self, delay: usize) -> f32 {
        let len = self.ring.len();
        let delay = delay.clamp(1, len);
        let index = if self.write >= delay {
            self.write - delay
        } else {
            self.write + len - delay
        };
        self.ring.get(index).copied().unwrap_or(0.0)
    }

    /// The sample `delay` frames back, linearly interpolated between whole frames; `delay`
    /// is clamped to `1..=max_delay`.
    #[inline]
    pub(crate) fn read_fractional(&self, delay: f64) -> f64 {
        let delay = delay.clamp(1.0, self.ring.len() as f64);
        let whole = delay.floor();
        let frac = delay - whole;
        let near = f64::from(self.read(whole as usize));
        if frac == 0.0 {
            return near;
        }
        let far = f64::from(self.read(whole as usize + 1));
        near + (far - near) * frac
    }

    /// Appends the current frame's sample. A non-finite value is stored as silence so it
    /// cannot circulate, and so is a magnitude below [`DENORMAL_FLOOR`] (-600 dB), so a
    /// decaying feedback loop settles on zero instead of denormal numbers.
    #[inline]
    pub(crate) fn write(&mut self, x: f32) {
        if let Some(slot) = self.ring.get_mut(self.write) {
            *slot = if x.is_finite() && x.abs() >= DENORMAL_FLOOR {
                x
            } else {
                0.0
            };
        }
        self.write += 1;
        if self.write >= self.ring.len() {
            self.write = 0;
        }
    }

    /// Silences the line.
    pub(crate) fn clear(&mut self) {
        self.ring.fill(0.0);
        self.write = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_returns_the_sample_written_that_many_frames_ago() {
        let mut line = DelayLine::new(5);
        for n in 0..12 {
            // Before writing frame n, read(d) is frame n - d.
            for d in 1..=5usize {
                let expected = if n >= d { (n - d) as f32 } else { 0.0 };
                assert_eq!(line.read(d), expected, "frame {n}, delay {d}");
            }
            line.write(n as f32);
        }
    }

    #[test]
    fn fractional_read_interpolates_linearly() {
        let mut line = DelayLine::new(8);
        for n in 0..8 {
            line.write(n as f32 * 2.0);
        }
        // Frames 7 and 6 hold 14 and 12: 1.25 frames back is 14 - 0.25 * 2.
        assert!((line.read_fractional(1.25) - 13.5).abs() < 1e-12);
        assert_eq!(line.read_fractional(3.0), 10.0);
    }

    #[test]
    fn out_of_range_delays_are_clamped_and_nan_and_denormals_are_not_stored() {
        let mut line = DelayLine::new(3);
        line.write(1e-35);
        assert_eq!(line.read(1), 0.0);
        line.write(f32::NAN);
        line.write(1.0);
        assert_eq!(line.read(0), 1.0);
        assert_eq!(line.read(2), 0.0);
        assert_eq!(line.read(100), line.read(3));
    }
}
