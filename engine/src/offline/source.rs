//! One bound input of a render: its file checked against the input node (channel count,
//! rate, lossy codec, each noted), then read ahead on a thread of its own and copied into the
//! schedule block by block, with silence after its end.

use std::path::{Path, PathBuf};

use super::read_ahead::ReadAhead;
use super::{InputNotice, RenderError};
use crate::graph::Graph;
use crate::io::{AudioIoError, AudioReader, ResamplingReader};
use crate::schedule::Schedule;

/// An input whose file is open and fits its node, not read yet.
pub(crate) struct Input {
    /// The input node's name.
    pub name: String,
    reader: ResamplingReader,
    /// Channels the graph reads: the file's, or the declared count for a duplicated mono file.
    pub width: usize,
}

impl Input {
    /// Prepares an input: checks its channel count against the node's declaration, and
    /// converts it to the session rate when needed, noting what was done.
    pub fn new(
        graph: &Graph,
        name: &str,
        path: &Path,
        reader: AudioReader,
        rate: u32,
        notices: &mut Vec<InputNotice>,
    ) -> Result<Input, RenderError> {
        let info = reader.info().clone();
        let declared = graph
            .node_id(name)
            .and_then(|id| graph.node(id))
            .map_or(0, |n| n.params.number("channels").round().max(0.0) as usize);
        let found = info.channels;
        let width = match declared {
            0 => found,
            d if d == found => found,
            d if found == 1 => {
                notices.push(InputNotice::DuplicatedMono {
                    input: name.to_string(),
                    path: path.to_path_buf(),
                    channels: d,
                });
                d
            }
            d => {
                return Err(RenderError::InputChannels {
                    input: name.to_string(),
                    path: path.to_path_buf(),
                    declared: d,
                    found,
                });
            }
        };
        if info.lossy {
            notices.push(InputNotice::Lossy {
                input: name.to_string(),
                path: path.to_path_buf(),
                codec: info.codec.clone(),
            });
        }
        if info.sample_rate != rate {
            notices.push(InputNotice::Resampled {
                input: name.to_string(),
                path: path.to_path_buf(),
                from: info.sample_rate,
                to: rate,
            });
        }
        Ok(Input {
            name: name.to_string(),
            reader: ResamplingReader::new(reader, rate)?,
            width,
        })
    }

    /// Starts reading the file ahead, on its own thread.
    pub fn start(self) -> Source {
        Source {
            path: self.reader.path().to_path_buf(),
            estimate: self.reader.frames(),
            mono: self.reader.channels() == 1,
            ahead: ReadAhead::start(self.reader, &self.name),
            name: self.name,
            width: self.width,
            frames: 0,
            ended: false,
        }
    }
}

/// An input being read, streamed into the schedule block by block.
pub(crate) struct Source {
    /// The input node's name.
    pub name: String,
    path: PathBuf,
    /// The length in frames at the session rate, when the file's header says.
    estimate: Option<u64>,
    ahead: ReadAhead,
    /// The file has one channel (copied to every channel the graph reads).
    mono: bool,
    /// Channels the graph reads.
    width: usize,
    /// Frames delivered so far, at the session rate.
    pub frames: u64,
    /// The file has no more frames.
    pub ended: bool,
}

impl Source {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The length in frames at the session rate, when the file's header says.
    pub fn estimate(&self) -> Option<u64> {
        self.estimate
    }

    /// Fills the schedule's buffers of input `slot` with the next block: a full block, or
    /// what is left followed by silence at the end of the file.
    pub fn fill(
        &mut self,
        schedule: &mut Schedule,
        slot: usize,
        block: usize,
    ) -> Result<(), AudioIoError> {
        let (mono, width) = (self.mono, self.width);
        let mut got = 0;
        while !self.ended && got < block {
            let n = self.ahead.read_with(block - got, |chunk, range| {
                for ch in 0..width {
                    let channel = if mono { 0 } else { ch };
                    let src = chunk.get(channel).and_then(|c| c.get(range.clone()));
                    let dst = schedule
                        .input_buffer(slot, ch)
                        .get_mut(got..got + range.len());
                    if let (Some(src), Some(dst)) = (src, dst) {
                        dst.copy_from_slice(src);
                    }
                }
            })?;
            if n == 0 {
                self.ended = true;
            }
            got += n;
        }
        for ch in 0..width {
            if let Some(rest) = schedule.input_buffer(slot, ch).get_mut(got..block) {
                rest.fill(0.0);
            }
        }
        self.frames += got as u64;
        Ok(())
    }
}
