//! Click-free switching of a choice parameter (a pan law, a fade curve, a downmix mode):
//! one smoothed weight per option, so a change crossfades from the old option to the new.

use mixgraph_engine::Smoothed;

/// How long a choice change takes to crossfade, in milliseconds.
pub const SWITCH_MS: f64 = 10.0;

/// The crossfade length of a choice change, in frames, at `sample_rate`.
pub fn switch_frames(sample_rate: f64) -> usize {
    (SWITCH_MS * 0.001 * sample_rate).round().max(1.0) as usize
}

/// A weight per option of a choice parameter: 1 for the chosen option and 0 for the others
/// when settled; during a change the weights ramp linearly (always summing to 1), so a node
/// that blends its options' outputs by these weights never jumps.
///
/// A change that arrives during a crossfade continues from the current weights.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceBlend<const N: usize> {
    weights: [Smoothed; N],
    chosen: usize,
    ramp: usize,
}

impl<const N: usize> ChoiceBlend<N> {
    /// Settled on option `choice` (the index a choice parameter arrives as); changes ramp
    /// over `ramp_frames` frames.
    pub fn new(choice: f64, ramp_frames: usize) -> Self {
        let chosen = option_index::<N>(choice);
        ChoiceBlend {
            weights: std::array::from_fn(|i| Smoothed::new(one_hot(i, chosen))),
            chosen,
            ramp: ramp_frames,
        }
    }

    /// Crossfades to option `choice` (out-of-range values pick the nearest option).
    pub fn set(&mut self, choice: f64) {
        self.chosen = option_index::<N>(choice);
        for (i, w) in self.weights.iter_mut().enumerate() {
            w.set(one_hot(i, self.chosen), self.ramp);
        }
    }

    /// Jumps to option `choice` with no crossfade.
    pub fn reset(&mut self, choice: f64) {
        self.chosen = option_index::<N>(choice);
        for (i, w) in self.weights.iter_mut().enumerate() {
            w.reset(one_hot(i, self.chosen));
        }
    }

    /// The option being switched to (or settled on).
    pub fn chosen(&self) -> usize {
        self.chosen
    }

    /// Whether no crossfade is running (the weights are exactly one-hot).
    pub fn is_settled(&self) -> bool {
        self.weights.iter().all(Smoothed::is_settled)
    }

    /// Advances one frame and returns the weights.
    #[inline]
    #[allow(
        clippy::should_implement_trait,
        reason = "named like Smoothed::next; a blend never ends, so it is no Iterator"
    )]
    pub fn next(&mut self) -> [f64; N] {
        std::array::from_fn(|i| self.weights[i].next())
    }

    /// The weights now, without advancing.
    #[inline]
    pub fn weights(&self) -> [f64; N] {
        std::array::from_fn(|i| self.weights[i].value())
    }
}

fn one_hot(i: usize, chosen: usize) -> f64 {
    if i == chosen { 1.0 } else { 0.0 }
}

/// The option index a choice value stands for, clamped to the options.
fn option_index<const N: usize>(choice: f64) -> usize {
    if choice.is_finite() && choice > 0.0 {
        (choice.round() as usize).min(N.saturating_sub(1))
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settled_weights_are_one_hot() {
        let b = ChoiceBlend::<3>::new(2.0, 10);
        assert_eq!(b.weights(), [0.0, 0.0, 1.0]);
        assert!(b.is_settled());
        assert_eq!(b.chosen(), 2);
    }

    #[test]
    fn a_change_crossfades_linearly_and_lands_exactly() {
        let mut b = ChoiceBlend::<2>::new(0.0, 4);
        b.set(1.0);
        let seen: Vec<[f64; 2]> = (0..5).map(|_| b.next()).collect();
        assert_eq!(
            seen,
            vec![
                [0.75, 0.25],
                [0.5, 0.5],
                [0.25, 0.75],
                [0.0, 1.0],
                [0.0, 1.0]
            ]
        );
        assert!(b.is_settled());
    }

    #[test]
    fn a_change_during_a_crossfade_continues_from_the_current_weights() {
        let mut b = ChoiceBlend::<3>::new(0.0, 4);
        b.set(1.0);
        b.next();
        b.next(); // [0.5, 0.5, 0]
        b.set(2.0);
        let w = b.next();
        assert_eq!(w, [0.375, 0.375, 0.25]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn out_of_range_choices_pick_the_nearest_option() {
        assert_eq!(ChoiceBlend::<3>::new(7.0, 1).chosen(), 2);
        assert_eq!(ChoiceBlend::<3>::new(-1.0, 1).chosen(), 0);
        assert_eq!(ChoiceBlend::<3>::new(f64::NAN, 1).chosen(), 0);
    }

    #[test]
    fn switch_frames_is_ten_ms() {
        assert_eq!(switch_frames(48_000.0), 480);
    }
}
