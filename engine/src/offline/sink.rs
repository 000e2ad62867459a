//! One output file fed from one output of the schedule. Encoding (resampling, dither,
//! quantization, the file write) runs on a thread of its own, so it overlaps with decoding
//! and processing; blocks travel to it and back through bounded channels and are reused,
//! so a render allocates nothing per block.

use std::thread::JoinHandle;

use crossbeam::channel::{Receiver, Sender, bounded};

use crate::io::{AudioIoError, AudioWriter, PendingFile};
use crate::schedule::Schedule;

/// Blocks in flight between the render loop and a writer thread.
const BLOCKS_IN_FLIGHT: usize = 8;

/// A block of planar audio and how many frames of it are used.
type Block = (Vec<Vec<f32>>, usize);

/// An output file being written on its own thread.
pub(crate) struct Sink {
    /// The output node's name.
    pub name: String,
    /// The schedule output it reads.
    output: usize,
    /// Frames to drop at the head (the output's latency).
    latency: u64,
    to_writer: Option<Sender<Block>>,
    returned: Receiver<Block>,
    thread: Option<JoinHandle<Result<AudioWriter, AudioIoError>>>,
}

impl Sink {
    /// Starts the writer thread for `writer`, with blocks of `block` frames.
    pub fn new(
        name: String,
        output: usize,
        latency: u64,
        writer: AudioWriter,
        block: usize,
    ) -> Sink {
        let channels = writer.channels();
        let (to_writer, from_render) = bounded::<Block>(BLOCKS_IN_FLIGHT);
        let (to_render, returned) = bounded::<Block>(BLOCKS_IN_FLIGHT);
        for _ in 0..BLOCKS_IN_FLIGHT {
            // Cannot fail: the channel has room for exactly these blocks.
            let _ = to_render.send((vec![vec![0.0; block]; channels], 0));
        }
        let thread = std::thread::Builder::new()
            .name(format!("mixgraph-writer-{name}"))
            .spawn(move || write_blocks(writer, &from_render, &to_render))
            .ok();
        Sink {
            name,
            output,
            latency,
            to_writer: Some(to_writer),
            returned,
            thread,
        }
    }

    /// Sends the part of the block at schedule `position` that falls in this output's
    /// window (from its latency on, for `length` frames once the length is known) to the
    /// writer thread.
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
        let (from, count) = ((start - position) as usize, (end - start) as usize);
        let Ok((mut data, _)) = self.returned.recv() else {
            return Err(self.stopped());
        };
        for (ch, stage) in data.iter_mut().enumerate() {
            let src = schedule
                .output_buffer(self.output, ch)
                .get(from..from + count)
                .unwrap_or(&[]);
            stage[..src.len()].copy_from_slice(src);
            stage[src.len()..count].fill(0.0);
        }
        match self.to_writer.as_ref().map(|tx| tx.send((data, count))) {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// Waits for every block to be written and completes the file under its temporary name.
    ///
    /// # Errors
    /// The writer's error.
    pub fn finalize(mut self) -> Result<PendingFile, AudioIoError> {
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

/// The writer thread: writes blocks until the render loop hangs up, returning each block.
fn write_blocks(
    mut writer: AudioWriter,
    blocks: &Receiver<Block>,
    back: &Sender<Block>,
) -> Result<AudioWriter, AudioIoError> {
    while let Ok((data, frames)) = blocks.recv() {
        writer.write(&data, frames)?;
        // The render loop may have stopped listening after an error elsewhere.
        let _ = back.send((data, frames));
    }
    Ok(writer)
}
