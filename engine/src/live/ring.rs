//! The lock-free single-producer single-consumer ring that carries one chain input's audio
//! (interleaved frames) from a decoder or capture thread to the audio callback.
//!
//! The writer pushes whole frames and marks the end of the input; the reader (on the audio
//! thread) pulls a block, de-interleaving into per-channel buffers, and tells a short read at
//! the end of the input apart from an underrun. Neither side allocates, locks or waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rtrb::{Consumer, Producer, RingBuffer};

/// The writing end of an input ring.
pub struct RingWriter {
    name: String,
    producer: Producer<f32>,
    channels: usize,
    ended: Arc<AtomicBool>,
}

/// How the reading end treats its ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RingMode {
    /// Fed from a file, ahead of time: an empty ring before the end is an underrun.
    File,
    /// Fed by a capture device in real time: wait until `target` frames are buffered before
    /// reading (and again after an underrun); skip back to `target` when more than `ceiling`
    /// frames pile up (the two device clocks drift apart).
    Capture {
        /// Frames to hold before reading.
        target: usize,
        /// Frames above which the excess is skipped.
        ceiling: usize,
    },
}

/// The reading end of an input ring, owned by the audio callback.
pub(crate) struct RingReader {
    consumer: Consumer<f32>,
    channels: usize,
    ended: Arc<AtomicBool>,
    mode: RingMode,
    primed: bool,
}

/// What one pull found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pulled {
    /// Frames of real input copied; the rest of the block was filled with silence.
    pub frames: usize,
    /// The input has ended and every frame of it has been read.
    pub exhausted: bool,
    /// Fewer frames than asked were ready although the input has not ended.
    pub underrun: bool,
    /// Frames skipped to keep a capture ring's latency bounded.
    pub skipped: usize,
}

/// A ring of `capacity_frames` frames of `channels` channels for the input `name`.
pub(crate) fn ring(
    name: &str,
    channels: usize,
    capacity_frames: usize,
    mode: RingMode,
) -> (RingWriter, RingReader) {
    let channels = channels.max(1);
    let (producer, consumer) = RingBuffer::new(capacity_frames.max(1) * channels);
    let ended = Arc::new(AtomicBool::new(false));
    (
        RingWriter {
            name: name.to_string(),
            producer,
            channels,
            ended: ended.clone(),
        },
        RingReader {
            consumer,
            channels,
            ended,
            mode,
            primed: matches!(mode, RingMode::File),
        },
    )
}

impl RingWriter {
    /// The chain input this ring feeds.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Whole frames that fit now.
    pub fn free_frames(&self) -> usize {
        self.producer.slots() / self.channels
    }

    /// Pushes as many whole frames of `interleaved` as fit; returns the frames pushed.
    pub fn push_interleaved(&mut self, interleaved: &[f32]) -> usize {
        let frames = (interleaved.len() / self.channels).min(self.free_frames());
        let (pushed, _) = self
            .producer
            .push_partial_slice(&interleaved[..frames * self.channels]);
        pushed.len() / self.channels
    }

    /// Pushes up to `frames` frames produced by `sample(frame, channel)`; returns the frames
    /// pushed (fewer when the ring is full). Allocation-free, for capture callbacks.
    pub fn push_with(
        &mut self,
        frames: usize,
        mut sample: impl FnMut(usize, usize) -> f32,
    ) -> usize {
        let frames = frames.min(self.free_frames());
        let channels = self.channels;
        match self.producer.write_chunk_uninit(frames * channels) {
            Ok(chunk) => {
                let iter = (0..frames * channels).map(|i| sample(i / channels, i % channels));
                chunk.fill_from_iter(iter) / channels
            }
            Err(_) => 0,
        }
    }

    /// Marks the end of the input: once the reader has drained the ring, the input reads as
    /// silence without counting underruns.
    pub fn finish(&self) {
        self.ended.store(true, Ordering::Release);
    }

    /// Whether [`RingWriter::finish`] was called.
    pub fn is_finished(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }
}

