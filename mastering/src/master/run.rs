//! The mastering run: measure every input, choose the gain in front of the limiter (and
//! whether the limiter needs to run) from the limiter model, render all deliverables of a
//! track in one pass, measure every delivered file, and correct and render again whatever
//! is off, until every deliverable is on target or the run fails with the reason.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mixgraph_engine::{ReadingValue, RenderRequest};

use super::deliverable::Deliverable;
use super::error::MasterError;
use super::events::MasterEvent;
use super::group::{Group, group_loudness};
use super::inputs::{check_outputs, name_inputs};
use super::master_chain::{LIMITER_CEILING_RANGE, MasterChain};
use super::options::MasterOptions;
use super::parallel::{parallel_map, parallel_map_evenly};
use super::planning::{AIM_FRACTION, PEAK_SLACK_DB};
use super::report::MasterReport;
use super::settings::RenderSettings;
use super::staging::Staging;
use super::timing::Timing;
use super::track::{BLOCK_FRAMES, Track, analyse_inputs, prepare};
use crate::analysis::{Analysis, AnalyzerConfig, FileAnalysis, analyze_file_with};
use crate::error::AnalysisError;
use crate::targets::Target;

/// How far the limiter's own reading may exceed the allowed gain reduction, in dB.
const MEASURED_REDUCTION_SLACK_DB: f64 = 0.05;
/// Settings this close, in dB, are rendered together (the deliverables of one rate differ
/// only by their dither, whose effect on loudness is a few ten-thousandths of a LU).
const SHARED_RENDER_DB: f64 = 0.005;

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
    let timing = Timing::from_env();
    let result = master_timed(chain, inputs, options, events, started, &timing);
    timing.print();
    result
}

fn master_timed(
    chain: &MasterChain,
    inputs: &[PathBuf],
    options: &MasterOptions,
    events: &mut dyn FnMut(&MasterEvent),
    started: Instant,
    timing: &Timing,
) -> Result<MasterReport, MasterError> {
    options.check()?;
    let named = name_inputs(inputs)?;
    check_outputs(&named, options)?;
    let mut staging = Staging::create(&options.out_dir)?;
    // The inputs' full analyses (for the report) run beside everything else from the start:
    // beside the profiles first, then the renders and the measurements.
    std::thread::scope(|scope| {
        let analyses =
            scope.spawn(|| timing.phase(|| "analyse inputs".into(), || analyse_inputs(&named)));
        let delivered = prepare_and_deliver(chain, &named, options, &mut staging, events, timing);
        let analyses = analyses
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let Delivered {
            run,
            groups,
            tracks,
        } = delivered?;
        run.finish(&groups, &tracks, &analyses?, staging, started)
    })
}

/// Every deliverable of a run on target, ready for the report.
struct Delivered<'a> {
    run: Run<'a>,
    groups: Vec<Group>,
    tracks: Vec<Track>,
}

/// Profiles every input, then plans, renders, measures and corrects every deliverable.
fn prepare_and_deliver<'a>(
    chain: &'a MasterChain,
    named: &[(PathBuf, String)],
    options: &'a MasterOptions,
    staging: &mut Staging,
    events: &mut dyn FnMut(&MasterEvent),
    timing: &'a Timing,
) -> Result<Delivered<'a>, MasterError> {
    let target = options.target;
    let first_ceiling = (target.true_peak_dbtp - options.ceiling_margin_db)
        .clamp(LIMITER_CEILING_RANGE.0, LIMITER_CEILING_RANGE.1);
    let tracks = timing.phase(
        || "prepare (pre-limiter render, profile)".into(),
        || prepare(named, chain, staging),
    )?;
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
        timing,
    };
    run.deliver(&groups, &tracks, first_ceiling, staging, events)?;
    Ok(Delivered {
        run,
        groups,
        tracks,
    })
}

/// The state of one deliverable of one group.
#[derive(Debug, Clone, Copy)]
pub(super) struct Delivery {
    /// The settings of its next (or last) render.
    pub(super) settings: RenderSettings,
    pub(super) renders: usize,
    pub(super) done: bool,
}

