//! The decoder thread: reads every played input from its [`FrameSource`], interleaves it and
//! keeps its ring topped up ahead of the audio callback. A mono source feeding a wider chain
//! input is duplicated to every channel. At the end of a source the ring is marked finished;
//! on a read error every ring is finished (playback ends cleanly) and the error is kept for
//! the control thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::LiveError;
use super::ring::RingWriter;
use super::source::FrameSource;

/// Frames read from a source at a time.
const CHUNK_FRAMES: usize = 4096;

/// How long the thread sleeps when every ring is full.
const IDLE: Duration = Duration::from_millis(2);

/// One input: its source, its ring, and the frames read but not yet pushed.
pub struct Feed {
    source: Box<dyn FrameSource>,
    writer: RingWriter,
    planar: Vec<Vec<f32>>,
    pending: Vec<f32>,
    sent: usize,
    done: bool,
}

impl Feed {
    /// Binds a source to a ring.
    ///
    /// # Errors
    /// [`LiveError::InputChannels`] when the source is neither mono nor as wide as the ring.
    pub fn new(source: Box<dyn FrameSource>, writer: RingWriter) -> Result<Feed, LiveError> {
        let (found, expected) = (source.channels(), writer.channels());
        if found != expected && found != 1 {
            return Err(LiveError::InputChannels {
                name: writer.name().to_string(),
                expected,
                found,
            });
        }
        Ok(Feed {
            planar: vec![vec![0.0; CHUNK_FRAMES]; found.max(1)],
            pending: Vec::with_capacity(CHUNK_FRAMES * expected),
            source,
            writer,
            sent: 0,
            done: false,
        })
    }

    /// Pushes what is pending, reading more when nothing is; returns whether anything moved.
    fn pump(&mut self) -> Result<bool, LiveError> {
        if self.done {
            return Ok(false);
        }
        if self.sent == self.pending.len() {
            self.read_more()?;
            if self.done {
                return Ok(true);
            }
        }
        let channels = self.writer.channels();
        let pushed = self.writer.push_interleaved(&self.pending[self.sent..]);
        self.sent += pushed * channels;
        Ok(pushed > 0)
    }

    fn read_more(&mut self) -> Result<(), LiveError> {
        let n = self
            .source
            .read(&mut self.planar, CHUNK_FRAMES)
            .map_err(|e| match e {
                LiveError::Source { .. } => e,
                other => LiveError::Source {
                    input: self.writer.name().to_string(),
                    reason: other.to_string(),
                },
            })?;
        self.pending.clear();
        self.sent = 0;
        if n == 0 {
            self.done = true;
            self.writer.finish();
            return Ok(());
        }
        let channels = self.writer.channels();
        for f in 0..n {
            for ch in 0..channels {
                let src = if self.planar.len() == 1 { 0 } else { ch };
                self.pending.push(self.planar[src][f]);
            }
        }
        Ok(())
    }
}

/// Keeps every input ring topped up.
pub struct Feeder {
    feeds: Vec<Feed>,
}

/// Whether a pass moved any audio.
type Moved = bool;

impl Feeder {
    /// A feeder over the given inputs.
    pub fn new(feeds: Vec<Feed>) -> Self {
        Feeder { feeds }
    }

    /// One pass over every input.
    ///
    /// # Errors
    /// The first source that fails to read; every ring is then finished.
    pub fn pump(&mut self) -> Result<Moved, LiveError> {
        let mut moved = false;
        for i in 0..self.feeds.len() {
            match self.feeds[i].pump() {
                Ok(m) => moved |= m,
                Err(e) => {
                    self.finish_all();
                    return Err(e);
                }
            }
        }
        Ok(moved)
    }

    /// Fills every ring as far as it goes (or to the end of its input), before playback
    /// starts.
    ///
    /// # Errors
    /// As [`Feeder::pump`].
    pub fn prefill(&mut self) -> Result<(), LiveError> {
        while self.pump()? {}
        Ok(())
    }

