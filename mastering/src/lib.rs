//! mixgraph's mastering crate: analysis of audio (loudness, peaks, quality checks), loudness
//! targets of the delivery platforms, warnings about a mix's fitness for mastering, the JSON
//! report types and the analysis plot.

pub mod analysis;
pub mod error;
pub mod master;
pub mod plot;
pub mod report;
pub mod targets;
pub mod warnings;

#[cfg(test)]
mod test_support;

pub use analysis::{
    AlbumAnalysis, Analysis, Analyzer, AnalyzerConfig, FileAnalysis, analyze_file,
    analyze_file_with,
};
pub use error::{AnalysisError, PlotError, TargetError};
pub use plot::plot_analysis;
pub use report::AnalysisReport;
pub use targets::{Target, TargetCheck};
pub use warnings::{Warning, WarningThresholds};
