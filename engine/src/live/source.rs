//! Where a played input comes from: anything that yields planar frames at a known rate. A
//! decoded file is one ([`super::FileSource`]); [`MemorySource`] plays samples held in memory.

use super::error::LiveError;

/// A stream of planar audio frames, read off the audio thread by the decoder thread.
pub trait FrameSource: Send {
    /// Channels per frame.
    fn channels(&self) -> usize;

    /// Frames per second.
    fn sample_rate(&self) -> u32;

    /// Reads up to `max_frames` frames into `out[ch][..n]` (one buffer per channel, each at
    /// least `max_frames` long) and returns `n`; 0 means the end.
    ///
    /// # Errors
    /// [`LiveError::Source`] when the audio cannot be read or decoded.
    fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, LiveError>;
}

/// Samples held in memory, one `Vec` per channel.
#[derive(Debug, Clone)]
pub struct MemorySource {
    channels: Vec<Vec<f32>>,
    sample_rate: u32,
    position: usize,
}

impl MemorySource {
    /// A source playing `channels` (all of the length of the first) at `sample_rate`.
    pub fn new(channels: Vec<Vec<f32>>, sample_rate: u32) -> Self {
        MemorySource {
            channels,
            sample_rate,
            position: 0,
        }
    }

    fn len(&self) -> usize {
        self.channels.iter().map(Vec::len).min().unwrap_or(0)
    }
}

impl FrameSource for MemorySource {
    fn channels(&self) -> usize {
        self.channels.len()
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, LiveError> {
        let n = max_frames.min(self.len() - self.position);
        for (dest, src) in out.iter_mut().zip(&self.channels) {
            let n = n.min(dest.len());
            dest[..n].copy_from_slice(&src[self.position..self.position + n]);
        }
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_source_reads_in_pieces_then_ends() {
        let mut s = MemorySource::new(vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]], 48_000);
        let mut out = vec![vec![0.0; 2]; 2];
        assert_eq!(s.read(&mut out, 2).unwrap(), 2);
        assert_eq!(out, vec![vec![1.0, 2.0], vec![4.0, 5.0]]);
        assert_eq!(s.read(&mut out, 2).unwrap(), 1);
        assert_eq!((out[0][0], out[1][0]), (3.0, 6.0));
        assert_eq!(s.read(&mut out, 2).unwrap(), 0);
    }
}
