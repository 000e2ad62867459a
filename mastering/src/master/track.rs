//! Preparing a track for mastering: the pre-limiter audio rendered when the chain has
//! anything before the limiter (or must change the file's channel count), then profiled for
//! the limiter model, which also gives the exact loudness of the limiter's input. The full
//! analysis of the input, for the report, runs beside the profiles and the renders
//! ([`analyse_inputs`]).

use std::path::{Path, PathBuf};

use mixgraph_engine::{AudioReader, OutputFormat, RenderRequest, SampleFormat};

use super::error::MasterError;
use super::limiter_model::{LoudnessProfile, ProfileBuilder};
use super::master_chain::MasterChain;
use super::parallel::parallel_map;
use super::staging::Staging;
use crate::analysis::{self, AnalyzerConfig, FileAnalysis, analyze_file_with};
use crate::error::AnalysisError;
use crate::warnings::{Warning, WarningThresholds, mastering_input_warnings};

/// Frames per block when rendering and reading.
pub const BLOCK_FRAMES: usize = 4096;
/// How far under the level where the limiter starts acting the profile's peaks must stay,
/// in dB, for the limiter to be left out (its detector is the limiter's own design, so
/// this only covers rounding and the chunking of the peaks).
const IDLE_MARGIN_DB: f64 = 0.05;

/// Levels of the audio the limiter is fed (before the mastering gain).
#[derive(Debug, Clone, PartialEq)]
pub struct PreLevels {
    /// Integrated loudness, in LUFS.
    pub integrated_lufs: f64,
    /// True peak as the limiter's detector sees it, in dBTP.
    pub true_peak_dbtp: f64,
    /// Mean-square energies of the gating blocks, for album loudness.
    pub gating_energies: Vec<f64>,
}

/// One input, profiled and ready to render.
pub struct Track {
    /// The input file.
    pub input: PathBuf,
    /// Its file stem, naming its deliverables.
    pub stem: String,
    /// The file the post-limiter graph reads: the input, or its pre-limiter rendering.
    pub source: PathBuf,
    /// Levels of `source`.
    pub pre: PreLevels,
    /// The limiter model's profile of `source`.
    pub profile: LoudnessProfile,
}

impl Track {
    /// Whether the limiter would leave this track untouched at `gain_db` into a limiter at
    /// `ceiling_dbtp`, with a margin for the precision of the peak estimate.
    pub fn limiter_idle(&self, gain_db: f64, ceiling_dbtp: f64, chain: &MasterChain) -> bool {
        let mut limiter = chain.limiter_settings();
        limiter.ceiling_dbtp = ceiling_dbtp;
        self.profile.limiter_idle(gain_db, &limiter, IDLE_MARGIN_DB)
    }
}

/// Renders the pre-limiter audio where needed and profiles every track, tracks in
/// parallel.
///
/// # Errors
/// An input that cannot be read or rendered, or that is silent.
pub fn prepare(
    inputs: &[(PathBuf, String)],
    chain: &MasterChain,
    staging: &Staging,
) -> Result<Vec<Track>, MasterError> {
    parallel_map(inputs, |(input, stem)| {
        prepare_one(input, stem, chain, staging)
    })
    .into_iter()
    .collect()
}

fn prepare_one(
    input: &Path,
    stem: &str,
    chain: &MasterChain,
    staging: &Staging,
) -> Result<Track, MasterError> {
    let read_error = |source| AnalysisError::Read {
        path: input.to_path_buf(),
        source,
    };
    let channels = AudioReader::open(input)
        .map_err(read_error)?
        .info()
        .channels;
    let source = match chain.pre_graph_for(channels)? {
        None => input.to_path_buf(),
        Some(graph) => {
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
            scratch
        }
    };
    let profile = profile_file(&source)?;
    let unlimited = profile.unlimited();
    if !unlimited.integrated_lufs.is_finite() {
        return Err(MasterError::Silent {
            path: input.to_path_buf(),
        });
    }
    Ok(Track {
        input: input.to_path_buf(),
        stem: stem.to_string(),
        source,
        pre: PreLevels {
            integrated_lufs: unlimited.integrated_lufs,
            true_peak_dbtp: profile.peak_dbtp(),
            gating_energies: unlimited.gating_energies,
        },
        profile,
    })
}

/// The limiter model's profile of a file.
fn profile_file(path: &Path) -> Result<LoudnessProfile, MasterError> {
    let mut reader = analysis::open(path)?;
    let info = reader.info().clone();
    let mut builder = ProfileBuilder::new(info.sample_rate, info.channels);
    analysis::for_each_block(path, &mut reader, |block| {
        builder.push(block);
        Ok::<(), MasterError>(())
    })?;
    Ok(builder.finish())
}

/// An input's full analysis and what is wrong with it as a mix for mastering.
pub struct InputAnalysis {
    /// The analysis.
    pub file: FileAnalysis,
    /// The warnings it raises.
    pub warnings: Vec<Warning>,
}

/// Analyses every input, one after the other (meant to run beside the profiles and the
/// renders). The spectrum is left out: the report and the plots show the delivered files'.
///
/// # Errors
/// An input that cannot be read.
pub fn analyse_inputs(inputs: &[(PathBuf, String)]) -> Result<Vec<InputAnalysis>, MasterError> {
    let thresholds = WarningThresholds::default();
    inputs
        .iter()
        .map(|(input, _)| {
            let file = analyze_file_with(input, |info| AnalyzerConfig {
                spectrum: false,
                ..AnalyzerConfig::for_bit_depth(info.bits_per_sample)
            })?;
            let warnings = mastering_input_warnings(&file.analysis, &file.info, &thresholds);
            Ok(InputAnalysis { file, warnings })
        })
        .collect()
}
