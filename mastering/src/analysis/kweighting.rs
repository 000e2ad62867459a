//! K-weighted energy of every frame (ITU-R BS.1770): each channel through the K-weighting
//! filter (the engine's design), squared and weighted by its channel weight (ebur128's
//! default layout), summed over channels. Loudness is the mean of these energies over a
//! window; the loudness meter and the limiter model both start from them.
//!
//! The filter runs in direct form I in double precision, two channels at a time, with the
//! feedback of the previous output added last: each section's recursion then waits on one
//! multiply and one subtraction per sample, and the two channels' recursions overlap.

use mixgraph_engine::live::kweighting::{Biquad, k_weighting};

/// Weight of a surround channel.
const SURROUND: f64 = 1.41;
/// Filter memories under this magnitude are cleared after each block (silence then stays
/// exactly silent, never decaying into denormal numbers).
const FLUSH: f64 = 1e-30;

/// The memories of one section: its last two inputs and outputs.
#[derive(Debug, Clone, Copy, Default)]
struct Memories {
    x1: f64,
    x2: f64,
    y1: f64,
    y2: f64,
}

impl Memories {
    /// Clears memories too small to matter.
    fn flush(&mut self) {
        for m in [&mut self.x1, &mut self.x2, &mut self.y1, &mut self.y2] {
            if m.abs() < FLUSH {
                *m = 0.0;
            }
        }
    }
}

/// One channel that counts: its index, weight and filter memories.
#[derive(Debug, Clone)]
struct Channel {
    index: usize,
    weight: f64,
    memories: [Memories; 2],
}

/// The K-weighting filters of every channel that counts, with their weights.
#[derive(Debug, Clone)]
pub(crate) struct KWeighting {
    sections: [Biquad; 2],
    /// Every channel whose weight is not zero.
    channels: Vec<Channel>,
}

impl KWeighting {
    /// Filters at rest for `channels` channels at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32, channels: usize) -> Self {
        Self {
            sections: k_weighting(f64::from(sample_rate)),
            channels: (0..channels)
                .map(|c| Channel {
                    index: c,
                    weight: channel_weight(channels, c),
                    memories: [Memories::default(); 2],
                })
                .filter(|c| c.weight > 0.0)
                .collect(),
        }
    }

    /// Writes into `energies[n]` the weighted sum over channels of the squared K-weighted
    /// sample at frame `n` of the block. `energies` is resized to the block's length (the
    /// shortest channel's). Non-finite samples count as silence.
    pub(crate) fn energies(&mut self, block: &[&[f32]], energies: &mut Vec<f64>) {
        let frames = block.iter().map(|c| c.len()).min().unwrap_or(0);
        energies.clear();
        energies.resize(frames, 0.0);
        let samples = |c: usize| block.get(c).and_then(|x| x.get(..frames)).unwrap_or(&[]);
        let [s0, s1] = &self.sections;
        // Two channels at a time; the memories are copied into locals so that they stay in
        // registers (they could alias `energies` otherwise).
        let mut pairs = self.channels.chunks_exact_mut(2);
        for pair in &mut pairs {
            let [c0, c1] = pair else {
                continue;
            };
            let (w0, w1) = (c0.weight, c1.weight);
            let ([mut a0, mut a1], [mut b0, mut b1]) = (c0.memories, c1.memories);
            for ((e, &x0), &x1) in energies
                .iter_mut()
                .zip(samples(c0.index))
                .zip(samples(c1.index))
            {
                let y0 = step(s1, &mut a1, step(s0, &mut a0, finite(x0)));
                let y1 = step(s1, &mut b1, step(s0, &mut b0, finite(x1)));
                *e += w0 * y0 * y0 + w1 * y1 * y1;
            }
            c0.memories = [a0, a1];
            c1.memories = [b0, b1];
        }
        for c in pairs.into_remainder() {
            let w = c.weight;
            let [mut m0, mut m1] = c.memories;
            for (e, &x) in energies.iter_mut().zip(samples(c.index)) {
                let y = step(s1, &mut m1, step(s0, &mut m0, finite(x)));
                *e += w * y * y;
            }
            c.memories = [m0, m1];
        }
        for c in &mut self.channels {
            c.memories.iter_mut().for_each(Memories::flush);
        }
    }
}

