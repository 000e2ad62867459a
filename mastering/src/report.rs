//! The machine-readable analysis report (JSON): per file, per album, with target checks and
//! warnings. Field names are stable and carry their unit (`integrated_lufs`,
//! `true_peak_dbtp`, `duration_s`); levels that do not exist (silence) are `null`.

use serde::{Deserialize, Serialize};

use crate::analysis::{AlbumAnalysis, ChannelStats, FileAnalysis, PhaseCorrelation};
use crate::targets::{Target, TargetCheck};
use crate::warnings::Warning;

/// Version of the report layout; raised when a field is renamed or removed.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The whole report of one `analyze` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisReport {
    /// [`REPORT_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The target the files were checked against, if any.
    pub target: Option<TargetReport>,
    /// One entry per file, in the order given.
    pub files: Vec<FileReport>,
    /// The album as a whole, when the files were analysed as one.
    pub album: Option<AlbumReport>,
    /// Warnings about the files as a set (e.g. mixed sample rates).
    pub warnings: Vec<WarningReport>,
}

impl AnalysisReport {
    /// A report of these files, with the album-level part and set-level warnings if given.
    pub fn new(
        target: Option<&Target>,
        files: Vec<FileReport>,
        album: Option<AlbumReport>,
        warnings: &[Warning],
    ) -> Self {
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            target: target.map(TargetReport::new),
            files,
            album,
            warnings: warnings.iter().map(WarningReport::new).collect(),
        }
    }

    /// The report as pretty-printed JSON.
    ///
    /// # Errors
    /// Only if serialization fails, which the report's types do not allow in practice.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// A loudness target as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetReport {
    /// The target's name.
    pub name: String,
    /// Integrated loudness aimed at, in LUFS.
    pub integrated_lufs: f64,
    /// True-peak ceiling, in dBTP.
    pub true_peak_dbtp: f64,
    /// Accepted deviation of the integrated loudness, in LU.
    pub tolerance_lu: f64,
}

impl TargetReport {
    /// The report entry of a target.
    pub fn new(target: &Target) -> Self {
        Self {
            name: target.name.to_string(),
            integrated_lufs: target.integrated_lufs,
            true_peak_dbtp: target.true_peak_dbtp,
            tolerance_lu: target.tolerance_lu,
        }
    }
}

/// Format of a file as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatReport {
    /// Sample rate, in Hz.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub channels: usize,
    /// Bits per stored sample, for PCM-like codecs.
    pub bits_per_sample: Option<u32>,
    /// The codec's short name (`pcm_s24le`, `flac`, `mp3`...).
    pub codec: String,
    /// The container's short name (`wave`, `flac`, `ogg`...).
    pub container: String,
    /// Whether the codec is lossy.
    pub lossy: bool,
}

/// One file's measurements as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileReport {
    /// The file as given.
    pub path: String,
    /// Its format.
    pub format: FormatReport,
    /// Length, in seconds.
    pub duration_s: f64,
    /// Integrated loudness, in LUFS (`null` for silence).
    pub integrated_lufs: Option<f64>,
    /// Highest momentary (400 ms) loudness, in LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness, in LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Loudness range, in LU.
    pub loudness_range_lu: Option<f64>,
    /// Highest true peak over channels, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Highest sample peak over channels, in dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Peak-to-loudness ratio (true peak minus integrated), in dB.
    pub plr_db: Option<f64>,
    /// Clipped runs over all channels.
    pub clipped_runs: u64,
    /// Samples in clipped runs over all channels.
    pub clipped_samples: u64,
    /// Phase correlation of a stereo file.
    pub phase_correlation: Option<PhaseReport>,
    /// Silence at the head, in seconds.
    pub head_silence_s: f64,
    /// Silence at the tail, in seconds.
    pub tail_silence_s: f64,
    /// Per-channel figures, in channel order.
    pub channels: Vec<ChannelReport>,
    /// The comparison with the target, when one was given.
    pub target_check: Option<TargetCheckReport>,
    /// Warnings about this file.
    pub warnings: Vec<WarningReport>,
}

