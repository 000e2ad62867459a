//! Audio file I/O for offline renders: streaming decode of any format symphonia reads (WAV
//! PCM converted directly), sample-rate conversion, dithered WAV encoding, and atomic output
//! files written back to disk as they grow.

pub mod atomic;
pub mod decode;
pub mod dither;
pub mod encode;
pub mod error;
mod interleave;
pub mod resample;
pub mod resampling_reader;
mod wav_stream;
mod writeback;

pub use atomic::{AtomicFile, check_not_input, same_file};
pub use decode::{AudioInfo, AudioReader};
pub use dither::{Dither, Quantizer};
pub use encode::{AudioWriter, OutputFormat, PendingFile, SampleFormat, WriteSummary};
pub use error::AudioIoError;
pub use resample::Resampler;
pub use resampling_reader::ResamplingReader;