    /// Every source has reached its end.
    pub fn is_done(&self) -> bool {
        self.feeds.iter().all(|f| f.done)
    }

    fn finish_all(&mut self) {
        for f in &mut self.feeds {
            f.done = true;
            f.writer.finish();
        }
    }

    /// Runs the feeder on its own thread until every source ends or `stop` is set.
    ///
    /// # Errors
    /// [`LiveError::Thread`] when the thread cannot be started.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> Result<FeederThread, LiveError> {
        let handle = std::thread::Builder::new()
            .name("mixgraph-decoder".into())
            .spawn(move || {
                while !stop.load(Ordering::Acquire) && !self.is_done() {
                    if !self.pump()? {
                        std::thread::sleep(IDLE);
                    }
                }
                Ok(())
            })
            .map_err(|source| LiveError::Thread {
                name: "decoder",
                source,
            })?;
        Ok(FeederThread {
            handle: Some(handle),
        })
    }
}

/// The running decoder thread.
pub struct FeederThread {
    handle: Option<JoinHandle<Result<(), LiveError>>>,
}

impl FeederThread {
    /// Returns the thread's error once it has stopped on one; `Ok` while it runs or after a
    /// clean end.
    ///
    /// # Errors
    /// The error the decoder stopped on.
    pub fn check(&mut self) -> Result<(), LiveError> {
        if self.handle.as_ref().is_some_and(JoinHandle::is_finished) {
            return self.join();
        }
        Ok(())
    }

    /// Waits for the thread (after its stop flag is set) and returns its result.
    ///
    /// # Errors
    /// The error the decoder stopped on.
    pub fn join(&mut self) -> Result<(), LiveError> {
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(LiveError::Source {
                input: "decoder".into(),
                reason: "the decoder thread panicked".into(),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ring::{RingMode, ring};
    use crate::live::source::MemorySource;

    #[test]
    fn a_mono_source_fills_every_channel_and_the_ring_ends_with_it() {
        let (w, mut r) = ring("in", 2, 16, RingMode::File);
        let src = MemorySource::new(vec![vec![1.0, 2.0, 3.0]], 48_000);
        let mut feeder = Feeder::new(vec![Feed::new(Box::new(src), w).unwrap()]);
        feeder.prefill().unwrap();
        assert!(feeder.is_done());
        let mut dest: Vec<Box<[f32]>> = vec![vec![0.0; 4].into(); 2];
        let got = r.pull(&mut dest, 4);
        assert_eq!((got.frames, got.exhausted, got.underrun), (3, true, false));
        assert_eq!(&dest[0][..3], &[1.0, 2.0, 3.0]);
        assert_eq!(&dest[1][..3], &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn prefill_stops_at_a_full_ring_and_the_rest_follows_as_it_drains() {
        let (w, mut r) = ring("in", 1, 100, RingMode::File);
        let data: Vec<f32> = (0..250).map(|x| x as f32).collect();
        let mut feeder = Feeder::new(vec![
            Feed::new(Box::new(MemorySource::new(vec![data], 48_000)), w).unwrap(),
        ]);
        feeder.prefill().unwrap();
        assert!(!feeder.is_done());
        let mut dest: Vec<Box<[f32]>> = vec![vec![0.0; 100].into()];
        let mut seen = Vec::new();
        for _ in 0..4 {
            let got = r.pull(&mut dest, 100);
            seen.extend_from_slice(&dest[0][..got.frames]);
            feeder.prefill().unwrap();
        }
        assert_eq!(seen, (0..250).map(|x| x as f32).collect::<Vec<_>>());
    }

    #[test]
    fn a_source_wider_than_the_input_is_refused_with_both_counts() {
        let (w, _r) = ring("drums", 2, 16, RingMode::File);
        let src = MemorySource::new(vec![vec![0.0]; 6], 48_000);
        let err = Feed::new(Box::new(src), w).err().unwrap();
        assert_eq!(
            err.to_string(),
            "input `drums`: the source has 6 channel(s) but the chain input takes 2"
        );
    }
}
