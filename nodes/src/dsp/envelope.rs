//! Envelope followers for dynamics processors: one-pole time constants, a sliding-window
//! maximum (peak hold), a level detector (peak or RMS) and log-domain attack/release
//! ballistics.
//!
//! # Time constants
//! A time constant `t` ms gives the one-pole coefficient `a = exp(-1 / (t * fs / 1000))`:
//! after a step, the smoothed value covers `1 - 1/e` (63.2 %) of the step in `t` ms.

use std::collections::VecDeque;

/// The one-pole coefficient for a time constant of `time_ms` at `sample_rate`: the value
/// moves `1 - 1/e` of the way to its target in `time_ms`. Zero or negative times give 0
/// (follow at once).
pub fn one_pole_coefficient(time_ms: f64, sample_rate: f64) -> f64 {
    let frames = time_ms * 0.001 * sample_rate;
    if frames.is_finite() && frames > 0.0 {
        (-1.0 / frames).exp()
    } else {
        0.0
    }
}

/// The largest of the last `window` values pushed, updated in amortized constant time
/// (a monotonic queue). The window can shrink or grow at run time up to the capacity given
/// to [`SlidingMax::new`]; nothing allocates after construction (a clone reserves the full
/// capacity too).
#[derive(Debug)]
pub struct SlidingMax {
    /// `(time, value)` with strictly decreasing values from front to back.
    queue: VecDeque<(u64, f64)>,
    capacity: usize,
    window: usize,
    time: u64,
}

impl Clone for SlidingMax {
    fn clone(&self) -> SlidingMax {
        let mut queue = VecDeque::with_capacity(self.capacity + 1);
        queue.extend(self.queue.iter().copied());
        SlidingMax {
            queue,
            capacity: self.capacity,
            window: self.window,
            time: self.time,
        }
    }
}

impl SlidingMax {
    /// A window of `window` values (at least 1), able to grow to `capacity`; allocates.
    pub fn new(window: usize, capacity: usize) -> SlidingMax {
        let capacity = capacity.max(window).max(1);
        SlidingMax {
            queue: VecDeque::with_capacity(capacity + 1),
            capacity,
            window: window.clamp(1, capacity),
            time: 0,
        }
    }

    /// Changes the window length (clamped to `1..=capacity`).
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.capacity);
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Pushes a value and returns the largest of the last `window` values (this one
    /// included; values from before the first push count as `f64::NEG_INFINITY`).
    #[inline]
    pub fn push(&mut self, value: f64) -> f64 {
        let t = self.time;
        self.time = self.time.wrapping_add(1);
        let oldest_kept = t.saturating_sub(self.window as u64 - 1);
        while self
            .queue
            .front()
            .is_some_and(|&(time, _)| time < oldest_kept)
        {
            self.queue.pop_front();
        }
        while self.queue.back().is_some_and(|&(_, v)| v <= value) {
            self.queue.pop_back();
        }
        // The queue holds at most `window - 1 <= capacity - 1` entries here, so this push
        // stays within the reserved capacity.
        if self.queue.len() < self.capacity {
            self.queue.push_back((t, value));
        }
        self.queue.front().map_or(value, |&(_, v)| v)
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.queue.clear();
        self.time = 0;
    }
}

/// How a detector measures level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// The largest `|x|` over the last [`PEAK_HOLD_MS`]: a steady sine of 100 Hz or more
    /// reads its peak amplitude.
    Peak,
    /// The root mean square over an exponential window of [`RMS_WINDOW_MS`]: a steady sine
    /// reads its peak amplitude / sqrt 2.
    Rms,
}

/// How long the peak detector holds the largest `|x|`: long enough to bridge the gap
/// between the peaks of a 100 Hz sine, so the detected level does not ripple.
pub const PEAK_HOLD_MS: f64 = 5.0;

/// The time constant of the RMS detector's mean-square average.
pub const RMS_WINDOW_MS: f64 = 10.0;

/// The smallest level detectors report (-200 dBFS), so the level in dB stays finite.
pub const LEVEL_FLOOR: f64 = 1e-10;

/// A level detector measuring both the held peak and the RMS of one signal.
#[derive(Debug, Clone)]
pub struct LevelDetector {
    hold: SlidingMax,
    mean_square: f64,
    rms_coefficient: f64,
}

impl LevelDetector {
    /// A detector at `sample_rate`; allocates the peak-hold queue.
    pub fn new(sample_rate: f64) -> LevelDetector {
        let hold = ((PEAK_HOLD_MS * 0.001 * sample_rate).round() as usize).max(1);
        LevelDetector {
            hold: SlidingMax::new(hold, hold),
            mean_square: 0.0,
            rms_coefficient: one_pole_coefficient(RMS_WINDOW_MS, sample_rate),
        }
    }

