//! The mastering run: measure every input, choose the gain in front of the limiter (and
//! whether the limiter needs to run) from the limiter model, render all deliverables of a
//! track in one pass, measure every delivered file, and correct and render again whatever
//! is off, until every deliverable is on target or the run fails with the reason.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mixgraph_engine::io::check_not_input;
use mixgraph_engine::{ReadingValue, RenderRequest};

use super::deliverable::Deliverable;
use super::error::MasterError;
use super::events::MasterEvent;
use super::master_chain::{GAIN_RANGE, LIMITER_CEILING_RANGE, MasterChain};
use super::options::MasterOptions;
use super::parallel::parallel_map;
use super::report::{
    AlbumDeliverableReport, AttemptReport, DeliverableReport, MASTER_REPORT_SCHEMA_VERSION,
    MasterReport, Processing, TrackReport,
};
use super::settings::RenderSettings;
use super::solver::solve_gain;
use super::staging::Staging;
use super::track::{BLOCK_FRAMES, InputAnalysis, Track, analyse_inputs, prepare};
use crate::analysis::{AlbumAnalysis, Analysis, FileAnalysis, analyze_file, gated_loudness};
use crate::plot::plot_analysis;
use crate::report::{AlbumReport, FileReport, TargetReport};
use crate::targets::Target;

/// Name of the report file in the output folder.
pub const REPORT_FILE: &str = "master-report.json";
/// How far a predicted gain reduction may exceed the allowed one before the run fails
/// without rendering, in dB (the model matches the limiter's reading to about 0.01 dB).
const PREDICTED_REDUCTION_SLACK_DB: f64 = 0.02;
/// How far the limiter's own reading may exceed the allowed gain reduction, in dB.
const MEASURED_REDUCTION_SLACK_DB: f64 = 0.05;
/// Extra lowering of the limiter's ceiling after a true peak over the target's, in dB.
const CEILING_STEP_DB: f64 = 0.02;
/// The part of the tolerance a delivered loudness should land within; a file within the
/// tolerance but beyond this is rendered again while renders remain.
const AIM_FRACTION: f64 = 0.5;
/// Settings this close, in dB, are rendered together (the deliverables of one rate differ
/// only by their dither, whose effect on loudness is a few ten-thousandths of a LU).
const SHARED_RENDER_DB: f64 = 0.005;
/// A correction smaller than this, in dB, changes nothing.
const NO_CHANGE_DB: f64 = 1e-6;
/// The smallest slope of loudness over gain a secant step assumes (a limiter working very
/// hard), so that a measurement's noise cannot send the gain far away.
const MIN_SLOPE: f64 = 0.1;
/// Slack on comparisons of measured peaks with the ceiling, in dB.
const PEAK_SLACK_DB: f64 = 1e-9;

/// Masters `inputs` through `chain` to `options.target` and writes every deliverable, the
/// report and the plots into `options.out_dir`. `events` hears of every measurement,
/// render and correction as it happens.
///
/// # Errors
/// See [`MasterError`]. After any error no deliverable, report or plot of this run exists.
pub fn master(
    chain: &MasterChain,
    inputs: &[PathBuf],
    options: &MasterOptions,
    events: &mut dyn FnMut(&MasterEvent),
) -> Result<MasterReport, MasterError> {
    let started = Instant::now();
    options.check()?;
    let named = name_inputs(inputs)?;
    check_outputs(&named, options)?;
    let mut staging = Staging::create(&options.out_dir)?;
    let target = options.target;
    let first_ceiling = (target.true_peak_dbtp - options.ceiling_margin_db)
        .clamp(LIMITER_CEILING_RANGE.0, LIMITER_CEILING_RANGE.1);
    let tracks = prepare(&named, chain, &staging)?;
    for t in &tracks {
        events(&MasterEvent::Measured {
            track: t.stem.clone(),
            integrated_lufs: t.pre.integrated_lufs,
            true_peak_dbtp: t.pre.true_peak_dbtp,
        });
    }
    let groups: Vec<Group> = if options.album {
        vec![Group {
            name: "album".to_string(),
            tracks: (0..tracks.len()).collect(),
        }]
    } else {
        tracks
            .iter()
            .enumerate()
            .map(|(i, t)| Group {
                name: t.stem.clone(),
                tracks: vec![i],
            })
            .collect()
    };
    let mut run = Run {
        chain,
        options,
        target,
        deliveries: Vec::with_capacity(groups.len()),
        attempts: vec![vec![Vec::new(); options.deliverables.len()]; tracks.len()],
        renders: 0,
    };
    // The inputs' full analyses (for the report) run beside the renders.
    std::thread::scope(|scope| {
        let analyses = scope.spawn(|| analyse_inputs(&named));
        let delivered = run.deliver(&groups, &tracks, first_ceiling, &mut staging, events);
        let analyses = analyses
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        delivered?;
        run.finish(&groups, &tracks, &analyses?, staging, started)
    })
}

