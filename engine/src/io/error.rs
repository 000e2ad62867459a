//! Errors of reading, resampling and writing audio files. Every variant names the file.

use std::path::PathBuf;

/// Why an audio file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioIoError {
    /// The file does not exist.
    #[error("`{path}`: no such file")]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file has no bytes at all.
    #[error("`{path}`: the file is empty (0 bytes)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The bytes are not in any audio format the reader knows.
    #[error("not an audio file: `{path}`; expected WAV, FLAC, MP3, Ogg Vorbis or AIFF")]
    NotAudio {
        /// The file.
        path: PathBuf,
    },
    /// The container was recognized but its header is damaged or cut short.
    #[error("`{path}`: damaged {format} header: {reason}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The container, e.g. "wave", "flac".
        format: String,
        /// What the decoder said.
        reason: String,
    },
    /// The container holds audio in a form that cannot be decoded.
    #[error("`{path}`: unsupported audio: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The file ends before the length its header announces.
    #[error("`{path}`: the file is truncated: audio stops at {position_secs:.3} s{}", expected_secs.map(|s| format!(" of the announced {s:.3} s")).unwrap_or_default())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where the audio stops, in seconds from the start.
        position_secs: f64,
        /// The length the header announces, when it does.
        expected_secs: Option<f64>,
    },
    /// A packet of audio could not be decoded.
    #[error("`{path}`: decode error at {position_secs:.3} s: {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Where the damaged audio starts, in seconds from the start.
        position_secs: f64,
        /// What the decoder said.
        reason: String,
    },
    /// The caller's buffers do not fit the file (fewer channel buffers than channels).
    #[error("`{path}`: {expected} channel buffer(s) needed, {found} given")]
    Buffers {
        /// The file.
        path: PathBuf,
        /// Channel buffers needed.
        expected: usize,
        /// Channel buffers given.
        found: usize,
    },
    /// An output path names one of the inputs; rendering would destroy the input.
    #[error("`{path}` is both an input and an output; choose another output path")]
    OutputIsInput {
        /// The path.
        path: PathBuf,
    },
    /// A sample-rate converter cannot be built for these settings.
    #[error("{context}: cannot convert {from} Hz to {to} Hz with {channels} channel(s): {reason}")]
    Resampler {
        /// The file (or stream) being converted.
        context: String,
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// Channel count.
        channels: usize,
        /// What the resampler said.
        reason: String,
    },
    /// A setting of an output file is impossible (0 channels, 0 Hz, too many channels).
    #[error("`{path}`: {reason}")]
    InvalidOutput {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The operating system refused a read, write or rename.
    #[error("`{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The WAV encoder failed.
    #[error("`{path}`: cannot write WAV: {source}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: hound::Error,
    },
}

impl AudioIoError {
    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            AudioIoError::NotFound { path }
            | AudioIoError::Empty { path }
            | AudioIoError::NotAudio { path }
            | AudioIoError::BadHeader { path, .. }
            | AudioIoError::Unsupported { path, .. }
            | AudioIoError::Truncated { path, .. }
            | AudioIoError::Decode { path, .. }
            | AudioIoError::Buffers { path, .. }
            | AudioIoError::OutputIsInput { path }
            | AudioIoError::InvalidOutput { path, .. }
            | AudioIoError::Io { path, .. }
            | AudioIoError::Encode { path, .. } => Some(path),
            AudioIoError::Resampler { .. } => None,
        }
    }

    /// An I/O error on a file, with "no such file" made its own variant.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            AudioIoError::NotFound { path }
        } else {
            AudioIoError::Io { path, source }
        }
    }
}
