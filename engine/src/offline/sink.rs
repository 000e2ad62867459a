//! One output file fed from one output of the schedule. Encoding (resampling, dither,
//! quantization, the file write) runs on a thread of its own, so it overlaps with decoding
//! and processing; the render loop gathers its blocks into larger chunks, which travel to it
//! and back through bounded channels and are reused, so a render allocates nothing per block
//! and wakes the writer once per chunk rather than once per block.

use std::thread::JoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded};

use super::thread_name;
use crate::io::{AudioIoError, AudioWriter, PendingFile};
use crate::schedule::Schedule;

/// Samples (frames times channels) per chunk, unless a block is larger: 128 KiB of `f32`.
const CHUNK_SAMPLES: usize = 1 << 15;

/// Chunks in flight between the render loop and a writer thread.
const CHUNKS_IN_FLIGHT: usize = 3;

/// A chunk of planar audio and how many frames of it are used.
type Chunk = (Vec<Vec<f32>>, usize);

/// An output file being written on its own thread.
pub(crate) struct Sink {
    /// The output node's name.
    pub name: String,
    /// The schedule output it reads.
    output: usize,
    /// Frames to drop at the head (the output's latency).
    latency: u64,
    to_writer: Option<Sender<Chunk>>,
    returned: Receiver<Chunk>,
    /// Frames per chunk.
    capacity: usize,
    /// The chunk being gathered.
    current: Option<Chunk>,
    thread: Option<JoinHandle<Result<AudioWriter, AudioIoError>>>,
}

impl Sink {
    /// Starts the writer thread for `writer`, fed blocks of up to `block` frames.
    pub fn new(
        name: String,
        output: usize,
        latency: u64,
        writer: AudioWriter,
        block: usize,
    ) -> Sink {
        let channels = writer.channels();
        let frames = (CHUNK_SAMPLES / channels.max(1)).max(block).max(1);
        let (to_writer, from_render) = bounded::<Chunk>(CHUNKS_IN_FLIGHT);
        let (to_render, returned) = bounded::<Chunk>(CHUNKS_IN_FLIGHT);
        for _ in 0..CHUNKS_IN_FLIGHT {
            // Cannot fail: the channel has room for exactly these chunks.
            let _ = to_render.send((vec![vec![0.0; frames]; channels], 0));
        }
        let thread = std::thread::Builder::new()
            .name(thread_name("writer", &name))
            .spawn(move || write_chunks(writer, &from_render, &to_render))
            .ok();
        Sink {
            name,
            output,
            latency,
            to_writer: Some(to_writer),
            returned,
            capacity: frames,
            current: None,
            thread,
        }
    }

    /// Gathers the part of the block at schedule `position` that falls in this output's
    /// window (from its latency on, for `length` frames once the length is known), sending
    /// each full chunk to the writer thread.
    ///
    /// # Errors
    /// The writer thread's error, once it has stopped on one.
    pub fn write(
        &mut self,
        schedule: &Schedule,
        position: u64,
        frames: usize,
        length: Option<u64>,
    ) -> Result<(), AudioIoError> {
        let start = self.latency.max(position);
        let end = length
            .map_or(u64::MAX, |l| l + self.latency)
            .min(position + frames as u64);
        if end <= start {
            return Ok(());
        }
        let (mut from, mut count) = ((start - position) as usize, (end - start) as usize);
        while count > 0 {
            let (mut data, used) = match self.current.take() {
                Some(chunk) => chunk,
                None => match self.returned.recv() {
                    Ok((data, _)) => (data, 0),
                    Err(_) => return Err(self.stopped()),
                },
            };
            let room = self.capacity - used;
            let n = count.min(room);
            for (ch, stage) in data.iter_mut().enumerate() {
                let src = schedule
                    .output_buffer(self.output, ch)
                    .get(from..from + n)
                    .unwrap_or(&[]);
                let dst = &mut stage[used..used + n];
                dst[..src.len()].copy_from_slice(src);
                dst[src.len()..].fill(0.0);
            }
            from += n;
            count -= n;
            if n == room {
                self.send((data, used + n))?;
            } else {
                self.current = Some((data, used + n));
            }
        }
        Ok(())
    }

    /// Sends a chunk to the writer thread.
    fn send(&mut self, chunk: Chunk) -> Result<(), AudioIoError> {
        match self.to_writer.as_ref().map(|tx| tx.send(chunk)) {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// Sends the chunk being gathered, waits for every chunk to be written and completes the
    /// file under its temporary name.
    ///
    /// # Errors
    /// The writer's error.
    pub fn finalize(mut self) -> Result<PendingFile, AudioIoError> {
        if let Some(chunk) = self.current.take().filter(|(_, used)| *used > 0) {
            self.send(chunk)?;
        }
        self.to_writer = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Ok(writer))) => writer.finalize(),
            Some(Ok(Err(e))) => Err(e),
            _ => Err(AudioIoError::Io {
                path: self.name.clone().into(),
                source: std::io::Error::other("the writer thread stopped unexpectedly"),
            }),
        }
    }

    /// The error that stopped the writer thread.
    fn stopped(&mut self) -> AudioIoError {
        self.to_writer = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            _ => AudioIoError::Io {
                path: self.name.clone().into(),
                source: std::io::Error::other("the writer thread stopped unexpectedly"),
            },
        }
    }
}

impl Drop for Sink {
    /// A sink dropped before [`Sink::finalize`] (a failed render) waits for its thread, whose
    /// writer then removes its temporary file: nothing is left behind once `render` returns.
    fn drop(&mut self) {
        self.to_writer = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: writes chunks until the render loop hangs up, returning each chunk.
fn write_chunks(
    mut writer: AudioWriter,
    chunks: &Receiver<Chunk>,
    back: &Sender<Chunk>,
) -> Result<AudioWriter, AudioIoError> {
    while let Ok((data, frames)) = chunks.recv() {
        writer.write(&data, frames)?;
        // The render loop may have stopped listening after an error elsewhere.
        let _ = back.send((data, frames));
    }
    Ok(writer)
}
