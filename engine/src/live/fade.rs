//! How one chain hands over to the next on the audio thread, and the gain curves of that
//! handover (computed once, so the callback only reads a table).
//!
//! Two kinds of handover:
//! - **crossfade**, when no node state is carried over: both schedules run for the fade and
//!   their outputs are mixed with equal-power gains (cos / sin), so uncorrelated material
//!   keeps its level;
//! - **fade out, swap, fade in**, when nodes of the old chain hand their state to the new one:
//!   the state can only live in one schedule at a time, so the old chain fades to silence,
//!   the processors move at the silent point, and the new chain fades in. Running the old
//!   chain on with freshly reset processors instead would put a transient (filters starting
//!   from zero, an empty look-ahead buffer) into the fade.

use std::f64::consts::FRAC_PI_2;

/// Per-frame gains of a fade of `len` frames.
pub(crate) struct FadeCurves {
    rising: Box<[f32]>,
    falling: Box<[f32]>,
}

impl FadeCurves {
    /// Equal-power curves over `len` frames (at least 1): rising `sin`, falling `cos`.
    pub fn new(len: usize) -> Self {
        let len = len.max(1);
        let at = |t: usize| FRAC_PI_2 * t as f64 / len as f64;
        FadeCurves {
            rising: (0..len).map(|t| at(t).sin() as f32).collect(),
            falling: (0..len).map(|t| at(t).cos() as f32).collect(),
        }
    }

    /// Frames in one fade.
    pub fn len(&self) -> usize {
        self.rising.len()
    }

    /// Gains of the incoming chain for frames `at..at + n` of the fade.
    pub fn rising(&self, at: usize, n: usize) -> &[f32] {
        self.rising
            .get(at..(at + n).min(self.rising.len()))
            .unwrap_or(&[])
    }

    /// Gains of the outgoing chain for frames `at..at + n` of the fade.
    pub fn falling(&self, at: usize, n: usize) -> &[f32] {
        self.falling
            .get(at..(at + n).min(self.falling.len()))
            .unwrap_or(&[])
    }
}

/// Where the audio thread stands in a handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// One chain plays.
    Steady,
    /// Both chains play, `at` frames into the crossfade.
    Crossfade { at: usize },
    /// The old chain fades out, `at` frames in; the new one waits for its state.
    FadeOut { at: usize },
    /// The new chain fades in, `at` frames in; the old one is gone.
    FadeIn { at: usize },
}

impl Phase {
    /// Frames until this phase ends (`usize::MAX` when steady).
    pub fn remaining(self, len: usize) -> usize {
        match self {
            Phase::Steady => usize::MAX,
            Phase::Crossfade { at } | Phase::FadeOut { at } | Phase::FadeIn { at } => {
                len.saturating_sub(at).max(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curves_keep_power_constant_and_run_from_one_gain_to_the_other() {
        let c = FadeCurves::new(480);
        assert_eq!(c.len(), 480);
        assert_eq!((c.rising(0, 1)[0], c.falling(0, 1)[0]), (0.0, 1.0));
        for t in 0..480 {
            let (r, f) = (c.rising(t, 1)[0], c.falling(t, 1)[0]);
            assert!((r * r + f * f - 1.0).abs() < 1e-6);
        }
        assert!(c.rising(479, 1)[0] > 0.9999);
        assert_eq!(
            c.rising(470, 64).len(),
            10,
            "slices stop at the end of the fade"
        );
    }
}
