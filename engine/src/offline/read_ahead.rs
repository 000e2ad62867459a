//! An input file decoded (and resampled) on a thread of its own, ahead of the render loop, so
//! decoding overlaps with processing and encoding. Chunks of frames travel to the render
//! thread and back through bounded channels and are reused: nothing is allocated per chunk,
//! and memory stays constant in the file's length.
//!
//! One thread per input, rather than a pool: a decoder keeps its state between chunks and
//! blocks on its file, so a thread of its own is the simplest owner; a thread with its chunks
//! all in flight sleeps in the channel and costs no CPU, and the operating system spreads the
//! busy ones over the cores (16 stems are 16 threads of about half a MiB each).

use std::ops::Range;
use std::path::PathBuf;
use std::thread::JoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded};

use super::thread_name;
use crate::io::{AudioIoError, ResamplingReader};

/// Samples (frames times channels) per chunk: 128 KiB of `f32`, large enough that handing a
/// chunk over (and waking the other thread) costs little per sample.
const CHUNK_SAMPLES: usize = 1 << 15;

/// Chunks per input: one being filled, one being read, one decoded ahead.
const CHUNKS_IN_FLIGHT: usize = 3;

/// Planar frames and how many of them are used; 0 marks the end of the file.
type Chunk = (Vec<Vec<f32>>, usize);

/// A file being read ahead on its own thread.
pub(crate) struct ReadAhead {
    path: PathBuf,
    /// Chunks decoded by the thread, in order; an error ends the stream.
    filled: Receiver<Result<Chunk, AudioIoError>>,
    /// Chunks given back to the thread to fill again; `None` once the thread must stop.
    empty: Option<Sender<Chunk>>,
    /// The chunk being read and the position in it.
    current: Option<Chunk>,
    position: usize,
    ended: bool,
    thread: Option<JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts decoding `reader` on a thread named after the input.
    pub fn start(reader: ResamplingReader, input: &str) -> ReadAhead {
        let path = reader.path().to_path_buf();
        let channels = reader.channels();
        let frames = (CHUNK_SAMPLES / channels.max(1)).max(1);
        let (to_reader, empty) = bounded::<Chunk>(CHUNKS_IN_FLIGHT);
        let (to_render, filled) = bounded(CHUNKS_IN_FLIGHT);
        for _ in 0..CHUNKS_IN_FLIGHT {
            // Cannot fail: the channel has room for exactly these chunks.
            let _ = to_reader.send((vec![vec![0.0; frames]; channels], 0));
        }
        // Should the thread not start, the channel's sending side is gone with the closure,
        // and `read_with` reports it.
        let thread = std::thread::Builder::new()
            .name(thread_name("reader", input))
            .spawn(move || read_chunks(reader, &empty, &to_render))
            .ok();
        ReadAhead {
            path,
            filled,
            empty: Some(to_reader),
            current: None,
            position: 0,
            ended: false,
            thread,
        }
    }

