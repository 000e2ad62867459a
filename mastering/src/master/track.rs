//! Preparing a track for mastering: the pre-limiter audio rendered when the chain has
//! anything before the limiter, the input analysed (for the report and its warnings), and
//! the pre-limiter audio profiled for the limiter model, the analysis and the profile
//! running side by side.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use mixgraph_engine::{AudioReader, OutputFormat, RenderRequest, SampleFormat};

use super::error::MasterError;
use super::limiter_model::{LIMITER_HEADROOM_DB, LoudnessProfile, ProfileBuilder};
use super::master_chain::MasterChain;
use super::parallel::parallel_map;
use super::staging::Staging;
use crate::analysis::{FileAnalysis, analyze_file};
use crate::warnings::{Warning, WarningThresholds, mastering_input_warnings};

/// Frames per block when rendering and reading.
pub const BLOCK_FRAMES: usize = 4096;
/// How far under the limiter's threshold the input analysis's true peak must stay, in dB,
/// to leave the limiter out without a profile: the analysis meter's interpolation reads a
/// few tenths of a dB lower than the limiter's detector on some material.
const ANALYZER_IDLE_MARGIN_DB: f64 = 0.3;
/// The same margin with the profile, whose detector is the limiter's own design.
const PROFILE_IDLE_MARGIN_DB: f64 = 0.05;

/// Levels of the audio the limiter is fed (before the mastering gain).
#[derive(Debug, Clone, PartialEq)]
pub struct PreLevels {
    /// Integrated loudness, in LUFS.
    pub integrated_lufs: f64,
    /// True peak, in dBTP.
    pub true_peak_dbtp: f64,
    /// Mean-square energies of the gating blocks, for album loudness.
    pub gating_energies: Vec<f64>,
}

/// One input, measured and ready to render.
pub struct Track {
    /// The input file.
    pub input: PathBuf,
    /// Its file stem, naming its deliverables.
    pub stem: String,
    /// The input's analysis.
    pub analysis: FileAnalysis,
    /// What is wrong with it as a mix for mastering.
    pub warnings: Vec<Warning>,
    /// The file the post-limiter graph reads: the input, or its pre-limiter rendering.
    pub source: PathBuf,
    /// Levels of `source`.
    pub pre: PreLevels,
    /// The limiter model's profile of `source`; left out when the limiter clearly has
    /// nothing to do, computed on demand when it turns out to be needed.
    pub profile: Option<LoudnessProfile>,
}

impl Track {
    /// Whether the limiter would leave this track untouched at `gain_db` into a limiter at
    /// `ceiling_dbtp`, with a margin for the precision of the peak estimate.
    pub fn limiter_idle(&self, gain_db: f64, ceiling_dbtp: f64, chain: &MasterChain) -> bool {
        match &self.profile {
            Some(profile) => {
                let mut limiter = chain.limiter_settings();
                limiter.ceiling_dbtp = ceiling_dbtp;
                profile.limiter_idle(gain_db, &limiter, PROFILE_IDLE_MARGIN_DB)
            }
            None => analyzer_idle(self.pre.true_peak_dbtp, gain_db, ceiling_dbtp),
        }
    }

    /// Computes the profile if it was left out.
    ///
    /// # Errors
    /// [`MasterError::Analysis`] when the source cannot be read.
    pub fn ensure_profile(&mut self) -> Result<&LoudnessProfile, MasterError> {
        if self.profile.is_none() {
            let profile = profile_file(&self.source, &AtomicBool::new(false))?;
            self.profile = profile;
        }
        self.profile.as_ref().ok_or_else(|| MasterError::Silent {
            path: self.input.clone(),
        })
    }
}

/// Whether a true peak measured by the analysis, raised by `gain_db`, stays clear of a
/// limiter at `ceiling_dbtp`.
fn analyzer_idle(true_peak_dbtp: f64, gain_db: f64, ceiling_dbtp: f64) -> bool {
    true_peak_dbtp + gain_db <= ceiling_dbtp - LIMITER_HEADROOM_DB - ANALYZER_IDLE_MARGIN_DB
}

/// What the caller knows before the tracks are measured: where they aim, so a profile that
/// will not be needed can be cut short.
pub struct Plan<'a> {
    /// The chain.
    pub chain: &'a MasterChain,
    /// The loudness aimed at, in LUFS.
    pub target_lufs: f64,
    /// The limiter's first ceiling, in dBTP.
    pub ceiling_dbtp: f64,
    /// Whether each track gets its own gain (false for an album, whose gain depends on all).
    pub per_track_gain: bool,
}

/// One job of the measuring phase.
enum Job {
    Analyse(usize),
    Profile(usize),
}

