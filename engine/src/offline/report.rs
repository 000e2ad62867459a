//! What a render did: files written, notices about the inputs, latency, speed and the
//! readings of meter nodes.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::io::{Dither, SampleFormat};
use crate::node::Reading;

/// Something the renderer did to an input that the user should know about.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InputNotice {
    /// The file was converted to the session rate.
    Resampled {
        /// The input node.
        input: String,
        /// The file.
        path: PathBuf,
        /// The file's rate.
        from: u32,
        /// The session rate.
        to: u32,
    },
    /// The file was shorter than the longest input; silence was appended.
    Padded {
        /// The input node.
        input: String,
        /// The file.
        path: PathBuf,
        /// Frames of silence appended (at the session rate).
        frames: u64,
    },
    /// A mono file was copied to every channel its input node declares.
    DuplicatedMono {
        /// The input node.
        input: String,
        /// The file.
        path: PathBuf,
        /// Channels it was copied to.
        channels: usize,
    },
    /// The file is lossy-encoded (MP3, Vorbis...): mixing or mastering from it keeps its
    /// artefacts.
    Lossy {
        /// The input node.
        input: String,
        /// The file.
        path: PathBuf,
        /// The codec.
        codec: String,
    },
}

impl fmt::Display for InputNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputNotice::Resampled {
                input,
                path,
                from,
                to,
            } => {
                write!(
                    f,
                    "input `{input}`: `{}` converted from {from} Hz to the session rate of {to} Hz",
                    path.display()
                )
            }
            InputNotice::Padded {
                input,
                path,
                frames,
            } => {
                write!(
                    f,
                    "input `{input}`: `{}` is shorter than the longest input; {frames} frames of silence appended",
                    path.display()
                )
            }
            InputNotice::DuplicatedMono {
                input,
                path,
                channels,
            } => {
                write!(
                    f,
                    "input `{input}`: mono file `{}` copied to all {channels} channels",
                    path.display()
                )
            }
            InputNotice::Lossy { input, path, codec } => {
                write!(
                    f,
                    "input `{input}`: `{}` is lossy ({codec}); its encoding artefacts are in the result",
                    path.display()
                )
            }
        }
    }
}

/// One file a render wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputReport {
    /// The output node.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// The file's sample rate.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: usize,
    /// Sample format.
    pub format: SampleFormat,
    /// Dither applied.
    pub dither: Dither,
    /// The largest sample written, in dBFS (`-inf` for silence).
    pub peak_dbfs: f64,
}

/// The readings one node reported after the render.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReadings {
    /// The node's name.
    pub node: String,
    /// Its kind.
    pub kind: String,
    /// Its readings.
    pub readings: Vec<Reading>,
}

/// Everything a render did.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderReport {
    /// One entry per output file, in request order.
    pub outputs: Vec<OutputReport>,
    /// The session rate.
    pub sample_rate: u32,
    /// Latency trimmed from the head of the outputs (the largest of any output), in frames.
    pub latency: usize,
    /// Tail appended after the longest input, in frames.
    pub tail: usize,
    /// Length of the longest input at the session rate, in frames.
    pub input_frames: u64,
    /// What was done to the inputs (resampled, padded, mono duplicated, lossy).
    pub notices: Vec<InputNotice>,
    /// Time the render took.
    pub wall_time: Duration,
    /// Seconds of audio rendered per second of wall time.
    pub realtime_factor: f64,
    /// Non-finite samples replaced by silence.
    pub faults: u64,
    /// Readings of every node that reports any (meters), in graph order.
    pub readings: Vec<NodeReadings>,
}