    /// Hands up to `max` of the next frames to `take` (the chunk's channel buffers and the
    /// range of frames in them) and returns how many; 0 only at the end of the file. Waits for
    /// the reader thread when it has nothing decoded yet.
    ///
    /// # Errors
    /// The reader's error (a damaged file), delivered after every frame before it.
    pub fn read_with(
        &mut self,
        max: usize,
        take: impl FnOnce(&[Vec<f32>], Range<usize>),
    ) -> Result<usize, AudioIoError> {
        loop {
            if let Some((chunk, used)) = &self.current {
                if self.position < *used {
                    let n = max.min(used - self.position);
                    take(chunk, self.position..self.position + n);
                    self.position += n;
                    return Ok(n);
                }
            }
            if self.ended || max == 0 {
                return Ok(0);
            }
            if let (Some(chunk), Some(empty)) = (self.current.take(), &self.empty) {
                // The thread may have stopped; the chunk is then dropped.
                let _ = empty.send(chunk);
            }
            match self.filled.recv() {
                Ok(Ok(chunk)) => {
                    self.ended = chunk.1 == 0;
                    self.current = Some(chunk);
                    self.position = 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => {
                    self.ended = true;
                    return Err(AudioIoError::Io {
                        path: self.path.clone(),
                        source: std::io::Error::other("the reader thread stopped unexpectedly"),
                    });
                }
            }
        }
    }
}

impl Drop for ReadAhead {
    /// Stops the thread (it finishes the chunk it is decoding, finds no chunk to fill and
    /// returns) and waits for it, so no thread outlives a render.
    fn drop(&mut self) {
        self.empty = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reader thread: fills each chunk it gets back, until the end of the file, an error, or
/// the render loop hanging up.
fn read_chunks(
    mut reader: ResamplingReader,
    empty: &Receiver<Chunk>,
    filled: &Sender<Result<Chunk, AudioIoError>>,
) {
    while let Ok((mut chunk, _)) = empty.recv() {
        let frames = chunk.first().map_or(0, Vec::len);
        let result = reader.read(&mut chunk, frames);
        let last = !matches!(result, Ok(n) if n > 0);
        if filled.send(result.map(|n| (chunk, n))).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit WAV of `frames` frames of `channels` channels, each sample its own code.
    fn write_wav(path: &std::path::Path, channels: u16, frames: usize) -> Vec<Vec<f32>> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        let mut planar = vec![Vec::new(); usize::from(channels)];
        for f in 0..frames {
            for (c, channel) in planar.iter_mut().enumerate() {
                let code = ((f * 31 + c * 7919) % 65_536) as i32 - 32_768;
                w.write_sample(code as i16).unwrap();
                channel.push(code as f32 / 32_768.0);
            }
        }
        w.finalize().unwrap();
        planar
    }

    /// Everything `ahead` delivers in pieces of at most `piece` frames, with the distinct
    /// chunk buffers seen, and how it ended.
    fn drain(
        ahead: &mut ReadAhead,
        piece: usize,
    ) -> (Vec<Vec<f32>>, Vec<usize>, Result<(), AudioIoError>) {
        let mut out: Vec<Vec<f32>> = Vec::new();
        let mut buffers = Vec::new();
        loop {
            let result = ahead.read_with(piece, |chunk, range| {
                out.resize(chunk.len(), Vec::new());
                for (o, c) in out.iter_mut().zip(chunk) {
                    o.extend_from_slice(&c[range.clone()]);
                }
                let at = chunk[0].as_ptr() as usize;
                if !buffers.contains(&at) {
                    buffers.push(at);
                }
            });
            match result {
                Ok(0) => return (out, buffers, Ok(())),
                Ok(n) => assert!(n <= piece),
                Err(e) => return (out, buffers, Err(e)),
            }
        }
    }

    #[test]
    fn every_frame_arrives_in_order_through_a_few_recycled_chunks() {
        let dir = tempfile::tempdir().unwrap();
        for (channels, frames) in [(1, 0), (2, 100_003), (6, 30_001)] {
            let path = dir.path().join(format!("{channels}.wav"));
            let want = write_wav(&path, channels, frames);
            for piece in [1000, 64, 100_000] {
                let reader = ResamplingReader::open(&path, 48_000).unwrap();
                let mut ahead = ReadAhead::start(reader, "test");
                let (got, buffers, end) = drain(&mut ahead, piece);
                end.unwrap();
                if frames > 0 {
                    assert_eq!(got, want, "{channels} channels, pieces of {piece}");
                }
                assert!(
                    buffers.len() <= CHUNKS_IN_FLIGHT,
                    "{} distinct chunk buffers for {frames} frames",
                    buffers.len()
                );
                // Past the end it stays at the end.
                assert_eq!(ahead.read_with(10, |_, _| {}).unwrap(), 0);
            }
        }
    }

    #[test]
    fn a_damaged_file_delivers_what_decodes_then_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        write_wav(&path, 2, 20_000);
        // Resampled, so the reader pulls the file in pieces while the thread runs.
        let reader = ResamplingReader::open(&path, 44_100).unwrap();
        // Cut the file after opening it: the read fails halfway, on the reader thread.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let mut ahead = ReadAhead::start(reader, "cut");
        let (got, _, end) = drain(&mut ahead, 1024);
        assert!(
            matches!(&end, Err(AudioIoError::Truncated { path: p, .. }) if *p == path),
            "{end:?}"
        );
        assert!(got.first().map_or(0, Vec::len) < 20_000 * 44_100 / 48_000);
        // The error is final.
        assert_eq!(ahead.read_with(10, |_, _| {}).unwrap(), 0);
    }

    #[test]
    fn an_input_named_with_a_nul_byte_still_gets_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.wav");
        let want = write_wav(&path, 1, 500);
        let reader = ResamplingReader::open(&path, 48_000).unwrap();
        let mut ahead = ReadAhead::start(reader, "in\0put");
        let (got, _, end) = drain(&mut ahead, 1000);
        end.unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn dropping_a_reader_midway_stops_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        write_wav(&path, 2, 200_000);
        let reader = ResamplingReader::open(&path, 48_000).unwrap();
        let mut ahead = ReadAhead::start(reader, "dropped");
        assert_eq!(ahead.read_with(100, |_, _| {}).unwrap(), 100);
        // Returns (joining the thread) rather than hanging with chunks still to decode.
        drop(ahead);
    }
}
