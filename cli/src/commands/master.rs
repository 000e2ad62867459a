//! `mixgraph master INPUT... --target NAME --deliver streaming,cd,broadcast --out DIR`:
//! masters each input to the target through a mastering chain and delivers every format,
//! each measured on the delivered file; prints what was done per deliverable (gain only, or
//! gain and limiting with the limiter's largest gain reduction), the measured values and
//! pass or fail, and writes a JSON report and a plot per track beside the files.
//!
//! Exit status: 0 every deliverable on target; 2 bad input (a file, the chain, a flag); 1 a
//! target that cannot be met (within `--max-gain-reduction`, or after the corrections) or
//! any other failure. After a failure no deliverable of the run exists.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use mixgraph_mastering::master::events::describe;
use mixgraph_mastering::master::{
    DEFAULT_CHAIN, Deliverable, MasterChain, MasterError, MasterOptions, MasterReport, Processing,
    REPORT_FILE, master,
};

use super::analyze::TargetArgs;
use crate::chain_file::{self, ScriptArgs};
use crate::exit::BadInput;

/// Arguments of `mixgraph master`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The mixes to master (WAV, FLAC, AIFF...); each gives `<name>-<deliverable>.wav`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Deliverables, comma separated: streaming (44.1 kHz 24-bit), cd (44.1 kHz 16-bit,
    /// TPDF dither), broadcast (48 kHz 24-bit).
    #[arg(long, default_value = "streaming,cd,broadcast")]
    pub deliver: String,
    /// Folder for the deliverables, the report and the plots (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// The mastering chain: a .ron file, a .lua recipe or a shipped preset's name; it needs
    /// exactly one `limiter` (default: the shipped `master-default`).
    #[arg(long)]
    pub chain: Option<String>,
    /// One gain for all inputs, keeping their relative loudness: the album's loudness (all
    /// tracks gated together) goes to the target.
    #[arg(long)]
    pub album: bool,
    /// The most gain reduction the limiter may apply, in dB; a target that needs more fails
    /// (exit status 1) instead of crushing the mix.
    #[arg(long, value_name = "DB")]
    pub max_gain_reduction: Option<f64>,
    /// Accepted deviation of each delivered file's loudness from the target, in LU.
    #[arg(long, default_value_t = 0.1, value_name = "LU")]
    pub tolerance: f64,
    /// Do not draw the plots.
    #[arg(long)]
    pub no_plot: bool,
}

/// Masters the inputs.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    let target = args.target.resolve()?.ok_or_else(|| {
        BadInput("a loudness target is needed: --target NAME, or --lufs X [--tp Y]".to_string())
    })?;
    let deliverables = Deliverable::parse_list(&args.deliver).map_err(input_error)?;
    let chain_name = args
        .chain
        .clone()
        .unwrap_or_else(|| DEFAULT_CHAIN.to_string());
    let chain = chain_file::load(&chain_name, &ScriptArgs::default())?;
    let chain = MasterChain::new(&chain, &chain_name).map_err(input_error)?;
    let mut options = MasterOptions::new(target, deliverables, &args.out);
    options.album = args.album;
    options.max_gain_reduction_db = args.max_gain_reduction;
    options.tolerance_lu = args.tolerance;
    options.plot = !args.no_plot;
    let mut say = |event: &_| {
        if !json_output {
            eprintln!("{event}");
        }
    };
    let report = master(&chain, &args.inputs, &options, &mut say).map_err(|e| {
        if e.is_input_error() {
            input_error(e)
        } else {
            anyhow::Error::from(e)
        }
    })?;
    if json_output {
        println!("{}", report.to_json()?);
    } else {
        print!("{}", summary(&report, &args.out));
    }
    Ok(())
}

/// A mastering error the user can fix: exit status 2, the whole reason in one message.
fn input_error(e: MasterError) -> anyhow::Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    BadInput(message).into()
}

/// What was delivered, for people.
pub fn summary(report: &MasterReport, out: &std::path::Path) -> String {
    let mut s = String::new();
    let t = &report.target;
    let _ = writeln!(
        s,
        "mastered to {}: {:.1} LUFS (+-{} LU), true peak <= {:.1} dBTP; chain {}{}",
        t.name,
        t.integrated_lufs,
        report.tolerance_lu,
        t.true_peak_dbtp,
        report.chain,
        if report.album_mode {
            "; album mode (one gain for all tracks)"
        } else {
            ""
        }
    );
    for track in &report.tracks {
        let input = &track.input;
        let _ = writeln!(
            s,
            "{}: input {} LUFS, true peak {} dBTP, LRA {} LU",
            input.path,
            num(input.integrated_lufs),
            num(input.true_peak_dbtp),
            num(input.loudness_range_lu)
        );
        for w in &input.warnings {
            let _ = writeln!(s, "  warning: {}", w.message);
        }
        for d in &track.deliverables {
            let path = match d.processing {
                Processing::GainOnly => format!("gain {:+.2} dB only", d.gain_db),
                Processing::GainAndLimiting => format!(
                    "gain {:+.2} dB and limiting, at most {} dB of gain reduction",
                    d.gain_db,
                    num(d.max_gain_reduction_db)
                ),
            };
            let _ = writeln!(
                s,
                "  {:<10} {}  {}: {} LUFS ({} LU), true peak {} dBTP, {} render(s): {}",
                d.deliverable.name(),
                d.path,
                path,
                num(d.integrated_lufs),
                d.loudness_deviation_lu
                    .map_or("-".to_string(), |v| format!("{v:+.2}")),
                num(d.true_peak_dbtp),
                d.attempts.len(),
                if d.passes { "pass" } else { "FAIL" }
            );
            for a in d.attempts.iter().filter(|a| a.correction.is_some()) {
                let _ = writeln!(
                    s,
                    "    after {}: {}",
                    describe(&a.settings),
                    a.correction.as_deref().unwrap_or_default()
                );
            }
        }
        if let Some(plot) = &track.plot {
            let _ = writeln!(s, "  plot {plot}");
        }
    }
    for album in report.album.iter().flatten() {
        let _ = writeln!(
            s,
            "album {:<10} {} LUFS ({} LU), true peak {} dBTP: {}",
            album.deliverable.name(),
            num(album.integrated_lufs),
            album
                .loudness_deviation_lu
                .map_or("-".to_string(), |v| format!("{v:+.2}")),
            num(album.true_peak_dbtp),
            if album.passes { "pass" } else { "FAIL" }
        );
        for track in &album.tracks.tracks {
            let _ = writeln!(
                s,
                "  {:<40} {} LUFS, {} LU from the album",
                track.path,
                num(track.integrated_lufs),
                track
                    .relative_to_album_lu
                    .map_or("-".to_string(), |v| format!("{v:+.2}"))
            );
        }
    }
    let _ = writeln!(
        s,
        "report {}; {} render(s) in {:.2} s",
        out.join(REPORT_FILE).display(),
        report.renders,
        report.wall_seconds
    );
    s
}

/// A level to two decimals, or `-`.
fn num(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.2}"))
}
