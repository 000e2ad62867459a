//! Assembling the mastering report from the measured deliverables (per track, per
//! deliverable, per album), drawing the plots, writing the JSON, and moving everything into
//! place.

use std::path::Path;
use std::time::Instant;

use super::deliverable::Deliverable;
use super::error::MasterError;
use super::group::Group;
use super::planning::PEAK_SLACK_DB;
use super::report::{
    AlbumDeliverableReport, AttemptReport, DeliverableReport, MASTER_REPORT_SCHEMA_VERSION,
    MasterReport, Processing, TrackReport,
};
use super::run::{Attempt, Run};
use super::staging::Staging;
use super::track::{InputAnalysis, Track};
use crate::analysis::{AlbumAnalysis, Analysis, FileAnalysis};
use crate::plot::plot_analysis;
use crate::report::{AlbumReport, FileReport, TargetReport};
use crate::targets::Target;

/// Name of the report file in the output folder.
pub const REPORT_FILE: &str = "master-report.json";

impl Run<'_> {
    /// Draws the plots, writes the report and moves everything into place.
    pub(super) fn finish(
        self,
        groups: &[Group],
        tracks: &[Track],
        inputs: &[InputAnalysis],
        mut staging: Staging,
        started: Instant,
    ) -> Result<MasterReport, MasterError> {
        let target = self.target;
        let options = self.options;
        let mut track_reports = Vec::with_capacity(tracks.len());
        for ((t, track), input) in tracks.iter().enumerate().zip(inputs) {
            let plot = match (
                options.plot,
                self.attempts[t].first().and_then(|a| a.last()),
            ) {
                (true, Some(first)) => {
                    let name = format!("{}-master.png", track.stem);
                    let path = staging.deliver(&name);
                    self.timing.phase(
                        || format!("plot {name}"),
                        || plot_analysis(&first.file.analysis, Some(&target), &path),
                    )?;
                    Some(staging.final_path(&name).display().to_string())
                }
                _ => None,
            };
            let deliverables = options
                .deliverables
                .iter()
                .zip(&self.attempts[t])
                .filter_map(|(&deliverable, attempts)| {
                    let last = attempts.last()?;
                    Some(deliverable_report(
                        deliverable,
                        attempts,
                        &staging.final_path(&deliverable.file_name(&track.stem)),
                        &target,
                        last,
                    ))
                })
                .collect();
            track_reports.push(TrackReport {
                input: FileReport::new(&input.file, Some(&target), &input.warnings),
                plot,
                deliverables,
            });
        }
        let album = options
            .album
            .then(|| self.album_reports(groups, tracks, &staging))
            .transpose()?;
        let passes = track_reports
            .iter()
            .flat_map(|t| &t.deliverables)
            .all(|d| d.passes)
            && album.iter().flatten().all(|a| a.passes);
        let mut report = MasterReport {
            schema_version: MASTER_REPORT_SCHEMA_VERSION,
            target: TargetReport::new(&target),
            tolerance_lu: options.tolerance_lu,
            chain: self.chain.name().to_string(),
            album_mode: options.album,
            max_gain_reduction_db: options.max_gain_reduction_db,
            ceiling_margin_db: options.ceiling_margin_db,
            tracks: track_reports,
            album,
            renders: self.renders,
            wall_seconds: 0.0,
            passes,
        };
        report.wall_seconds = started.elapsed().as_secs_f64();
        let json = report.to_json().map_err(|e| MasterError::File {
            action: "write the report",
            path: staging.final_path(REPORT_FILE),
            source: std::io::Error::other(e),
        })?;
        let path = staging.deliver(REPORT_FILE);
        std::fs::write(&path, json).map_err(|source| MasterError::File {
            action: "write the report",
            path: staging.final_path(REPORT_FILE),
            source,
        })?;
        staging.commit()?;
        Ok(report)
    }

    /// The album per deliverable, from the files as delivered.
    fn album_reports(
        &self,
        groups: &[Group],
        tracks: &[Track],
        staging: &Staging,
    ) -> Result<Vec<AlbumDeliverableReport>, MasterError> {
        let target = self.target;
        let Some(group) = groups.first() else {
            return Ok(Vec::new());
        };
        let mut reports = Vec::new();
        for (d, &deliverable) in self.options.deliverables.iter().enumerate() {
            let files: Vec<FileAnalysis> = group
                .tracks
                .iter()
                .filter_map(|&t| {
                    let last = self.attempts[t][d].last()?;
                    let mut file = last.file.clone();
                    file.path = staging.final_path(&deliverable.file_name(&tracks[t].stem));
                    Some(file)
                })
                .collect();
            let analyses: Vec<&Analysis> = files.iter().map(|f| &f.analysis).collect();
            let album = AlbumAnalysis::from_tracks(&analyses)?;
            let deviation = album.integrated_lufs - target.integrated_lufs;
            let passes = deviation.abs() <= self.options.tolerance_lu
                && album.true_peak_dbtp <= target.true_peak_dbtp + PEAK_SLACK_DB;
            reports.push(AlbumDeliverableReport {
                deliverable,
                integrated_lufs: finite(album.integrated_lufs),
                loudness_deviation_lu: finite(deviation),
                true_peak_dbtp: finite(album.true_peak_dbtp),
                passes,
                tracks: AlbumReport::new(&album, &files.iter().collect::<Vec<_>>()),
            });
        }
        Ok(reports)
    }
}

/// The report of one delivered file.
fn deliverable_report(
    deliverable: Deliverable,
    attempts: &[Attempt],
    path: &Path,
    target: &Target,
    last: &Attempt,
) -> DeliverableReport {
    let a = &last.file.analysis;
    let mut file = last.file.clone();
    file.path = path.to_path_buf();
    let check = target.check(a);
    DeliverableReport {
        deliverable,
        path: path.display().to_string(),
        sample_rate_hz: last.file.info.sample_rate,
        bits_per_sample: deliverable.sample_format().bits(),
        dither: deliverable.dither().name().to_string(),
        processing: if last.settings.limiting {
            Processing::GainAndLimiting
        } else {
            Processing::GainOnly
        },
        gain_db: last.settings.gain_db,
        limiter_ceiling_dbtp: last.settings.limiting.then_some(last.settings.ceiling_dbtp),
        max_gain_reduction_db: last.max_reduction_db,
        integrated_lufs: finite(a.integrated_lufs),
        true_peak_dbtp: finite(a.true_peak_dbtp),
        loudness_deviation_lu: check.loudness_deviation_lu,
        true_peak_margin_db: finite(check.true_peak_margin_db),
        passes: last.passes,
        attempts: attempts
            .iter()
            .map(|a| AttemptReport {
                settings: a.settings,
                max_gain_reduction_db: a.max_reduction_db,
                integrated_lufs: finite(a.file.analysis.integrated_lufs),
                true_peak_dbtp: finite(a.file.analysis.true_peak_dbtp),
                passes: a.passes,
                correction: a.correction.clone(),
            })
            .collect(),
        measured: FileReport::new(&file, Some(target), &[]),
    }
}

/// `Some(x)` for a finite level; `None` for silence or an undefined reading.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