impl FileReport {
    /// The report entry of an analysed file, checked against `target` if given, with the
    /// warnings the caller raised about it.
    pub fn new(file: &FileAnalysis, target: Option<&Target>, warnings: &[Warning]) -> Self {
        let a = &file.analysis;
        Self {
            path: file.path.display().to_string(),
            format: FormatReport {
                sample_rate_hz: file.info.sample_rate,
                channels: file.info.channels,
                bits_per_sample: file.info.bits_per_sample,
                codec: file.info.codec.clone(),
                container: file.info.container.clone(),
                lossy: file.info.lossy,
            },
            duration_s: a.duration_s(),
            integrated_lufs: finite(a.integrated_lufs),
            max_momentary_lufs: a.max_momentary_lufs.and_then(finite),
            max_short_term_lufs: a.max_short_term_lufs.and_then(finite),
            loudness_range_lu: finite(a.loudness_range_lu),
            true_peak_dbtp: finite(a.true_peak_dbtp),
            sample_peak_dbfs: finite(a.sample_peak_dbfs),
            plr_db: a.plr_db(),
            clipped_runs: a.clipped_runs(),
            clipped_samples: a.clipped_samples(),
            phase_correlation: a.phase_correlation.as_ref().map(PhaseReport::new),
            head_silence_s: a.head_silence_s,
            tail_silence_s: a.tail_silence_s,
            channels: a
                .channels
                .iter()
                .enumerate()
                .map(|(i, c)| ChannelReport::new(i, c))
                .collect(),
            target_check: target.map(|t| TargetCheckReport::new(t, &t.check(a))),
            warnings: warnings.iter().map(WarningReport::new).collect(),
        }
    }
}

/// Phase correlation as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseReport {
    /// Correlation over the whole file (+1 mono, 0 unrelated, -1 out of phase).
    pub overall: f64,
    /// Lowest correlation of a 400 ms window with signal on both channels.
    pub worst_400ms: Option<f64>,
    /// End of that window, in seconds.
    pub worst_400ms_end_s: Option<f64>,
}

impl PhaseReport {
    fn new(p: &PhaseCorrelation) -> Self {
        Self {
            overall: p.overall,
            worst_400ms: p.worst_window.map(|w| w.correlation),
            worst_400ms_end_s: p.worst_window.map(|w| w.end_s),
        }
    }
}

/// One channel's figures as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelReport {
    /// Channel index, from 0.
    pub index: usize,
    /// Sample peak, in dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// True peak, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Mean sample value (linear, full scale = 1).
    pub dc_offset: f64,
    /// The DC offset in dBFS (`null` when there is none).
    pub dc_offset_dbfs: Option<f64>,
    /// Clipped runs.
    pub clipped_runs: u64,
    /// Samples in clipped runs.
    pub clipped_samples: u64,
}

impl ChannelReport {
    fn new(index: usize, c: &ChannelStats) -> Self {
        Self {
            index,
            sample_peak_dbfs: finite(c.sample_peak_dbfs),
            true_peak_dbtp: finite(c.true_peak_dbtp),
            dc_offset: c.dc_offset,
            dc_offset_dbfs: finite(c.dc_offset_dbfs()),
            clipped_runs: c.clipped_runs,
            clipped_samples: c.clipped_samples,
        }
    }
}

/// A file compared with the target, as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetCheckReport {
    /// The target's name.
    pub target: String,
    /// Integrated loudness minus the target's, in LU (positive: too loud).
    pub loudness_deviation_lu: Option<f64>,
    /// Whether the loudness is within tolerance.
    pub loudness_ok: bool,
    /// True peak minus the ceiling, in dB (positive: over).
    pub true_peak_margin_db: Option<f64>,
    /// Whether the true peak is at or below the ceiling.
    pub true_peak_ok: bool,
    /// Whether both are on target.
    pub passes: bool,
}

