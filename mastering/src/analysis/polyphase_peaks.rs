//! Peaks of an interpolated (oversampled) signal, computed a block at a time: each polyphase
//! branch of the interpolation filter is one multiply-add pass over the block per tap, with
//! the sums of many frames held in registers (which the compiler vectorizes), instead of a
//! dot product per frame and phase. The filter design is the caller's: the true-peak meter
//! uses the BS.1770 interpolator, the limiter model the limiter's own.

/// Frames computed together, their sums held in registers across the taps.
const LANES: usize = 32;

/// The taps of one polyphase branch: `(j, h)` is the weight `h` of the input `j` frames
/// back. A branch's output at frame `n` is the sum of `h * x[n - j]`, added in the order
/// given (so that the result is bit for bit the one of an interpolator summing in that
/// order).
pub(crate) type Branch = Vec<(usize, f32)>;

/// The largest `j` of any tap: the frames of history the branches read back.
pub(crate) fn history_of(branches: &[Branch]) -> usize {
    branches
        .iter()
        .flatten()
        .map(|&(j, _)| j)
        .max()
        .unwrap_or(0)
}

/// One channel's samples as the branches read them: the last `history` samples of the
/// previous block, then the current block (non-finite samples as 0, silence before the
/// first block).
#[derive(Debug, Clone)]
pub(crate) struct ChannelHistory {
    history: usize,
    buffer: Vec<f32>,
}

impl ChannelHistory {
    /// `history` frames of silence.
    pub(crate) fn new(history: usize) -> Self {
        Self {
            history,
            buffer: vec![0.0; history],
        }
    }

    /// Appends the next block and returns the samples the branches read for it: sample `n`
    /// of the block is at `history + n`.
    pub(crate) fn load(&mut self, samples: &[f32]) -> &[f32] {
        // Keep the last `history` samples of the previous block.
        let drop = self.buffer.len().saturating_sub(self.history);
        self.buffer.drain(..drop);
        self.buffer
            .extend(samples.iter().map(|&x| if x.is_finite() { x } else { 0.0 }));
        &self.buffer
    }
}

/// Block-wise peak scanning of the interpolated signal of every channel, frame by frame.
#[derive(Debug, Clone)]
pub(crate) struct PolyphasePeaks {
    branches: Vec<Branch>,
    /// Frames of history a branch reads back (its largest `j`).
    history: usize,
    channels: Vec<ChannelHistory>,
}

impl PolyphasePeaks {
    /// A scanner of `channels` channels through `branches` (zero taps may be left out: they
    /// add nothing to a finite sum).
    pub(crate) fn new(branches: Vec<Branch>, channels: usize) -> Self {
        let history = history_of(&branches);
        Self {
            branches,
            history,
            channels: vec![ChannelHistory::new(history); channels],
        }
    }

    /// Writes into `peaks[n]` the largest interpolated magnitude over all channels and
    /// branches at frame `n` of the block. `peaks` is resized to the block's length (the
    /// shortest channel's). Non-finite samples count as silence.
    pub(crate) fn frame_peaks(&mut self, block: &[&[f32]], peaks: &mut Vec<f32>) {
        let frames = block.iter().map(|c| c.len()).min().unwrap_or(0);
        peaks.clear();
        peaks.resize(frames, 0.0);
        for (history, channel) in self.channels.iter_mut().zip(block) {
            let buffer = history.load(channel.get(..frames).unwrap_or_default());
            for branch in &self.branches {
                raise_peaks(branch, buffer, self.history, peaks);
            }
        }
    }
}

/// Raises `peaks[n]` to the magnitude of one branch's output at every frame `n` of the
/// block, whose sample `n` is `buffer[history + n]`.
pub(crate) fn raise_peaks(
    branch: &[(usize, f32)],
    buffer: &[f32],
    history: usize,
    peaks: &mut [f32],
) {
    let frames = peaks.len();
    let mut n = 0;
    while n + LANES <= frames {
        let mut sums = [0.0f32; LANES];
        for &(j, h) in branch {
            let start = history + n - j;
            let Some(x) = buffer
                .get(start..start + LANES)
                .and_then(|x| <&[f32; LANES]>::try_from(x).ok())
            else {
                continue;
            };
            for (s, &x) in sums.iter_mut().zip(x) {
                *s += h * x;
            }
        }
        for (peak, s) in peaks[n..n + LANES].iter_mut().zip(sums) {
            *peak = peak.max(s.abs());
        }
        n += LANES;
    }
    let rest = frames - n;
    let mut sums = [0.0f32; LANES];
    for &(j, h) in branch {
        let start = history + n - j;
        if let Some(x) = buffer.get(start..start + rest) {
            for (s, &x) in sums.iter_mut().zip(x) {
                *s += h * x;
            }
        }
    }
    for (peak, s) in peaks[n..].iter_mut().zip(sums) {
        *peak = peak.max(s.abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct evaluation: every frame, every branch, a dot product over the taps.
    fn direct(branches: &[Branch], channels: &[Vec<f32>]) -> Vec<Vec<f32>> {
        channels
            .iter()
            .map(|x| {
                (0..x.len())
                    .map(|n| {
                        branches
                            .iter()
                            .map(|b| {
                                b.iter()
                                    .map(|&(j, h)| h * n.checked_sub(j).map_or(0.0, |i| x[i]))
                                    .sum::<f32>()
                                    .abs()
                            })
                            .fold(0.0, f32::max)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn peaks_equal_a_direct_evaluation_at_any_block_size() {
        let branches: Vec<Branch> = vec![
            vec![(0, 0.5), (1, 0.25), (3, -0.125)],
            vec![(1, 1.0)],
            vec![(0, 0.1), (2, 0.7), (5, 0.2)],
        ];
        let channels: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                (0..700)
                    .map(|i| ((i * (7 + c) % 97) as f32 / 97.0 - 0.5) * 1.5)
                    .collect()
            })
            .collect();
        let expected = direct(&branches, &channels);
        for size in [1, 5, 32, 100, 700] {
            let mut frames = PolyphasePeaks::new(branches.clone(), 2);
            assert_eq!(frames.history, 5);
            let mut peaks = Vec::new();
            let mut start = 0;
            while start < 700 {
                let end = (start + size).min(700);
                let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
                frames.frame_peaks(&block, &mut peaks);
                for (k, &p) in peaks.iter().enumerate() {
                    let want = expected[0][start + k].max(expected[1][start + k]);
                    assert!((p - want).abs() < 1e-6, "size {size}, frame {}", start + k);
                }
                start = end;
            }
        }
    }

    #[test]
    fn non_finite_samples_count_as_silence() {
        let mut scanner = PolyphasePeaks::new(vec![vec![(0, 1.0), (1, 1.0)]], 1);
        let mut peaks = Vec::new();
        scanner.frame_peaks(&[&[0.5, f32::NAN, f32::INFINITY, 0.25]], &mut peaks);
        assert_eq!(peaks, [0.5, 0.5, 0.0, 0.25]);
    }
}