/// One sample through one section.
#[inline(always)]
fn step(s: &Biquad, m: &mut Memories, x: f64) -> f64 {
    let y = (s.b[0] * x + s.b[1] * m.x1 + s.b[2] * m.x2 - s.a[2] * m.y2) - s.a[1] * m.y1;
    m.x2 = m.x1;
    m.x1 = x;
    m.y2 = m.y1;
    m.y1 = y;
    y
}

/// `x` in double precision, or 0 when it is not finite.
fn finite(x: f32) -> f64 {
    if x.is_finite() { f64::from(x) } else { 0.0 }
}

/// BS.1770 channel weight in ebur128's default layout (L, R, C, LFE, Ls, Rs; 4 channels
/// L, R, Ls, Rs; 5 channels L, R, C, Ls, Rs): 1 for front channels, 1.41 for surrounds, 0
/// for LFE and channels beyond the sixth.
pub(crate) fn channel_weight(channels: usize, index: usize) -> f64 {
    match (channels, index) {
        (4, 2 | 3) | (5, 3 | 4) => SURROUND,
        (4, _) | (5, _) => 1.0,
        (_, 0..=2) => 1.0,
        (_, 4 | 5) => SURROUND,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use mixgraph_engine::live::kweighting::KFilter;

    use super::*;

    #[test]
    fn energies_are_the_weighted_squares_of_each_filter_alone() {
        // Six channels (one of them LFE, weight 0) and a seventh beyond the layout: the
        // energies equal the sum computed here from one filter per channel.
        let rate = 48_000;
        let channels: Vec<Vec<f32>> = (0..7)
            .map(|c| {
                (0..3000)
                    .map(|i| ((i * (3 + c) % 101) as f32 / 101.0 - 0.5) * 0.8)
                    .collect()
            })
            .collect();
        let mut expected = vec![0.0f64; 3000];
        for (c, x) in channels.iter().enumerate() {
            let mut filter = KFilter::new(f64::from(rate));
            let w = [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 0.0][c];
            for (e, &s) in expected.iter_mut().zip(x) {
                let k = filter.filter(s);
                *e += w * k * k;
            }
        }
        let mut weighting = KWeighting::new(rate, 7);
        let mut energies = Vec::new();
        let mut got = Vec::new();
        for start in (0..3000).step_by(700) {
            let end = (start + 700).min(3000);
            let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            weighting.energies(&block, &mut energies);
            got.extend_from_slice(&energies);
        }
        // The same design, its operations in another order: equal to rounding, which the
        // high-pass's poles near 1 amplify to about 1e-12.
        for (n, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!(
                (g - e).abs() <= 1e-9 * e.abs().max(1e-9),
                "frame {n}: {g} vs {e}"
            );
        }
    }

    #[test]
    fn silence_after_a_signal_settles_to_exact_zero() {
        // The high-pass rings down; the memories are cleared once they are negligible, so
        // digital silence reads exactly silent (and never runs on denormal numbers).
        let mut weighting = KWeighting::new(44_100, 1);
        let mut energies = Vec::new();
        weighting.energies(&[&[0.9; 4410]], &mut energies);
        assert!(energies.iter().all(|e| e.is_finite()) && energies[100] > 0.0);
        let silence = [0.0f32; 4410];
        let mut blocks = 0;
        loop {
            weighting.energies(&[&silence], &mut energies);
            blocks += 1;
            if energies.iter().all(|&e| e == 0.0) {
                break;
            }
            assert!(blocks < 100, "still ringing after {blocks} blocks");
        }
        assert!(energies.iter().all(|e| e.to_bits() == 0));
    }

    #[test]
    fn weights_follow_ebur128s_default_layouts() {
        let weights = |n: usize| (0..n).map(|c| channel_weight(n, c)).collect::<Vec<_>>();
        assert_eq!(weights(1), [1.0]);
        assert_eq!(weights(2), [1.0, 1.0]);
        assert_eq!(weights(4), [1.0, 1.0, 1.41, 1.41]);
        assert_eq!(weights(5), [1.0, 1.0, 1.0, 1.41, 1.41]);
        assert_eq!(weights(8), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 0.0, 0.0]);
    }
}