/// Tracks that share one gain: one track, or an album.
struct Group {
    name: String,
    tracks: Vec<usize>,
}

/// What the limiter model predicts for a group.
struct GroupPrediction {
    integrated_lufs: f64,
    max_reduction_db: f64,
}

impl Group {
    fn members<'a>(&'a self, tracks: &'a [Track]) -> impl Iterator<Item = &'a Track> + Clone + 'a {
        self.tracks.iter().filter_map(|&i| tracks.get(i))
    }

    /// Integrated loudness of the group's pre-limiter audio (all tracks gated together).
    fn pre_loudness(&self, tracks: &[Track]) -> f64 {
        gated_loudness(
            self.members(tracks)
                .flat_map(|t| t.pre.gating_energies.iter()),
        )
    }

    /// Whether the limiter would leave every track untouched.
    fn idle(&self, tracks: &[Track], gain_db: f64, ceiling_dbtp: f64, chain: &MasterChain) -> bool {
        self.members(tracks)
            .all(|t| t.limiter_idle(gain_db, ceiling_dbtp, chain))
    }

    /// The loudness and gain reduction the settings are expected to give; exact without
    /// limiting, the limiter model's estimate with it.
    fn predict(
        &self,
        tracks: &[Track],
        settings: &RenderSettings,
        chain: &MasterChain,
    ) -> GroupPrediction {
        let gain_power = 10f64.powf(settings.gain_db / 10.0);
        let mut limiter = chain.limiter_settings();
        limiter.ceiling_dbtp = settings.ceiling_dbtp;
        let mut energies = Vec::new();
        let mut max_reduction_db: f64 = 0.0;
        for t in self.members(tracks) {
            if settings.limiting {
                let p = t.profile.predict(settings.gain_db, &limiter);
                max_reduction_db = max_reduction_db.max(p.max_reduction_db);
                energies.extend(p.gating_energies);
            } else {
                energies.extend(t.pre.gating_energies.iter().map(|e| e * gain_power));
            }
        }
        GroupPrediction {
            integrated_lufs: gated_loudness(energies.iter()),
            max_reduction_db,
        }
    }
}

/// The state of one deliverable of one group.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    /// The settings of its next (or last) render.
    settings: RenderSettings,
    renders: usize,
    done: bool,
}

/// One render of one deliverable of one track, and what was measured on the file.
#[derive(Debug, Clone)]
struct Attempt {
    settings: RenderSettings,
    max_reduction_db: Option<f64>,
    file: FileAnalysis,
    passes: bool,
    correction: Option<String>,
}

/// A render of one track writing some of its deliverables.
struct RenderJob {
    track: usize,
    settings: RenderSettings,
    /// (index in the options, deliverable, staged file).
    outputs: Vec<(usize, Deliverable, PathBuf)>,
}

/// What a render job gives back.
struct Rendered {
    max_reduction_db: Option<f64>,
    seconds: f64,
}

/// The state of a mastering run.
struct Run<'a> {
    chain: &'a MasterChain,
    options: &'a MasterOptions,
    target: Target,
    /// Per group, per deliverable (in `options.deliverables` order).
    deliveries: Vec<Vec<Delivery>>,
    /// Per track, per deliverable, every render in order.
    attempts: Vec<Vec<Vec<Attempt>>>,
    renders: usize,
}