/// One render of one deliverable of one track, and what was measured on the file.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub(super) settings: RenderSettings,
    pub(super) max_reduction_db: Option<f64>,
    pub(super) file: FileAnalysis,
    pub(super) passes: bool,
    pub(super) correction: Option<String>,
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
pub(super) struct Run<'a> {
    pub(super) chain: &'a MasterChain,
    pub(super) options: &'a MasterOptions,
    pub(super) target: Target,
    /// Per group, per deliverable (in `options.deliverables` order).
    pub(super) deliveries: Vec<Vec<Delivery>>,
    /// Per track, per deliverable, every render in order.
    pub(super) attempts: Vec<Vec<Vec<Attempt>>>,
    pub(super) renders: usize,
    /// Where the time goes.
    pub(super) timing: &'a Timing,
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
        let timing = self.timing;
        timing.phase(
            || "plan".into(),
            || self.plan(groups, tracks, first_ceiling, events),
        )?;
        while self.round(groups, tracks, staging, events)? {}
        Ok(())
    }

    /// The first settings of every group, from the limiter model.
    fn plan(
        &mut self,
        groups: &[Group],
        tracks: &[Track],
        first_ceiling: f64,
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
        Ok(())
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
        // Each job renders, then reads back and measures the files it wrote, all at once;
        // jobs run side by side, so one job's files are measured while another renders.
        let (chain, timing) = (self.chain, self.timing);
        let plotted = |d: usize| self.options.plot && d == 0;
        let rendered = self.renders;
        let outcomes = timing.phase(
            || {
                format!(
                    "render and measure {} job(s) after {rendered} render(s)",
                    jobs.len()
                )
            },
            || {
                parallel_map(&jobs, |job| {
                    render_and_measure(chain, &tracks[job.track], job, &plotted, timing)
                })
            },
        );
        let mut measured = Vec::with_capacity(jobs.len());
        for (job, outcome) in jobs.iter().zip(outcomes) {
            let (rendered, files) = outcome?;
            self.renders += 1;
            events(&MasterEvent::Rendered {
                track: tracks[job.track].stem.clone(),
                deliverables: job.outputs.iter().map(|(_, d, _)| *d).collect(),
                settings: job.settings,
                max_reduction_db: rendered.max_reduction_db,
                seconds: rendered.seconds,
            });
            if let (Some(limit), Some(reading)) = (
                self.options.max_gain_reduction_db,
                rendered.max_reduction_db,
            ) {
                if reading > limit + MEASURED_REDUCTION_SLACK_DB {
                    let group = groups
                        .iter()
                        .find(|g| g.tracks.contains(&job.track))
                        .unwrap_or(&groups[0]);
                    return Err(self.unreachable(
                        group,
                        tracks,
                        &job.settings,
                        reading,
                        self.target.integrated_lufs,
                    ));
                }
            }
            measured.push((job, rendered.max_reduction_db, files));
        }
        for (job, reading, files) in measured {
            for ((d, _, _), file) in job.outputs.iter().zip(files) {
                self.attempts[job.track][*d].push(Attempt {
                    settings: job.settings,
                    max_reduction_db: reading,
                    file: file.map_err(MasterError::Measure)?,
                    passes: false,
                    correction: None,
                });
            }
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
}

/// Renders one job, then measures every file it wrote, read back from the disk, all at once
/// (the spectrum only where `plotted` says the deliverable is drawn).
fn render_and_measure(
    chain: &MasterChain,
    track: &Track,
    job: &RenderJob,
    plotted: &(dyn Fn(usize) -> bool + Sync),
    timing: &Timing,
) -> Result<(Rendered, Vec<Result<FileAnalysis, AnalysisError>>), MasterError> {
    let rendered = timing.phase(
        || format!("  render {}", track.stem),
        || render(chain, &track.source, job),
    )?;
    let files = parallel_map_evenly(&job.outputs, |(d, _, path)| {
        timing.phase(
            || {
                let name = path.file_name().unwrap_or_default();
                format!("  measure {}", name.to_string_lossy())
            },
            || {
                analyze_file_with(path, |info| AnalyzerConfig {
                    spectrum: plotted(*d),
                    ..AnalyzerConfig::for_bit_depth(info.bits_per_sample)
                })
            },
        )
    });
    Ok((rendered, files))
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
