//! A channel's recent past followed by the block being processed, in one contiguous slice:
//! a block-wise filter reads back from any frame of the block, and a delay of up to the
//! history length reads its output as a slice. Samples are moved only when the buffer's
//! spare room runs out (at most once per `history` frames, amortized under one copy per
//! frame), never per sample.

/// The last `history` samples of a signal, then the current block.
#[derive(Debug, Clone)]
pub struct BlockHistory {
    buf: Vec<f32>,
    history: usize,
    max_block: usize,
    /// `buf[start..start + history]` is the history, the block follows it.
    start: usize,
    /// Frames of the current block.
    block: usize,
}

impl BlockHistory {
    /// Silence as history, room for blocks of up to `max_block` frames; allocates.
    pub fn new(history: usize, max_block: usize) -> BlockHistory {
        let max_block = max_block.max(1);
        // Room for the history, a block, and as much again before samples move.
        let len = 2 * history + 2 * max_block;
        BlockHistory {
            buf: vec![0.0; len],
            history,
            max_block,
            start: 0,
            block: 0,
        }
    }

    /// The samples kept before each block.
    pub fn history(&self) -> usize {
        self.history
    }

    /// Starts a block of `frames` frames (at most the `max_block` given to
    /// [`BlockHistory::new`]) and returns it to be written. The previous block, if not
    /// ended with [`BlockHistory::commit`], is discarded.
    pub fn begin(&mut self, frames: usize) -> &mut [f32] {
        let frames = frames.min(self.max_block);
        let end = self.start + self.history + frames;
        if end > self.buf.len() {
            self.buf
                .copy_within(self.start..self.start + self.history, 0);
            self.start = 0;
        }
        self.block = frames;
        let from = self.start + self.history;
        self.buf.get_mut(from..from + frames).unwrap_or(&mut [])
    }

    /// The current block with the `back` samples before it (`back` at most the history).
    pub fn with_history(&self, back: usize) -> &[f32] {
        self.window(0, back)
    }

    /// The current block delayed by `delay` frames (at most the history): sample `i` is the
    /// signal `delay` frames before sample `i` of the block.
    pub fn delayed(&self, delay: usize) -> &[f32] {
        self.window(delay, 0)
    }

    /// The current block delayed by `delay` frames with the `back` samples before it
    /// (`delay + back` at most the history; both are reduced to fit).
    pub fn window(&self, delay: usize, back: usize) -> &[f32] {
        let delay = delay.min(self.history);
        let back = back.min(self.history - delay);
        let from = self.start + self.history - delay - back;
        self.buf.get(from..from + back + self.block).unwrap_or(&[])
    }

    /// Ends the current block: its samples become the most recent history.
    pub fn commit(&mut self) {
        self.start += self.block;
        self.block = 0;
    }

    /// Back to silence.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.start = 0;
        self.block = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_across_blocks_and_moves() {
        let history = 5;
        let mut h = BlockHistory::new(history, 4);
        let signal: Vec<f32> = (1..=200).map(|n| n as f32).collect();
        let at = |n: isize| if n < 0 { 0.0 } else { signal[n as usize] };
        let mut pos = 0;
        for size in [1, 4, 3, 2, 4, 4, 1].iter().cycle() {
            if pos + size > signal.len() {
                break;
            }
            h.begin(*size).copy_from_slice(&signal[pos..pos + size]);
            let window = h.with_history(history);
            for (i, &x) in window.iter().enumerate() {
                assert_eq!(x, at(pos as isize - history as isize + i as isize));
            }
            let delayed = h.delayed(3);
            assert_eq!(delayed.len(), *size);
            for (i, &x) in delayed.iter().enumerate() {
                assert_eq!(x, at((pos + i) as isize - 3));
            }
            let window = h.window(3, 2);
            assert_eq!(window.len(), *size + 2);
            for (i, &x) in window.iter().enumerate() {
                assert_eq!(x, at((pos + i) as isize - 5));
            }
            h.commit();
            pos += size;
        }
        assert!(pos > 150);
        h.reset();
        h.begin(2).copy_from_slice(&[7.0, 8.0]);
        assert_eq!(
            h.with_history(history),
            &[0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 8.0]
        );
    }

    #[test]
    fn oversized_requests_are_clamped() {
        let mut h = BlockHistory::new(2, 3);
        assert_eq!(h.begin(10).len(), 3);
        assert_eq!(h.with_history(9).len(), 5);
        assert_eq!(h.delayed(9).len(), 3);
        assert_eq!(h.window(1, 9).len(), 4);
    }
}