impl TargetCheckReport {
    /// The report entry of a target check.
    pub fn new(target: &Target, check: &TargetCheck) -> Self {
        Self {
            target: target.name.to_string(),
            loudness_deviation_lu: check.loudness_deviation_lu,
            loudness_ok: check.loudness_ok,
            true_peak_margin_db: finite(check.true_peak_margin_db),
            true_peak_ok: check.true_peak_ok,
            passes: check.passes(),
        }
    }
}

/// A warning as written in the report: its `kind` and figures, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningReport {
    /// The warning, flattened: `kind` plus its fields.
    #[serde(flatten)]
    pub warning: Warning,
    /// The warning as a sentence.
    pub message: String,
}

impl WarningReport {
    /// The report entry of a warning.
    pub fn new(warning: &Warning) -> Self {
        Self {
            warning: warning.clone(),
            message: warning.to_string(),
        }
    }
}

/// An album as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbumReport {
    /// Integrated loudness of all tracks together, in LUFS.
    pub integrated_lufs: Option<f64>,
    /// Highest true peak of any track, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// One line per track, in order.
    pub tracks: Vec<AlbumTrackReport>,
}

/// One track of an album as written in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbumTrackReport {
    /// The track's file.
    pub path: String,
    /// The track's integrated loudness, in LUFS.
    pub integrated_lufs: Option<f64>,
    /// The track's loudness minus the album's, in LU.
    pub relative_to_album_lu: Option<f64>,
    /// The track's true peak, in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// The track's loudness range, in LU.
    pub loudness_range_lu: Option<f64>,
    /// The track's length, in seconds.
    pub duration_s: f64,
}

impl AlbumReport {
    /// The report entry of an album whose tracks are these files, in the same order.
    pub fn new(album: &AlbumAnalysis, files: &[&FileAnalysis]) -> Self {
        Self {
            integrated_lufs: finite(album.integrated_lufs),
            true_peak_dbtp: finite(album.true_peak_dbtp),
            tracks: album
                .tracks
                .iter()
                .zip(files)
                .map(|(t, f)| AlbumTrackReport {
                    path: f.path.display().to_string(),
                    integrated_lufs: finite(t.integrated_lufs),
                    relative_to_album_lu: finite(t.relative_to_album_lu),
                    true_peak_dbtp: finite(t.true_peak_dbtp),
                    loudness_range_lu: finite(t.loudness_range_lu),
                    duration_s: t.duration_s,
                })
                .collect(),
        }
    }
}