impl RingReader {
    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Fills `dest[ch][..frames]` from the ring, silence where no input is ready.
    pub fn pull(&mut self, dest: &mut [Box<[f32]>], frames: usize) -> Pulled {
        // Read the end flag before the fill level: every frame pushed before `finish` is
        // then visible, so a short ring after the end is the true end, not an underrun.
        let ended = self.ended.load(Ordering::Acquire);
        let channels = self.channels;
        let mut available = self.consumer.slots() / channels;
        let mut skipped = 0;
        if let RingMode::Capture { target, ceiling } = self.mode {
            if !self.primed && available >= target {
                self.primed = true;
            }
            if self.primed && available > ceiling {
                skipped = available - target;
                if let Ok(chunk) = self.consumer.read_chunk(skipped * channels) {
                    chunk.commit_all();
                }
                available = target;
            }
        }
        let take = if self.primed {
            available.min(frames)
        } else {
            0
        };
        if let Ok(chunk) = self.consumer.read_chunk(take * channels) {
            let (first, second) = chunk.as_slices();
            let mut frame = 0;
            for part in [first, second] {
                for samples in part.chunks_exact(channels) {
                    for (ch, &x) in samples.iter().enumerate() {
                        if let Some(d) = dest.get_mut(ch).and_then(|d| d.get_mut(frame)) {
                            *d = x;
                        }
                    }
                    frame += 1;
                }
            }
            chunk.commit_all();
        }
        for d in dest.iter_mut() {
            let start = take.min(d.len());
            let end = frames.min(d.len());
            if start < end {
                d[start..end].fill(0.0);
            }
        }
        let short = take < frames;
        let underrun = short && !ended && self.primed;
        if underrun && matches!(self.mode, RingMode::Capture { .. }) {
            // Let the ring fill up to the target again before reading on.
            self.primed = false;
        }
        Pulled {
            frames: take,
            exhausted: ended && short,
            underrun,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffers(channels: usize, len: usize) -> Vec<Box<[f32]>> {
        (0..channels)
            .map(|_| vec![9.0f32; len].into_boxed_slice())
            .collect()
    }

    #[test]
    fn frames_come_out_deinterleaved_in_order_across_the_wrap() {
        let (mut w, mut r) = ring("in", 2, 5, RingMode::File);
        let mut dest = buffers(2, 4);
        let mut next = 0.0f32;
        let mut expected = 0.0f32;
        for _ in 0..10 {
            let frames: Vec<f32> = (0..3)
                .flat_map(|_| {
                    next += 1.0;
                    [next, -next]
                })
                .collect();
            assert_eq!(w.push_interleaved(&frames), 3);
            let got = r.pull(&mut dest, 3);
            assert_eq!(
                got,
                Pulled {
                    frames: 3,
                    exhausted: false,
                    underrun: false,
                    skipped: 0
                }
            );
            for (l, r) in dest[0].iter().zip(dest[1].iter()).take(3) {
                expected += 1.0;
                assert_eq!((*l, *r), (expected, -expected));
            }
        }
    }

    #[test]
    fn a_short_ring_is_an_underrun_before_the_end_and_the_end_after_it() {
        let (mut w, mut r) = ring("in", 1, 8, RingMode::File);
        let mut dest = buffers(1, 4);
        w.push_interleaved(&[1.0, 2.0]);
        let got = r.pull(&mut dest, 4);
        assert_eq!((got.frames, got.underrun, got.exhausted), (2, true, false));
        assert_eq!(&dest[0][..], &[1.0, 2.0, 0.0, 0.0]);
        w.push_interleaved(&[3.0]);
        w.finish();
        let got = r.pull(&mut dest, 4);
        assert_eq!((got.frames, got.underrun, got.exhausted), (1, false, true));
        assert_eq!(&dest[0][..], &[3.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn the_writer_only_pushes_whole_frames_that_fit() {
        let (mut w, _r) = ring("in", 2, 3, RingMode::File);
        assert_eq!(w.push_interleaved(&[1.0; 5]), 2);
        assert_eq!(w.free_frames(), 1);
        assert_eq!(w.push_with(4, |f, c| (f * 2 + c) as f32), 1);
        assert_eq!(w.free_frames(), 0);
    }

    #[test]
    fn a_capture_ring_waits_for_its_target_and_skips_drift_above_its_ceiling() {
        let (mut w, mut r) = ring(
            "in",
            1,
            64,
            RingMode::Capture {
                target: 4,
                ceiling: 10,
            },
        );
        let mut dest = buffers(1, 2);
        w.push_interleaved(&[1.0, 2.0, 3.0]);
        let got = r.pull(&mut dest, 2);
        assert_eq!(
            (got.frames, got.underrun),
            (0, false),
            "not primed yet: silence, no underrun"
        );
        w.push_interleaved(&[4.0]);
        let got = r.pull(&mut dest, 2);
        assert_eq!(got.frames, 2);
        assert_eq!(&dest[0][..], &[1.0, 2.0]);
        let more: Vec<f32> = (5..=16).map(|x| x as f32).collect();
        w.push_interleaved(&more);
        // 14 frames wait (3..=16): above the ceiling of 10, skip down to the target of 4.
        let got = r.pull(&mut dest, 2);
        assert_eq!(got.skipped, 10);
        assert_eq!(&dest[0][..], &[13.0, 14.0]);
    }
}
