//! K-weighted energy of every frame (ITU-R BS.1770): each channel through the K-weighting
//! filter, squared and weighted by its channel weight (ebur128's default layout), summed
//! over channels. Loudness is the mean of these energies over a window; the loudness meter
//! and the limiter model both start from them.

use mixgraph_engine::live::kweighting::KFilter;

/// Weight of a surround channel.
const SURROUND: f64 = 1.41;

/// The K-weighting filters of every channel that counts, with their weights.
#[derive(Debug, Clone)]
pub(crate) struct KWeighting {
    /// `(channel index, weight, filter)` of every channel whose weight is not zero.
    channels: Vec<(usize, f64, KFilter)>,
}

impl KWeighting {
    /// Filters at rest for `channels` channels at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32, channels: usize) -> Self {
        Self {
            channels: (0..channels)
                .map(|c| (c, channel_weight(channels, c)))
                .filter(|&(_, w)| w > 0.0)
                .map(|(c, w)| (c, w, KFilter::new(f64::from(sample_rate))))
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
        // Two channels at a time: their filters are independent chains of dependent
        // operations, which the processor then overlaps. The filters are copied into locals
        // so that their state stays in registers (it could alias `energies` otherwise).
        let mut pairs = self.channels.chunks_exact_mut(2);
        for pair in &mut pairs {
            let [(c0, w0, f0), (c1, w1, f1)] = pair else {
                continue;
            };
            let (w0, w1) = (*w0, *w1);
            let (mut k0, mut k1) = (f0.clone(), f1.clone());
            for ((e, &x0), &x1) in energies.iter_mut().zip(samples(*c0)).zip(samples(*c1)) {
                let y0 = k0.filter(finite(x0));
                let y1 = k1.filter(finite(x1));
                *e += w0 * y0 * y0 + w1 * y1 * y1;
            }
            (*f0, *f1) = (k0, k1);
        }
        for (c, w, f) in pairs.into_remainder() {
            let w = *w;
            let mut k = f.clone();
            for (e, &x) in energies.iter_mut().zip(samples(*c)) {
                let y = k.filter(finite(x));
                *e += w * y * y;
            }
            *f = k;
        }
    }
}

/// `x`, or 0 when it is not finite.
fn finite(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
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
        for (n, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!(
                (g - e).abs() <= 1e-12 * e.abs().max(1e-12),
                "frame {n}: {g} vs {e}"
            );
        }
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