/// `Some(x)` for a finite level, `None` for silence (`-inf`) or an undefined reading (NaN),
/// which JSON cannot hold.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use mixgraph_engine::io::AudioInfo;
    use serde_json::Value;

    use super::*;
    use crate::analysis::Analysis;
    use crate::test_support::analyse_stereo_sine;

    fn file(analysis: Analysis, name: &str) -> FileAnalysis {
        FileAnalysis {
            path: PathBuf::from(name),
            info: AudioInfo {
                sample_rate: analysis.sample_rate,
                channels: analysis.channel_count(),
                frames: Some(analysis.frames),
                codec: "pcm_s24le".into(),
                container: "wave".into(),
                bits_per_sample: Some(24),
                lossy: false,
            },
            analysis,
        }
    }

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn json_field_names_are_stable_and_carry_units() {
        let loud = file(analyse_stereo_sine(10f64.powf(-23.0 / 20.0), 4.0), "a.wav");
        let quiet = file(analyse_stereo_sine(10f64.powf(-33.0 / 20.0), 4.0), "b.wav");
        let target = Target::by_name("ebu-r128").unwrap();
        let warning = Warning::NoHeadroom {
            sample_peak_dbfs: -0.5,
            limit_dbfs: -1.0,
        };
        let album = AlbumAnalysis::from_tracks(&[&loud.analysis, &quiet.analysis]).unwrap();
        let report = AnalysisReport::new(
            Some(&target),
            vec![
                FileReport::new(&loud, Some(&target), std::slice::from_ref(&warning)),
                FileReport::new(&quiet, None, &[]),
            ],
            Some(AlbumReport::new(&album, &[&loud, &quiet])),
            &[],
        );
        let json: Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        assert_eq!(
            keys(&json),
            ["album", "files", "schema_version", "target", "warnings"]
        );
        assert_eq!(json["schema_version"], 1);
        let f = &json["files"][0];
        assert_eq!(
            keys(f),
            [
                "channels",
                "clipped_runs",
                "clipped_samples",
                "duration_s",
                "format",
                "head_silence_s",
                "integrated_lufs",
                "loudness_range_lu",
                "max_momentary_lufs",
                "max_short_term_lufs",
                "path",
                "phase_correlation",
                "plr_db",
                "sample_peak_dbfs",
                "tail_silence_s",
                "target_check",
                "true_peak_dbtp",
                "warnings",
            ]
        );
        assert_eq!(
            keys(&f["format"]),
            [
                "bits_per_sample",
                "channels",
                "codec",
                "container",
                "lossy",
                "sample_rate_hz"
            ]
        );
        assert_eq!(
            keys(&f["channels"][0]),
            [
                "clipped_runs",
                "clipped_samples",
                "dc_offset",
                "dc_offset_dbfs",
                "index",
                "sample_peak_dbfs",
                "true_peak_dbtp",
            ]
        );
        assert_eq!(
            keys(&f["phase_correlation"]),
            ["overall", "worst_400ms", "worst_400ms_end_s"]
        );
        assert_eq!(
            keys(&f["target_check"]),
            [
                "loudness_deviation_lu",
                "loudness_ok",
                "passes",
                "target",
                "true_peak_margin_db",
                "true_peak_ok"
            ]
        );
        assert_eq!(
            keys(&f["warnings"][0]),
            ["kind", "limit_dbfs", "message", "sample_peak_dbfs"]
        );
        assert_eq!(f["warnings"][0]["kind"], "no_headroom");
        assert_eq!(
            keys(&json["album"]),
            ["integrated_lufs", "tracks", "true_peak_dbtp"]
        );
        assert_eq!(
            keys(&json["album"]["tracks"][0]),
            [
                "duration_s",
                "integrated_lufs",
                "loudness_range_lu",
                "path",
                "relative_to_album_lu",
                "true_peak_dbtp"
            ]
        );
        assert_eq!(
            keys(&json["target"]),
            ["integrated_lufs", "name", "tolerance_lu", "true_peak_dbtp"]
        );
        // The values are the analysis's own.
        assert_eq!(
            f["integrated_lufs"].as_f64().unwrap(),
            loud.analysis.integrated_lufs
        );
        assert_eq!(
            f["true_peak_dbtp"].as_f64().unwrap(),
            loud.analysis.true_peak_dbtp
        );
        assert_eq!(
            f["target_check"]["passes"], true,
            "a -23 dBFS sine is on the EBU target"
        );
        assert_eq!(json["files"][1]["target_check"], Value::Null);
    }

    #[test]
    fn silence_is_null_and_reports_read_back() {
        let silent = file(analyse_stereo_sine(0.0, 1.0), "silence.wav");
        let report =
            AnalysisReport::new(None, vec![FileReport::new(&silent, None, &[])], None, &[]);
        let text = report.to_json().unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        let f = &json["files"][0];
        for key in [
            "integrated_lufs",
            "true_peak_dbtp",
            "sample_peak_dbfs",
            "plr_db",
            "phase_correlation",
        ] {
            assert_eq!(f[key], Value::Null, "{key}");
        }
        assert_eq!(f["head_silence_s"], 1.0);
        let back: AnalysisReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn warnings_read_back_with_their_kind() {
        let warnings = [
            Warning::MixedSampleRates {
                rates_hz: vec![44_100, 48_000],
            },
            Warning::Clipped {
                runs: 3,
                samples: 12,
            },
        ];
        let report = AnalysisReport::new(None, Vec::new(), None, &warnings);
        let back: AnalysisReport = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        let kinds: Vec<&Warning> = back.warnings.iter().map(|w| &w.warning).collect();
        assert_eq!(kinds, warnings.iter().collect::<Vec<_>>());
        assert_eq!(back.warnings[1].message, warnings[1].to_string());
    }
}