    /// The number of frames the peak detector holds a peak.
    pub fn hold_frames(&self) -> usize {
        self.hold.window()
    }

    /// Feeds one sample; returns `(peak, rms)`, each at least [`LEVEL_FLOOR`].
    #[inline]
    pub fn process(&mut self, x: f64) -> (f64, f64) {
        let x = if x.is_finite() { x } else { 0.0 };
        let peak = self.hold.push(x.abs());
        let a = self.rms_coefficient;
        self.mean_square = a * self.mean_square + (1.0 - a) * x * x;
        if self.mean_square < LEVEL_FLOOR * LEVEL_FLOOR {
            self.mean_square = 0.0;
        }
        (
            peak.max(LEVEL_FLOOR),
            self.mean_square.sqrt().max(LEVEL_FLOOR),
        )
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.hold.reset();
        self.mean_square = 0.0;
    }
}

/// Converts a linear level (at least [`LEVEL_FLOOR`]) to dB.
#[inline]
pub fn level_db(level: f64) -> f64 {
    20.0 * level.max(LEVEL_FLOOR).log10()
}

/// Smooth-branching ballistics on a gain reduction in dB (Giannoulis, Massberg and Reiss,
/// "Digital dynamic range compressor design", JAES 2012): a one-pole filter whose
/// coefficient is `rise` while the target is above the state and `fall` otherwise. A step
/// of the target is followed exactly exponentially with the time constant of the branch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ballistics {
    state: f64,
}

impl Ballistics {
    /// At rest at 0 dB.
    pub fn new() -> Ballistics {
        Ballistics::default()
    }

    /// Moves toward `target` with coefficient `rise` (target above the state) or `fall`
    /// (target below) and returns the new state.
    #[inline]
    pub fn process(&mut self, target: f64, rise: f64, fall: f64) -> f64 {
        let a = if target > self.state { rise } else { fall };
        let next = target + a * (self.state - target);
        // Flush what decays toward zero before it turns denormal.
        self.state = if next.is_finite() && next.abs() > 1e-12 {
            next
        } else if next.is_finite() {
            0.0
        } else {
            target
        };
        self.state
    }

    /// The state now.
    pub fn value(&self) -> f64 {
        self.state
    }

    /// Back to 0 dB.
    pub fn reset(&mut self) {
        self.state = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_max_matches_a_brute_force_window() {
        let xs: Vec<f64> = (0..500).map(|n| ((n * 7919 + 13) % 101) as f64).collect();
        for window in [1, 2, 7, 64] {
            let mut m = SlidingMax::new(window, 64);
            for (n, &x) in xs.iter().enumerate() {
                let got = m.push(x);
                let want = xs[n.saturating_sub(window - 1)..=n]
                    .iter()
                    .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                assert_eq!(got, want, "window {window} at {n}");
            }
        }
    }

    #[test]
    fn a_clone_keeps_the_reserved_capacity() {
        let m = SlidingMax::new(100, 100).clone();
        assert!(m.queue.capacity() > 100);
    }

    #[test]
    fn sliding_max_window_can_change_at_run_time() {
        let mut m = SlidingMax::new(10, 10);
        m.push(5.0);
        for _ in 0..3 {
            m.push(1.0);
        }
        assert_eq!(m.push(1.0), 5.0);
        m.set_window(3);
        assert_eq!(m.push(1.0), 1.0);
    }

    #[test]
    fn one_pole_covers_one_minus_one_over_e_in_the_time_constant() {
        let fs = 48_000.0;
        let a = one_pole_coefficient(10.0, fs);
        let mut b = Ballistics::new();
        for _ in 0..480 {
            b.process(1.0, a, a);
        }
        assert!(
            (b.value() - (1.0 - (-1.0f64).exp())).abs() < 1e-3,
            "{}",
            b.value()
        );
        assert_eq!(one_pole_coefficient(0.0, fs), 0.0);
    }

    #[test]
    fn ballistics_branch_on_direction() {
        let mut b = Ballistics::new();
        assert_eq!(b.process(10.0, 0.5, 0.9), 5.0);
        // Falling uses the other coefficient.
        assert!((b.process(0.0, 0.5, 0.9) - 4.5).abs() < 1e-12);
    }

    #[test]
    fn detectors_read_a_sine_as_peak_and_peak_over_root_two() {
        let fs = 48_000.0;
        let mut d = LevelDetector::new(fs);
        let (mut peak, mut rms) = (0.0, 0.0);
        for n in 0..48_000 {
            (peak, rms) =
                d.process(0.5 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / fs).sin());
        }
        assert!((level_db(peak) - level_db(0.5)).abs() < 0.01);
        assert!((level_db(rms) - level_db(0.5 / 2f64.sqrt())).abs() < 0.05);
    }
}
