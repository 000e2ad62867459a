//! A fixed whole-frame delay per channel: the main signal path of a processor that looks
//! ahead (its detector sees each sample this many frames before it is output).

/// `channels` rings of `frames` samples; a delay of 0 passes samples straight through.
#[derive(Debug, Clone)]
pub struct LookaheadDelay {
    rings: Vec<f64>,
    frames: usize,
    pos: usize,
}

impl LookaheadDelay {
    /// A silent delay of `frames` frames for `channels` channels; allocates.
    pub fn new(channels: usize, frames: usize) -> LookaheadDelay {
        LookaheadDelay {
            rings: vec![0.0; channels * frames],
            frames,
            pos: 0,
        }
    }

    /// The delay in frames.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Writes `x` to `channel` and returns the sample written `frames` frames ago. Call
    /// once per channel, then [`LookaheadDelay::advance`] once per frame.
    #[inline]
    pub fn swap(&mut self, channel: usize, x: f64) -> f64 {
        if self.frames == 0 {
            return x;
        }
        match self.rings.get_mut(channel * self.frames + self.pos) {
            Some(slot) => std::mem::replace(slot, x),
            None => x,
        }
    }

    /// Moves to the next frame.
    #[inline]
    pub fn advance(&mut self) {
        if self.frames > 0 {
            self.pos += 1;
            if self.pos == self.frames {
                self.pos = 0;
            }
        }
    }

    /// Silences every ring.
    pub fn reset(&mut self) {
        self.rings.fill(0.0);
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_every_channel_by_the_given_frames() {
        let mut d = LookaheadDelay::new(2, 3);
        let mut out = Vec::new();
        for n in 0..6 {
            let a = d.swap(0, n as f64);
            let b = d.swap(1, -(n as f64));
            d.advance();
            out.push((a, b));
        }
        assert_eq!(
            out,
            vec![
                (0.0, 0.0),
                (0.0, 0.0),
                (0.0, 0.0),
                (0.0, 0.0),
                (1.0, -1.0),
                (2.0, -2.0)
            ]
        );
        let mut none = LookaheadDelay::new(1, 0);
        assert_eq!(none.swap(0, 5.0), 5.0);
    }
}