/// Renders the pre-limiter audio where needed, then measures and profiles every input.
///
/// # Errors
/// An input that cannot be read or rendered.
pub fn prepare(
    inputs: &[(PathBuf, String)],
    plan: &Plan<'_>,
    staging: &Staging,
) -> Result<Vec<Track>, MasterError> {
    let chain = plan.chain;
    // The pre-limiter renders (one per track needing it), in parallel.
    let sources = parallel_map(
        inputs,
        |(input, stem)| -> Result<(PathBuf, bool), MasterError> {
            let channels = AudioReader::open(input)
                .map_err(|source| crate::error::AnalysisError::Read {
                    path: input.clone(),
                    source,
                })?
                .info()
                .channels;
            let Some(graph) = chain.pre_graph_for(channels)? else {
                return Ok((input.clone(), false));
            };
            let scratch = staging.scratch(&format!("{stem}.pre.wav"));
            let mut request = RenderRequest::new()
                .block(BLOCK_FRAMES)
                .input(chain.input_name(), input)
                .output(
                    chain.pre_output_name(),
                    &scratch,
                    OutputFormat::new(SampleFormat::Float32),
                );
            if let Some(rate) = chain.sample_rate() {
                request = request.sample_rate(rate);
            }
            mixgraph_engine::render(&graph, &request, &mut |_, _| {}).map_err(|source| {
                MasterError::Render {
                    what: format!("the chain up to the limiter for `{}`", input.display()),
                    source: Box::new(source),
                }
            })?;
            Ok((scratch, true))
        },
    );
    let sources = sources.into_iter().collect::<Result<Vec<_>, _>>()?;
    let cancel: Vec<AtomicBool> = inputs.iter().map(|_| AtomicBool::new(false)).collect();
    let jobs: Vec<Job> = (0..inputs.len())
        .flat_map(|i| [Job::Analyse(i), Job::Profile(i)])
        .collect();
    let results = parallel_map(&jobs, |job| -> Result<Measured, MasterError> {
        match *job {
            Job::Analyse(i) => {
                let analysis = analyze_file(&inputs[i].0)?;
                let (_, pre_rendered) = &sources[i];
                // The input is the limiter's input: when a gain to the target keeps its peaks
                // clear of the limiter, its profile is not needed.
                let a = &analysis.analysis;
                if plan.per_track_gain
                    && !pre_rendered
                    && analyzer_idle(
                        a.true_peak_dbtp,
                        plan.target_lufs - a.integrated_lufs,
                        plan.ceiling_dbtp,
                    )
                {
                    cancel[i].store(true, Ordering::Relaxed);
                }
                Ok(Measured::Analysis(Box::new(analysis)))
            }
            Job::Profile(i) => Ok(Measured::Profile(profile_file(&sources[i].0, &cancel[i])?)),
        }
    });
    let (mut analyses, mut profiles) = (Vec::new(), Vec::new());
    for result in results {
        match result? {
            Measured::Analysis(a) => analyses.push(*a),
            Measured::Profile(p) => profiles.push(p),
        }
    }
    let thresholds = WarningThresholds::default();
    let mut tracks = Vec::with_capacity(inputs.len());
    for (((input, stem), (source, pre_rendered)), (analysis, profile)) in inputs
        .iter()
        .zip(sources)
        .zip(analyses.into_iter().zip(profiles))
    {
        let pre = match (&profile, pre_rendered) {
            (Some(profile), true) => {
                let unlimited = profile.unlimited();
                PreLevels {
                    integrated_lufs: unlimited.integrated_lufs,
                    true_peak_dbtp: profile.peak_dbtp(),
                    gating_energies: unlimited.gating_energies,
                }
            }
            _ => PreLevels {
                integrated_lufs: analysis.analysis.integrated_lufs,
                true_peak_dbtp: analysis.analysis.true_peak_dbtp,
                gating_energies: analysis.analysis.gating_energies.clone(),
            },
        };
        if !pre.integrated_lufs.is_finite() {
            return Err(MasterError::Silent {
                path: input.clone(),
            });
        }
        tracks.push(Track {
            input: input.clone(),
            stem: stem.clone(),
            warnings: mastering_input_warnings(&analysis.analysis, &analysis.info, &thresholds),
            analysis,
            source,
            pre,
            profile,
        });
    }
    Ok(tracks)
}

/// A result of the measuring phase.
enum Measured {
    Analysis(Box<FileAnalysis>),
    Profile(Option<LoudnessProfile>),
}

/// The limiter model's profile of a file; `None` when `cancel` was raised before the end.
fn profile_file(path: &Path, cancel: &AtomicBool) -> Result<Option<LoudnessProfile>, MasterError> {
    let read_error = |source| crate::error::AnalysisError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = AudioReader::open(path).map_err(read_error)?;
    let info = reader.info().clone();
    let mut builder = ProfileBuilder::new(info.sample_rate, info.channels);
    let mut buffers = vec![vec![0.0f32; BLOCK_FRAMES]; info.channels];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let frames = reader
            .read(&mut buffers, BLOCK_FRAMES)
            .map_err(read_error)?;
        if frames == 0 {
            break;
        }
        let block: Vec<&[f32]> = buffers
            .iter()
            .map(|b| b.get(..frames).unwrap_or_default())
            .collect();
        builder.push(&block);
    }
    Ok(Some(builder.finish()))
}
