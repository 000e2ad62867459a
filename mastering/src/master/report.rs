//! The machine-readable mastering report (JSON): per track, the input's analysis and, per
//! deliverable, the path taken (gain only, or gain and limiting with the limiter's largest
//! gain reduction), every render with its settings and measurements, and pass or fail; for
//! an album, the album's loudness per deliverable. Levels that do not exist are `null`.

use serde::{Deserialize, Serialize};

use super::deliverable::Deliverable;
use super::settings::RenderSettings;
use crate::report::{AlbumReport, FileReport, TargetReport};

/// Version of the mastering report layout; raised when a field is renamed or removed.
pub const MASTER_REPORT_SCHEMA_VERSION: u32 = 1;

/// The whole report of one `master` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterReport {
    /// [`MASTER_REPORT_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The target.
    pub target: TargetReport,
    /// The accepted deviation of a delivered file's loudness from the target, in LU.
    pub tolerance_lu: f64,
    /// The mastering chain.
    pub chain: String,
    /// Whether the tracks were mastered as an album (one gain for all).
    pub album_mode: bool,
    /// The most gain reduction allowed, in dB (`null`: no limit).
    pub max_gain_reduction_db: Option<f64>,
    /// How far under the target's ceiling the limiter's ceiling starts, in dB.
    pub ceiling_margin_db: f64,
    /// One entry per input, in the order given.
    pub tracks: Vec<TrackReport>,
    /// The album per deliverable, in album mode.
    pub album: Option<Vec<AlbumDeliverableReport>>,
    /// Renders made in all.
    pub renders: usize,
    /// Wall time of the whole run, in seconds.
    pub wall_seconds: f64,
    /// Whether every deliverable (and the album) is on target.
    pub passes: bool,
}

impl MasterReport {
    /// The report as pretty-printed JSON.
    ///
    /// # Errors
    /// Only if serialization fails, which the report's types do not allow in practice.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// One track: its input and its deliverables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackReport {
    /// The input's analysis, with its warnings.
    pub input: FileReport,
    /// The plot of the first deliverable, if drawn.
    pub plot: Option<String>,
    /// One entry per deliverable, in the order asked.
    pub deliverables: Vec<DeliverableReport>,
}

/// How a deliverable was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Processing {
    /// A gain only: the limiter would not have acted, so it did not run.
    GainOnly,
    /// A gain into the limiter.
    GainAndLimiting,
}

/// One delivered file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverableReport {
    /// Which deliverable.
    pub deliverable: Deliverable,
    /// The file.
    pub path: String,
    /// Its sample rate, in Hz.
    pub sample_rate_hz: u32,
    /// Its bits per sample.
    pub bits_per_sample: u32,
    /// Its dither (`none`, `tpdf`).
    pub dither: String,
    /// The path taken by its final render.
    pub processing: Processing,
    /// The final gain in front of the limiter, in dB.
    pub gain_db: f64,
    /// The limiter's ceiling, in dBTP, when it ran.
    pub limiter_ceiling_dbtp: Option<f64>,
    /// The limiter's largest gain reduction (its own reading), in dB, when it ran.
    pub max_gain_reduction_db: Option<f64>,
    /// Measured integrated loudness of the delivered file, in LUFS.
    pub integrated_lufs: Option<f64>,
    /// Measured true peak of the delivered file, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Measured loudness minus the target, in LU.
    pub loudness_deviation_lu: Option<f64>,
    /// Measured true peak minus the ceiling, in dB (positive: over).
    pub true_peak_margin_db: Option<f64>,
    /// Whether the file is on target: loudness within the tolerance (in album mode, the
    /// album's loudness is checked instead) and true peak at or under the ceiling.
    pub passes: bool,
    /// Every render made for it, in order.
    pub attempts: Vec<AttemptReport>,
    /// The full analysis of the delivered file, checked against the target.
    pub measured: FileReport,
}

/// One render of a deliverable and what was measured on the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptReport {
    /// The settings of the render.
    pub settings: RenderSettings,
    /// The limiter's largest gain reduction, in dB, when it ran.
    pub max_gain_reduction_db: Option<f64>,
    /// Measured integrated loudness, in LUFS (the album's in album mode).
    pub integrated_lufs: Option<f64>,
    /// Measured true peak, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Whether it was on target.
    pub passes: bool,
    /// Why it was rendered again, when it was.
    pub correction: Option<String>,
}

/// The album as delivered in one format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbumDeliverableReport {
    /// Which deliverable.
    pub deliverable: Deliverable,
    /// Integrated loudness of all its tracks together, in LUFS.
    pub integrated_lufs: Option<f64>,
    /// That loudness minus the target, in LU.
    pub loudness_deviation_lu: Option<f64>,
    /// Highest true peak of any of its tracks, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Whether the album loudness is within tolerance and every track under the ceiling.
    pub passes: bool,
    /// Each track against the album.
    pub tracks: AlbumReport,
}
