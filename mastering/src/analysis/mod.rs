//! Measuring audio: loudness (BS.1770 / EBU R128), true and sample peaks, loudness range,
//! clipping, DC offset, phase correlation, head and tail silence, and the average spectrum,
//! for one track or a whole album.

mod album;
mod analyzer;
mod channel_stats;
mod clipping;
mod config;
mod correlation;
mod file;
mod gating;
mod loudness;
mod measurements;
mod silence;
mod spectrum;

pub use album::{AlbumAnalysis, AlbumTrack};
pub use analyzer::Analyzer;
pub use channel_stats::ChannelStats;
pub use config::AnalyzerConfig;
pub use correlation::{PhaseCorrelation, WindowCorrelation};
pub use file::{FileAnalysis, analyze_file, analyze_file_with, for_each_block, open};
pub(crate) use gating::gated_loudness;
pub use loudness::LevelPoint;
pub use measurements::Analysis;
pub use spectrum::Spectrum;
