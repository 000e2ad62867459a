//! Why mastering could not deliver: a chain that does not fit, an input that cannot be
//! read, a target that cannot be met within the allowed gain reduction, a render or a file
//! operation that failed. No deliverable is left behind after any of them.

use std::path::PathBuf;

use mixgraph_engine::{AudioIoError, GraphError, RenderError};

use crate::error::{AnalysisError, PlotError};

/// Why a mastering run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MasterError {
    /// No input file was given.
    #[error("no input to master; give at least one audio file")]
    NoInputs,
    /// No deliverable was asked for.
    #[error("no deliverable asked for; choose among streaming, cd, broadcast")]
    NoDeliverable,
    /// A deliverable name that does not exist.
    #[error("unknown deliverable `{name}`; choose among streaming, cd, broadcast")]
    UnknownDeliverable {
        /// The name given.
        name: String,
    },
    /// A setting out of its range.
    #[error("{setting} must be {expected}, found {found}")]
    BadSetting {
        /// The setting (a command-line flag's name).
        setting: &'static str,
        /// The accepted range.
        expected: &'static str,
        /// The value given.
        found: f64,
    },
    /// The chain has no `limiter` node, so there is nothing to set the ceiling on.
    #[error(
        "the mastering chain `{chain}` has no `limiter` node; mastering sets the gain in front \
         of a limiter and its ceiling, so the chain needs exactly one"
    )]
    NoLimiter {
        /// The chain's name.
        chain: String,
    },
    /// The chain has more than one `limiter` node.
    #[error(
        "the mastering chain `{chain}` has {} limiters ({}); mastering sets the gain in front of \
         one limiter, so the chain needs exactly one",
        names.len(),
        names.join(", ")
    )]
    SeveralLimiters {
        /// The chain's name.
        chain: String,
        /// The limiters' node names.
        names: Vec<String>,
    },
    /// The chain does not have exactly one input.
    #[error(
        "the mastering chain `{chain}` has {found} inputs; a mastering chain takes one input \
         (the track)"
    )]
    InputCount {
        /// The chain's name.
        chain: String,
        /// Inputs it has.
        found: usize,
    },
    /// The chain has no output.
    #[error("the mastering chain `{chain}` has no output to deliver")]
    NoOutput {
        /// The chain's name.
        chain: String,
    },
    /// The main output is not fed through the limiter.
    #[error(
        "the output `{output}` of the mastering chain `{chain}` is not fed through the limiter \
         `{limiter}`; the delivered audio must pass the limiter"
    )]
    OutputNotLimited {
        /// The chain's name.
        chain: String,
        /// The output.
        output: String,
        /// The limiter.
        limiter: String,
    },
    /// The chain's input does not reach the limiter.
    #[error(
        "in the mastering chain `{chain}`, the input `{input}` does not feed the limiter \
         `{limiter}`; the track must pass the limiter"
    )]
    LimiterNotFed {
        /// The chain's name.
        chain: String,
        /// The input.
        input: String,
        /// The limiter.
        limiter: String,
    },
    /// A node after the limiter is also fed from before it, so the ceiling cannot hold.
    #[error(
        "in the mastering chain `{chain}`, `{node}` comes after the limiter `{limiter}` but is \
         also fed by `{from}` from before it; every path to the output must pass the limiter"
    )]
    LimiterBypassed {
        /// The chain's name.
        chain: String,
        /// The node after the limiter.
        node: String,
        /// The node feeding it from before the limiter.
        from: String,
        /// The limiter.
        limiter: String,
    },
    /// The limiter's level settings are automated, which mastering would override.
    #[error(
        "the limiter `{limiter}` of the mastering chain `{chain}` automates `{param}`; mastering \
         sets the limiter's gain and ceiling itself, so remove that automation"
    )]
    LimiterAutomated {
        /// The chain's name.
        chain: String,
        /// The limiter.
        limiter: String,
        /// The automated parameter.
        param: String,
    },
    /// Two inputs would give deliverables of the same name.
    #[error(
        "`{}` and `{}` would both be delivered as `{stem}-...wav`; rename one of them",
        first.display(),
        second.display()
    )]
    SameName {
        /// The shared file stem.
        stem: String,
        /// The first input.
        first: PathBuf,
        /// The second input.
        second: PathBuf,
    },
    /// A deliverable would overwrite one of the inputs.
    #[error(transparent)]
    OutputIsInput(AudioIoError),
    /// An input could not be analysed.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// An input is digital silence (or too short to have a loudness): no gain brings it to
    /// a loudness target.
    #[error(
        "`{}` has no measurable loudness (silence, or shorter than 400 ms); nothing to master",
        path.display()
    )]
    Silent {
        /// The input.
        path: PathBuf,
    },
    /// The target needs more gain reduction than allowed.
    #[error(
        "cannot bring `{track}` to {target_lufs:.1} LUFS within the maximum gain reduction of \
         {max_reduction_db:.1} dB: the limiter would need {needed_reduction_db:.1} dB{}; allow \
         more gain reduction (--max-gain-reduction), choose a quieter target, or master a mix \
         with more headroom",
        reachable_lufs
            .map(|l| format!(" (within {max_reduction_db:.1} dB the master reaches about {l:.1} LUFS)"))
            .unwrap_or_default()
    )]
    TargetUnreachable {
        /// The track (or `album`).
        track: String,
        /// The loudness aimed at, in LUFS.
        target_lufs: f64,
        /// The gain reduction the limiter needs (measured, or predicted before rendering),
        /// in dB.
        needed_reduction_db: f64,
        /// The allowed gain reduction, in dB.
        max_reduction_db: f64,
        /// The loudness reachable within the allowed gain reduction, when it could be
        /// estimated, in LUFS.
        reachable_lufs: Option<f64>,
    },
    /// A deliverable was still off target after every correction.
    #[error(
        "the {deliverable} master of `{track}` is still off target after {renders} render(s): \
         {integrated_lufs:.2} LUFS and {true_peak_dbtp:.2} dBTP against {target_lufs:.1} LUFS \
         (+-{tolerance_lu} LU) and {ceiling_dbtp:.1} dBTP"
    )]
    OffTarget {
        /// The track (or `album`).
        track: String,
        /// The deliverable's name.
        deliverable: &'static str,
        /// Renders made for it.
        renders: usize,
        /// Its measured integrated loudness, in LUFS.
        integrated_lufs: f64,
        /// Its measured true peak, in dBTP.
        true_peak_dbtp: f64,
        /// The loudness aimed at, in LUFS.
        target_lufs: f64,
        /// The accepted deviation, in LU.
        tolerance_lu: f64,
        /// The true-peak ceiling, in dBTP.
        ceiling_dbtp: f64,
    },
    /// A mastering graph could not be built.
    #[error("cannot build the mastering graph")]
    Graph(#[source] Box<GraphError>),
    /// A render failed.
    #[error("cannot render {what}")]
    Render {
        /// What was being rendered.
        what: String,
        /// The renderer's error.
        source: Box<RenderError>,
    },
    /// A delivered file could not be measured.
    #[error("cannot measure the delivered file")]
    Measure(#[source] AnalysisError),
    /// The plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A file or folder of the delivery could not be created, written or moved into place.
    #[error("cannot {action} `{}`", path.display())]
    File {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The file system's error.
        source: std::io::Error,
    },
}

impl From<GraphError> for MasterError {
    fn from(e: GraphError) -> Self {
        MasterError::Graph(Box::new(e))
    }
}

impl MasterError {
    /// Whether the error is the user's to fix by changing what they gave (a chain, a file, a
    /// setting), as opposed to a target that cannot be met or a failure of the machine.
    pub fn is_input_error(&self) -> bool {
        match self {
            MasterError::NoInputs
            | MasterError::NoDeliverable
            | MasterError::UnknownDeliverable { .. }
            | MasterError::BadSetting { .. }
            | MasterError::NoLimiter { .. }
            | MasterError::SeveralLimiters { .. }
            | MasterError::InputCount { .. }
            | MasterError::NoOutput { .. }
            | MasterError::OutputNotLimited { .. }
            | MasterError::LimiterBypassed { .. }
            | MasterError::LimiterNotFed { .. }
            | MasterError::LimiterAutomated { .. }
            | MasterError::SameName { .. }
            | MasterError::OutputIsInput(_)
            | MasterError::Silent { .. } => true,
            // An input that cannot be read (missing, a folder, not audio, damaged) or that the
            // meter cannot measure.
            MasterError::Analysis(
                AnalysisError::Read { .. } | AnalysisError::UnsupportedFormat { .. },
            ) => true,
            _ => false,
        }
    }
}
