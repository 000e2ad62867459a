//! The error types of the mastering crate, one enum per concern.

use std::path::PathBuf;

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The sample rate or channel count is outside what the loudness meter supports.
    #[error(
        "cannot analyse {channels} channel(s) at {sample_rate} Hz: \
         the meter supports 1 to 64 channels at 16 Hz to 2.8 MHz"
    )]
    UnsupportedFormat {
        /// The sample rate asked for, in Hz.
        sample_rate: u32,
        /// The channel count asked for.
        channels: usize,
    },
    /// A block had a different number of channels than the analyzer was made for.
    #[error("expected {expected} channel(s) in the block, found {found}")]
    ChannelCount {
        /// Channels the analyzer was made for.
        expected: usize,
        /// Channels in the block.
        found: usize,
    },
    /// The channels of one block had different lengths.
    #[error("channel {channel} of the block has {found} frames, channel 0 has {expected}")]
    UnevenBlock {
        /// The channel whose length differs from channel 0.
        channel: usize,
        /// Frames in channel 0.
        expected: usize,
        /// Frames in that channel.
        found: usize,
    },
    /// The loudness meter refused the audio.
    #[error("the loudness meter refused the audio")]
    Meter {
        /// The meter's error.
        source: ebur128::Error,
    },
    /// An album analysis was asked for without any track.
    #[error("an album needs at least one track")]
    EmptyAlbum,
    /// The audio file could not be opened or decoded.
    #[error("cannot analyse {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong while reading it.
        source: mixgraph_engine::io::AudioIoError,
    },
}

/// A target name or custom target that is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// No target has this name.
    #[error(
        "unknown target `{name}`{}; known targets: {known}",
        suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
    )]
    UnknownTarget {
        /// The name asked for.
        name: String,
        /// The closest known name, if one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
        /// Every known name, comma separated.
        known: String,
    },
    /// A custom target with a loudness or ceiling out of the usable range.
    #[error(
        "custom target {integrated_lufs} LUFS / {true_peak_dbtp} dBTP is out of range: \
         loudness must be within -70..0 LUFS and the true-peak ceiling within -20..0 dBTP"
    )]
    OutOfRange {
        /// The integrated loudness asked for, in LUFS.
        integrated_lufs: f64,
        /// The true-peak ceiling asked for, in dBTP.
        true_peak_dbtp: f64,
    },
}

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The embedded font could not be loaded (a corrupt build).
    #[error("the embedded plot font could not be loaded")]
    Font,
    /// Drawing or encoding the image failed.
    #[error("cannot draw the plot {}: {message}", path.display())]
    Draw {
        /// The image being written.
        path: PathBuf,
        /// The drawing backend's message.
        message: String,
    },
    /// The finished image could not be moved into place.
    #[error("cannot write the plot {}", path.display())]
    Write {
        /// The image being written.
        path: PathBuf,
        /// The file system error.
        source: std::io::Error,
    },
}
