//! Head and tail silence: where the first and the last sample above the silence threshold are.

/// Tracks the first and last frame with a sample above the threshold on any channel.
#[derive(Debug, Clone)]
pub(crate) struct SilenceTracker {
    threshold: f32,
    first_loud: Option<u64>,
    last_loud: Option<u64>,
}

impl SilenceTracker {
    /// A tracker for samples with magnitude above `threshold`.
    pub fn new(threshold: f32) -> Self {
        Self {
            threshold,
            first_loud: None,
            last_loud: None,
        }
    }

    /// Scans one channel of a block whose first frame is frame `start` of the audio.
    pub fn push(&mut self, start: u64, samples: &[f32]) {
        let loud = |x: &f32| x.abs() > self.threshold;
        let Some(last) = samples.iter().rposition(loud) else {
            return;
        };
        let last = start + last as u64;
        self.last_loud = Some(self.last_loud.map_or(last, |l| l.max(last)));
        let search_end = match self.first_loud {
            Some(first) if first <= start => return,
            Some(first) => (first - start) as usize,
            None => samples.len(),
        };
        if let Some(first) = samples
            .get(..search_end)
            .and_then(|s| s.iter().position(loud))
        {
            self.first_loud = Some(start + first as u64);
        }
    }

    /// Head and tail silence in frames for audio of `frames` frames. Audio that is silent
    /// throughout has head and tail silence equal to its length.
    pub fn finish(&self, frames: u64) -> (u64, u64) {
        match (self.first_loud, self.last_loud) {
            (Some(first), Some(last)) => (first, frames.saturating_sub(last + 1)),
            _ => (frames, frames),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_and_last_loud_frame_over_channels_and_blocks() {
        let mut left = vec![0.0f32; 1000];
        let mut right = vec![0.0005f32; 1000];
        left[300] = 0.1;
        right[250] = -0.01;
        left[700] = 0.002;
        for block in [1, 64, 333, 1000] {
            let mut tracker = SilenceTracker::new(0.001);
            for (i, (l, r)) in left.chunks(block).zip(right.chunks(block)).enumerate() {
                let start = (i * block) as u64;
                tracker.push(start, l);
                tracker.push(start, r);
            }
            assert_eq!(tracker.finish(1000), (250, 299), "block size {block}");
        }
    }

    #[test]
    fn silent_audio_is_all_head_and_tail() {
        let mut tracker = SilenceTracker::new(0.001);
        tracker.push(0, &[0.0; 10]);
        assert_eq!(tracker.finish(10), (10, 10));
    }
}
