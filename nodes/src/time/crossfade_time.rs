//! A delay time that changes without clicks: a new time fades in on a second read head while
//! the old one fades out, linearly, over the parameter's ramp. Once settled the read is a
//! single whole-frame read, so a static delay is sample-exact.

use super::delay_line::DelayLine;

/// Where to read a delay line this frame: `from` and `to` delays and the weight of `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tap {
    from: usize,
    to: usize,
    /// Weight of the `to` head, 0..=1; exactly 1 when settled.
    weight: f64,
}

impl Tap {
    /// A settled tap at `delay`.
    pub(crate) fn at(delay: usize) -> Tap {
        Tap {
            from: delay,
            to: delay,
            weight: 1.0,
        }
    }

    /// Reads `line` at this tap (delays of at least 1 frame; see [`DelayLine::read`]).
    #[inline]
    pub(crate) fn read(&self, line: &DelayLine) -> f64 {
        let to = f64::from(line.read(self.to));
        if self.weight >= 1.0 {
            to
        } else {
            f64::from(line.read(self.from)) * (1.0 - self.weight) + to * self.weight
        }
    }

    /// Reads `line` at this tap where a delay of 0 means `current`, the frame not yet
    /// written.
    #[inline]
    pub(crate) fn read_or_current(&self, line: &DelayLine, current: f32) -> f64 {
        let at = |d: usize| {
            if d == 0 {
                f64::from(current)
            } else {
                f64::from(line.read(d))
            }
        };
        if self.weight >= 1.0 {
            at(self.to)
        } else {
            at(self.from) * (1.0 - self.weight) + at(self.to) * self.weight
        }
    }
}

/// A delay time in whole frames that crossfades between read heads when it changes.
///
/// A change that arrives during a crossfade waits for it to finish (only the latest waits),
/// so every fade is a clean two-head fade.
#[derive(Debug, Clone)]
pub(crate) struct CrossfadeTime {
    from: usize,
    to: usize,
    /// Frames of the current fade done, and its length (0: settled).
    done: usize,
    length: usize,
    pending: Option<(usize, usize)>,
    /// Shortest fade, so even an immediate change does not click.
    min_fade: usize,
}

impl CrossfadeTime {
    /// A settled time of `delay` frames; fades last at least `min_fade` frames.
    pub(crate) fn new(delay: usize, min_fade: usize) -> CrossfadeTime {
        CrossfadeTime {
            from: delay,
            to: delay,
            done: 0,
            length: 0,
            pending: None,
            min_fade: min_fade.max(1),
        }
    }

    /// Moves to `delay` frames, crossfading over `ramp` frames (at least the minimum fade).
    pub(crate) fn set(&mut self, delay: usize, ramp: usize) {
        if self.length > 0 {
            self.pending = Some((delay, ramp));
        } else if delay != self.to {
            self.start(delay, ramp);
        }
    }

    /// Jumps to `delay` with no fade (on reset).
    pub(crate) fn reset(&mut self, delay: usize) {
        *self = CrossfadeTime::new(delay, self.min_fade);
    }

    /// The delay being moved to (or held).
    pub(crate) fn target(&self) -> usize {
        self.pending.map_or(self.to, |(d, _)| d)
    }

    fn start(&mut self, delay: usize, ramp: usize) {
        self.from = self.to;
        self.to = delay;
        self.done = 0;
        self.length = ramp.max(self.min_fade);
    }

    /// Advances one frame and returns where to read.
    #[inline]
    pub(crate) fn next(&mut self) -> Tap {
        if self.length == 0 {
            return Tap::at(self.to);
        }
        self.done += 1;
        let tap = Tap {
            from: self.from,
            to: self.to,
            weight: self.done as f64 / self.length as f64,
        };
        if self.done >= self.length {
            self.length = 0;
            self.from = self.to;
            if let Some((delay, ramp)) = self.pending.take() {
                if delay != self.to {
                    self.start(delay, ramp);
                }
            }
        }
        tap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_fades_linearly_and_settles_on_the_new_delay() {
        let mut t = CrossfadeTime::new(10, 1);
        t.set(20, 4);
        let taps: Vec<Tap> = (0..5).map(|_| t.next()).collect();
        let weights: Vec<f64> = taps.iter().map(|t| t.weight).collect();
        assert_eq!(weights, vec![0.25, 0.5, 0.75, 1.0, 1.0]);
        assert!(taps[..4].iter().all(|t| t.from == 10 && t.to == 20));
        assert_eq!(taps[4], Tap::at(20));
    }

    #[test]
    fn a_change_during_a_fade_waits_and_only_the_latest_is_kept() {
        let mut t = CrossfadeTime::new(10, 1);
        t.set(20, 2);
        t.next();
        t.set(30, 2);
        t.set(40, 2);
        assert_eq!(t.target(), 40);
        assert_eq!(
            t.next(),
            Tap {
                from: 10,
                to: 20,
                weight: 1.0
            }
        );
        assert_eq!(
            t.next(),
            Tap {
                from: 20,
                to: 40,
                weight: 0.5
            }
        );
        assert_eq!(
            t.next(),
            Tap {
                from: 20,
                to: 40,
                weight: 1.0
            }
        );
        assert_eq!(t.next(), Tap::at(40));
    }

    #[test]
    fn an_immediate_change_still_fades_over_the_minimum() {
        let mut t = CrossfadeTime::new(5, 3);
        t.set(6, 0);
        let w: Vec<f64> = (0..3).map(|_| t.next().weight).collect();
        assert!((w[0] - 1.0 / 3.0).abs() < 1e-15 && w[2] == 1.0);
    }

    #[test]
    fn reading_a_line_mixes_both_heads_by_weight() {
        let mut line = DelayLine::new(8);
        for n in 0..8 {
            line.write(n as f32);
        }
        let tap = Tap {
            from: 1,
            to: 3,
            weight: 0.25,
        };
        // Frame 7 at delay 1, frame 5 at delay 3.
        assert!((tap.read(&line) - (7.0 * 0.75 + 5.0 * 0.25)).abs() < 1e-12);
        assert_eq!(Tap::at(0).read_or_current(&line, 9.0), 9.0);
    }
}