impl Run<'_> {
    /// Plans every group, then renders, measures and corrects until every deliverable is on
    /// target.
    fn deliver(
        &mut self,
        groups: &[Group],
        tracks: &[Track],
        first_ceiling: f64,
        staging: &mut Staging,
        events: &mut dyn FnMut(&MasterEvent),
    ) -> Result<(), MasterError> {
        for group in groups {
            let settings = self.settings_for(
                group,
                tracks,
                self.target.integrated_lufs,
                first_ceiling,
                false,
            )?;
            let prediction = group.predict(tracks, &settings, self.chain);
            events(&MasterEvent::Planned {
                group: group.name.clone(),
                settings,
                predicted_lufs: prediction.integrated_lufs,
                predicted_reduction_db: prediction.max_reduction_db,
            });
            self.deliveries.push(
                self.options
                    .deliverables
                    .iter()
                    .map(|_| Delivery {
                        settings,
                        renders: 0,
                        done: false,
                    })
                    .collect(),
            );
        }
        while self.round(groups, tracks, staging, events)? {}
        Ok(())
    }

    /// The settings that bring the group to `target_lufs` with the limiter at `ceiling_dbtp`:
    /// a gain alone when the limiter would not act (unless `limiting` is already on), else
    /// the gain the model finds for the limiter.
    ///
    /// # Errors
    /// [`MasterError::TargetUnreachable`] when the model predicts more gain reduction than
    /// allowed.
    fn settings_for(
        &self,
        group: &Group,
        tracks: &[Track],
        target_lufs: f64,
        ceiling_dbtp: f64,
        limiting: bool,
    ) -> Result<RenderSettings, MasterError> {
        let linear_gain =
            (target_lufs - group.pre_loudness(tracks)).clamp(GAIN_RANGE.0, GAIN_RANGE.1);
        if !limiting && group.idle(tracks, linear_gain, ceiling_dbtp, self.chain) {
            return Ok(RenderSettings {
                gain_db: linear_gain,
                ceiling_dbtp,
                limiting: false,
            });
        }
        let settings_at = |gain_db| RenderSettings {
            gain_db,
            ceiling_dbtp,
            limiting: true,
        };
        let gain = solve_gain(
            |g| {
                group
                    .predict(tracks, &settings_at(g), self.chain)
                    .integrated_lufs
            },
            target_lufs,
            linear_gain,
            GAIN_RANGE,
        );
        let settings = settings_at(gain);
        self.check_reduction(group, tracks, &settings, target_lufs)?;
        Ok(settings)
    }

    /// Fails when the model predicts more gain reduction for `settings` than allowed.
    fn check_reduction(
        &self,
        group: &Group,
        tracks: &[Track],
        settings: &RenderSettings,
        aimed_lufs: f64,
    ) -> Result<(), MasterError> {
        let predicted = group.predict(tracks, settings, self.chain).max_reduction_db;
        match self.options.max_gain_reduction_db {
            Some(limit) if predicted > limit + PREDICTED_REDUCTION_SLACK_DB => {
                Err(self.unreachable(group, tracks, settings, predicted, aimed_lufs))
            }
            _ => Ok(()),
        }
    }

    /// The gain that the last two renders of a deliverable, through the same limiter at
    /// different gains, point to: a secant step on their measured loudness.
    fn secant_gain(&self, group: &Group, d: usize, target_lufs: f64) -> Option<f64> {
        let history = |back: usize| -> Option<(RenderSettings, f64)> {
            let attempts: Vec<&Attempt> = group
                .tracks
                .iter()
                .map(|&t| {
                    let a = &self.attempts[t][d];
                    a.len().checked_sub(back + 1).and_then(|i| a.get(i))
                })
                .collect::<Option<_>>()?;
            let analyses: Vec<&Analysis> = attempts.iter().map(|a| &a.file.analysis).collect();
            Some((attempts.first()?.settings, group_loudness(&analyses)))
        };
        let ((before, l0), (last, l1)) = (history(1)?, history(0)?);
        let step = last.gain_db - before.gain_db;
        let same_limiter =
            before.limiting && last.limiting && before.ceiling_dbtp == last.ceiling_dbtp;
        if !same_limiter || step.abs() < 1e-6 || !(l0.is_finite() && l1.is_finite()) {
            return None;
        }
        // Limiting makes loudness grow slower than the gain, never faster or backwards.
        let slope = ((l1 - l0) / step).clamp(MIN_SLOPE, 1.0);
        Some((last.gain_db + (target_lufs - l1) / slope).clamp(GAIN_RANGE.0, GAIN_RANGE.1))
    }

    /// The error for a target that needs `needed_db` of gain reduction, with the loudness
    /// reachable within the allowed reduction.
    fn unreachable(
        &self,
        group: &Group,
        tracks: &[Track],
        settings: &RenderSettings,
        needed_db: f64,
        aimed_lufs: f64,
    ) -> MasterError {
        let limit = self.options.max_gain_reduction_db.unwrap_or(f64::INFINITY);
        let at = |gain_db| RenderSettings {
            gain_db,
            ..*settings
        };
        let gain = solve_gain(
            |g| group.predict(tracks, &at(g), self.chain).max_reduction_db,
            limit,
            settings.gain_db,
            GAIN_RANGE,
        );
        let reachable = group.predict(tracks, &at(gain), self.chain).integrated_lufs
            + (self.target.integrated_lufs - aimed_lufs);
        MasterError::TargetUnreachable {
            track: group.name.clone(),
            target_lufs: self.target.integrated_lufs,
            needed_reduction_db: needed_db,
            max_reduction_db: limit,
            reachable_lufs: reachable.is_finite().then_some(reachable),
        }
    }

    /// Renders and measures every pending deliverable, then checks them and plans the
    /// corrections. Returns whether another round is needed.
    fn round(
        &mut self,
        groups: &[Group],
        tracks: &[Track],
        staging: &mut Staging,
        events: &mut dyn FnMut(&MasterEvent),
    ) -> Result<bool, MasterError> {
        let jobs = self.render_jobs(groups, tracks, staging);
        if jobs.is_empty() {
            return Ok(false);
        }
        let chain = self.chain;
        let outcomes = parallel_map(&jobs, |job| render(chain, &tracks[job.track].source, job));
        let mut readings = Vec::with_capacity(jobs.len());
        for (job, outcome) in jobs.iter().zip(outcomes) {
            let rendered = outcome?;
            self.renders += 1;
            events(&MasterEvent::Rendered {
                track: tracks[job.track].stem.clone(),
                deliverables: job.outputs.iter().map(|(_, d, _)| *d).collect(),
                settings: job.settings,
                max_reduction_db: rendered.max_reduction_db,
                seconds: rendered.seconds,
            });
            if let (Some(limit), Some(measured)) = (
                self.options.max_gain_reduction_db,
                rendered.max_reduction_db,
            ) {
                if measured > limit + MEASURED_REDUCTION_SLACK_DB {
                    let group = groups
                        .iter()
                        .find(|g| g.tracks.contains(&job.track))
                        .unwrap_or(&groups[0]);
                    return Err(self.unreachable(
                        group,
                        tracks,
                        &job.settings,
                        measured,
                        self.target.integrated_lufs,
                    ));
                }
            }
            readings.push(rendered.max_reduction_db);
        }
        // Measure every file just written, in parallel.
        let written: Vec<(&RenderJob, Option<f64>, usize, &PathBuf)> = jobs
            .iter()
            .zip(readings)
            .flat_map(|(job, reading)| {
                job.outputs
                    .iter()
                    .map(move |(d, _, path)| (job, reading, *d, path))
            })
            .collect();
        let measured = parallel_map(&written, |(_, _, _, path)| analyze_file(path));
        for ((job, reading, d, _), file) in written.iter().zip(measured) {
            self.attempts[job.track][*d].push(Attempt {
                settings: job.settings,
                max_reduction_db: *reading,
                file: file.map_err(MasterError::Measure)?,
                passes: false,
                correction: None,
            });
        }
        self.check(groups, tracks, events)?;
        Ok(true)
    }

    /// One render per track and distinct settings, writing every pending deliverable.
    fn render_jobs(
        &mut self,
        groups: &[Group],
        tracks: &[Track],
        staging: &mut Staging,
    ) -> Vec<RenderJob> {
        let mut jobs: Vec<RenderJob> = Vec::new();
        for (group, deliveries) in groups.iter().zip(&mut self.deliveries) {
            for (d, delivery) in deliveries.iter_mut().enumerate() {
                if delivery.done {
                    continue;
                }
                delivery.renders += 1;
                let deliverable = self.options.deliverables[d];
                for &t in &group.tracks {
                    let output = (
                        d,
                        deliverable,
                        staging.deliver(&deliverable.file_name(&tracks[t].stem)),
                    );
                    match jobs.iter_mut().find(|j| {
                        j.track == t && j.settings.within(&delivery.settings, SHARED_RENDER_DB)
                    }) {
                        Some(job) => {
                            delivery.settings = job.settings;
                            job.outputs.push(output);
                        }
                        None => jobs.push(RenderJob {
                            track: t,
                            settings: delivery.settings,
                            outputs: vec![output],
                        }),
                    }
                }
            }
        }
        jobs
    }

    /// Checks the deliverables rendered in this round and plans a correction for each one
    /// off target.
    fn check(
        &mut self,
        groups: &[Group],
        tracks: &[Track],
        events: &mut dyn FnMut(&MasterEvent),
    ) -> Result<(), MasterError> {
        let target = self.target;
        for (g, group) in groups.iter().enumerate() {
            for d in 0..self.options.deliverables.len() {
                let delivery = self.deliveries[g][d];
                if delivery.done {
                    continue;
                }
                let finals: Vec<&Analysis> = group
                    .tracks
                    .iter()
                    .filter_map(|&t| self.attempts[t][d].last().map(|a| &a.file.analysis))
                    .collect();
                let loudness = group_loudness(&finals);
                let peak = finals
                    .iter()
                    .map(|a| a.true_peak_dbtp)
                    .fold(f64::NEG_INFINITY, f64::max);
                let deviation = (loudness - target.integrated_lufs).abs();
                let peak_ok = peak <= target.true_peak_dbtp + PEAK_SLACK_DB;
                let passes = deviation <= self.options.tolerance_lu && peak_ok;
                // Within the tolerance but off its centre (a rate conversion drops the
                // content above the new Nyquist frequency, say): corrected while renders
                // remain, so that other meters agree too.
                let centred = deviation <= self.options.tolerance_lu * AIM_FRACTION;
                let last_render = delivery.renders >= self.options.max_renders;
                let correction = if passes && (centred || last_render) {
                    None
                } else {
                    match self.correct(g, group, d, tracks, loudness, peak) {
                        Ok(correction) => Some(correction),
                        // Centring a file already on target is a refinement, not a need.
                        Err(_) if passes => None,
                        Err(e) => return Err(e),
                    }
                };
                for &t in &group.tracks {
                    if let Some(a) = self.attempts[t][d].last_mut() {
                        a.passes = passes;
                        a.correction = correction.as_ref().map(|(reason, _)| reason.clone());
                    }
                }
                match correction {
                    None => self.deliveries[g][d].done = true,
                    Some((reason, settings)) => {
                        events(&MasterEvent::Corrected {
                            group: group.name.clone(),
                            deliverable: self.options.deliverables[d],
                            reason,
                            settings,
                        });
                        self.deliveries[g][d].settings = settings;
                    }
                }
            }
        }
        Ok(())
    }

    /// New settings for a deliverable measured at `loudness` and `peak`, and why.
    ///
    /// # Errors
    /// [`MasterError::OffTarget`] when the render limit is reached or nothing can change.
    fn correct(
        &self,
        g: usize,
        group: &Group,
        d: usize,
        tracks: &[Track],
        loudness: f64,
        peak: f64,
    ) -> Result<(String, RenderSettings), MasterError> {
        let target = self.target;
        let delivery = self.deliveries[g][d];
        let old = delivery.settings;
        let off_target = MasterError::OffTarget {
            track: group.name.clone(),
            deliverable: self.options.deliverables[d].name(),
            renders: delivery.renders,
            integrated_lufs: loudness,
            true_peak_dbtp: peak,
            target_lufs: target.integrated_lufs,
            tolerance_lu: self.options.tolerance_lu,
            ceiling_dbtp: target.true_peak_dbtp,
        };
        if delivery.renders >= self.options.max_renders || !loudness.is_finite() {
            return Err(off_target);
        }
        let mut reasons = Vec::new();
        let mut ceiling = old.ceiling_dbtp;
        let mut limiting = old.limiting;
        let excess = peak - target.true_peak_dbtp;
        if excess > PEAK_SLACK_DB {
            ceiling = (ceiling - excess - CEILING_STEP_DB).max(LIMITER_CEILING_RANGE.0);
            if limiting {
                reasons.push(format!(
                    "true peak {peak:.2} dBTP is {excess:.2} dB over the ceiling: the limiter's \
                     ceiling goes down to {ceiling:.2} dBTP"
                ));
            } else {
                limiting = true;
                reasons.push(format!(
                    "true peak {peak:.2} dBTP is {excess:.2} dB over the ceiling after gain \
                     alone: the limiter is engaged, ceiling {ceiling:.2} dBTP"
                ));
            }
        }
        let predicted = group.predict(tracks, &old, self.chain).integrated_lufs;
        let bias = if predicted.is_finite() {
            loudness - predicted
        } else {
            0.0
        };
        let deviation = loudness - target.integrated_lufs;
        if deviation.abs() > self.options.tolerance_lu * AIM_FRACTION {
            reasons.push(format!(
                "measured {loudness:.2} LUFS, {deviation:+.2} LU from the target: the gain is \
                 corrected by the measured error"
            ));
        }
        let settings = match self.secant_gain(group, d, target.integrated_lufs) {
            // Two renders through the same limiter: their measured loudness gives the real
            // slope of loudness over gain, which the model only estimates.
            Some(gain_db) if limiting && old.limiting && ceiling == old.ceiling_dbtp => {
                let settings = RenderSettings { gain_db, ..old };
                self.check_reduction(group, tracks, &settings, target.integrated_lufs)?;
                settings
            }
            _ => {
                let aimed = target.integrated_lufs - bias;
                self.settings_for(group, tracks, aimed, ceiling, limiting)?
            }
        };
        if settings.limiting && !limiting {
            reasons.push(
                "the corrected gain lifts the peaks into the limiter: the limiter is engaged"
                    .to_string(),
            );
        }
        if settings.within(&old, NO_CHANGE_DB) {
            return Err(off_target);
        }
        Ok((reasons.join("; "), settings))
    }

    /// Draws the plots, writes the report and moves everything into place.
    fn finish(
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
                    plot_analysis(&first.file.analysis, Some(&target), &staging.deliver(&name))?;
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

/// Renders one job: the post-limiter graph from the track's source to its deliverables.
fn render(chain: &MasterChain, input: &Path, job: &RenderJob) -> Result<Rendered, MasterError> {
    let graph = chain.post_graph(&job.settings)?;
    let mut request = RenderRequest::new()
        .block(BLOCK_FRAMES)
        .input(chain.input_name(), input);
    if let Some(rate) = chain.sample_rate() {
        request = request.sample_rate(rate);
    }
    for (_, deliverable, path) in &job.outputs {
        request = request.output(chain.output_name(), path, deliverable.output_format());
    }
    let report = mixgraph_engine::render(&graph, &request, &mut |_, _| {}).map_err(|source| {
        MasterError::Render {
            what: format!("the master of `{}`", input.display()),
            source: Box::new(source),
        }
    })?;
    let max_reduction_db = job.settings.limiting.then(|| {
        report
            .readings
            .iter()
            .filter(|n| n.node == chain.limiter_name())
            .flat_map(|n| &n.readings)
            .find(|r| r.name == "max_gain_reduction")
            .and_then(|r| match r.value {
                ReadingValue::Scalar(v) => Some(v),
                _ => None,
            })
            .unwrap_or(0.0)
    });
    Ok(Rendered {
        max_reduction_db,
        seconds: report.wall_time.as_secs_f64(),
    })
}

/// Pairs every input with its file stem.
///
/// # Errors
/// [`MasterError::NoInputs`], or [`MasterError::SameName`] when two inputs share a stem.
fn name_inputs(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, MasterError> {
    if inputs.is_empty() {
        return Err(MasterError::NoInputs);
    }
    let mut named: Vec<(PathBuf, String)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let stem = input
            .file_stem()
            .map_or_else(|| "track".to_string(), |s| s.to_string_lossy().into_owned());
        if let Some((first, _)) = named.iter().find(|(_, s)| *s == stem) {
            return Err(MasterError::SameName {
                stem,
                first: first.clone(),
                second: input.clone(),
            });
        }
        named.push((input.clone(), stem));
    }
    Ok(named)
}

/// No file of the delivery may land on an input.
fn check_outputs(named: &[(PathBuf, String)], options: &MasterOptions) -> Result<(), MasterError> {
    let inputs: Vec<&PathBuf> = named.iter().map(|(p, _)| p).collect();
    let mut names: HashSet<String> = HashSet::from([REPORT_FILE.to_string()]);
    for (_, stem) in named {
        names.insert(format!("{stem}-master.png"));
        names.extend(options.deliverables.iter().map(|d| d.file_name(stem)));
    }
    for name in names {
        check_not_input(&options.out_dir.join(name), inputs.iter().copied())
            .map_err(MasterError::OutputIsInput)?;
    }
    Ok(())
}

/// Integrated loudness of tracks gated together (of the one track, for one).
fn group_loudness(analyses: &[&Analysis]) -> f64 {
    match analyses {
        [one] => one.integrated_lufs,
        many => AlbumAnalysis::from_tracks(many).map_or(f64::NEG_INFINITY, |a| a.integrated_lufs),
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
