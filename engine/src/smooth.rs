//! Parameter smoothing: a value that ramps linearly to its target over an exact number of
//! frames, so automation lands on its breakpoints and steps make no zipper noise.

/// A linearly ramping value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothed {
    current: f64,
    target: f64,
    step: f64,
    remaining: usize,
}

impl Smoothed {
    /// A value resting at `value`.
    pub fn new(value: f64) -> Self {
        Smoothed {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
        }
    }

    /// Ramps to `target` over `frames` frames (0: jumps at once). The value after the
    /// `frames`-th call to [`Smoothed::next`] is exactly `target`.
    pub fn set(&mut self, target: f64, frames: usize) {
        self.target = target;
        if frames == 0 {
            self.current = target;
            self.remaining = 0;
            self.step = 0.0;
        } else {
            self.step = (target - self.current) / frames as f64;
            self.remaining = frames;
        }
    }

    /// Jumps to `value` with no ramp (on reset).
    pub fn reset(&mut self, value: f64) {
        self.set(value, 0);
    }

    /// Advances one frame and returns the new value.
    #[inline]
    #[allow(
        clippy::should_implement_trait,
        reason = "a smoother never ends, so it is not an Iterator; `next` reads best at every call site"
    )]
    pub fn next(&mut self) -> f64 {
        if self.remaining > 0 {
            self.remaining -= 1;
            if self.remaining == 0 {
                self.current = self.target;
            } else {
                self.current += self.step;
            }
        }
        self.current
    }

    /// The value now, without advancing.
    #[inline]
    pub fn value(&self) -> f64 {
        self.current
    }

    /// The value being ramped to.
    #[inline]
    pub fn target(&self) -> f64 {
        self.target
    }

    /// Whether the ramp is finished (so a block can use one value for all frames).
    #[inline]
    pub fn is_settled(&self) -> bool {
        self.remaining == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_lands_exactly_on_target_after_the_given_frames() {
        let mut s = Smoothed::new(0.0);
        s.set(1.0, 4);
        let v: Vec<f64> = (0..5).map(|_| s.next()).collect();
        assert_eq!(v, vec![0.25, 0.5, 0.75, 1.0, 1.0]);
        assert!(s.is_settled());
    }

    #[test]
    fn zero_frames_jumps() {
        let mut s = Smoothed::new(3.0);
        s.set(-1.0, 0);
        assert_eq!(s.value(), -1.0);
        assert_eq!(s.next(), -1.0);
    }
}
