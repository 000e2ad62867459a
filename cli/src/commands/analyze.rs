//! `mixgraph analyze FILE...`: every figure of the analysis (loudness, peaks, loudness range,
//! PLR, DC offset, clipping, phase correlation, head and tail silence, format), an album line
//! when several files are given, warnings, an optional target check, JSON with `--json` and
//! a plot with `--plot`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use mixgraph_mastering::master::parallel::parallel_map;
use mixgraph_mastering::report::{AlbumReport, FileReport};
use mixgraph_mastering::warnings::{album_warnings, mastering_input_warnings};
use mixgraph_mastering::{
    AlbumAnalysis, AnalysisError, AnalysisReport, FileAnalysis, Target, WarningThresholds,
    analyze_file, plot_analysis,
};

use crate::exit::BadInput;

/// A loudness target: a named one, a custom one, or a named one with overrides.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// A named target: spotify, apple, youtube, tidal, amazon, ebu-r128, atsc-a85, podcast.
    #[arg(long)]
    pub target: Option<String>,
    /// Integrated loudness in LUFS (a custom target, or overriding the named target's).
    #[arg(long, allow_hyphen_values = true)]
    pub lufs: Option<f64>,
    /// True-peak ceiling in dBTP (a custom target, or overriding the named target's; -1 by
    /// default for a custom target).
    #[arg(long, allow_hyphen_values = true)]
    pub tp: Option<f64>,
}

/// True-peak ceiling of a custom target given without `--tp`, in dBTP.
const DEFAULT_CUSTOM_TP: f64 = -1.0;

impl TargetArgs {
    /// The target asked for, if any.
    ///
    /// # Errors
    /// [`BadInput`] for an unknown name, a custom target out of range, or `--tp` alone.
    pub fn resolve(&self) -> Result<Option<Target>> {
        let named = self
            .target
            .as_deref()
            .map(Target::by_name)
            .transpose()
            .map_err(|e| BadInput(e.to_string()))?;
        match (named, self.lufs, self.tp) {
            (named, None, None) => Ok(named),
            (None, None, Some(_)) => Err(BadInput(
                "--tp needs a loudness too: give --lufs or --target".to_string(),
            )
            .into()),
            (named, lufs, tp) => {
                let lufs = lufs
                    .or(named.map(|t| t.integrated_lufs))
                    .unwrap_or_default();
                let tp = tp
                    .or(named.map(|t| t.true_peak_dbtp))
                    .unwrap_or(DEFAULT_CUSTOM_TP);
                Ok(Some(
                    Target::custom(lufs, tp).map_err(|e| BadInput(e.to_string()))?,
                ))
            }
        }
    }
}

/// Arguments of `mixgraph analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio files (WAV, FLAC, MP3, Ogg Vorbis, AIFF); several are also measured as an album.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Draw short-term loudness over time (target line, true-peak overs) and the spectrum to
    /// this PNG; with several files, one PNG per file named `<plot>-<file>.png`.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
}

/// Analyses the files and prints the report.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    let target = args.target.resolve()?;
    let files = parallel_map(&args.files, |path| analyze_file(path))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_file)?;
    let thresholds = WarningThresholds::default();
    let reports: Vec<FileReport> = files
        .iter()
        .map(|f| {
            let warnings = mastering_input_warnings(&f.analysis, &f.info, &thresholds);
            FileReport::new(f, target.as_ref(), &warnings)
        })
        .collect();
    let analyses: Vec<_> = files.iter().map(|f| &f.analysis).collect();
    let album = if files.len() > 1 {
        let album = AlbumAnalysis::from_tracks(&analyses)?;
        Some(AlbumReport::new(&album, &files.iter().collect::<Vec<_>>()))
    } else {
        None
    };
    let report = AnalysisReport::new(target.as_ref(), reports, album, &album_warnings(&analyses));
    let plots = match &args.plot {
        Some(plot) => write_plots(plot, &files, target.as_ref())?,
        None => Vec::new(),
    };
    if json_output {
        println!("{}", report.to_json()?);
    } else {
        print!("{}", text(&report));
        for plot in plots {
            println!("plot written to {}", plot.display());
        }
    }
    Ok(())
}

/// An input that cannot be analysed is the user's to fix (exit status 2), with the whole
/// reason in one message.
fn bad_file(err: AnalysisError) -> anyhow::Error {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    BadInput(message).into()
}

/// Draws one plot per file.
fn write_plots(
    plot: &Path,
    files: &[FileAnalysis],
    target: Option<&Target>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        let path = if files.len() == 1 {
            plot.to_path_buf()
        } else {
            let stem = plot
                .file_stem()
                .map_or_else(|| "plot".into(), |s| s.to_string_lossy());
            let track = file
                .path
                .file_stem()
                .map_or_else(|| "file".into(), |s| s.to_string_lossy());
            plot.with_file_name(format!("{stem}-{track}.png"))
        };
        plot_analysis(&file.analysis, target, &path)?;
        written.push(path);
    }
    Ok(written)
}

/// The report for people.
pub fn text(report: &AnalysisReport) -> String {
    let mut s = String::new();
    for f in &report.files {
        file_text(&mut s, f);
    }
    if let Some(album) = &report.album {
        let _ = writeln!(
            s,
            "album: {} integrated, true peak {}",
            level(album.integrated_lufs, "LUFS"),
            level(album.true_peak_dbtp, "dBTP")
        );
        for t in &album.tracks {
            let _ = writeln!(
                s,
                "  {:<32} {:>12}  {:>10} from the album  true peak {:>11}  LRA {}",
                t.path,
                level(t.integrated_lufs, "LUFS"),
                t.relative_to_album_lu
                    .map_or("-".to_string(), |v| format!("{v:+.2} LU")),
                level(t.true_peak_dbtp, "dBTP"),
                level(t.loudness_range_lu, "LU")
            );
        }
    }
    for w in &report.warnings {
        let _ = writeln!(s, "warning: {}", w.message);
    }
    s
}

/// One file's figures.
fn file_text(s: &mut String, f: &FileReport) {
    let fmt = &f.format;
    let _ = writeln!(
        s,
        "{}: {} {}, {} Hz, {}{} ch, {}",
        f.path,
        fmt.container,
        fmt.codec,
        fmt.sample_rate_hz,
        fmt.bits_per_sample
            .map(|b| format!("{b}-bit, "))
            .unwrap_or_default(),
        fmt.channels,
        duration(f.duration_s)
    );
    let row = |s: &mut String, name: &str, value: String| {
        let _ = writeln!(s, "  {name:<22} {value}");
    };
    row(s, "integrated", level(f.integrated_lufs, "LUFS"));
    row(s, "max momentary", level(f.max_momentary_lufs, "LUFS"));
    row(s, "max short-term", level(f.max_short_term_lufs, "LUFS"));
    row(s, "loudness range", level(f.loudness_range_lu, "LU"));
    row(s, "true peak", level(f.true_peak_dbtp, "dBTP"));
    row(s, "sample peak", level(f.sample_peak_dbfs, "dBFS"));
    row(s, "PLR", level(f.plr_db, "dB"));
    let dc: Vec<String> = f
        .channels
        .iter()
        .map(|c| format!("ch{} {}", c.index + 1, level(c.dc_offset_dbfs, "dBFS")))
        .collect();
    row(s, "DC offset", dc.join(", "));
    row(
        s,
        "clipping",
        format!("{} run(s), {} sample(s)", f.clipped_runs, f.clipped_samples),
    );
    if let Some(p) = &f.phase_correlation {
        let worst = match (p.worst_400ms, p.worst_400ms_end_s) {
            (Some(c), Some(t)) => format!(" (worst 400 ms {c:+.2} ending at {})", duration(t)),
            _ => String::new(),
        };
        row(s, "phase correlation", format!("{:+.2}{worst}", p.overall));
    }
    row(
        s,
        "silence head / tail",
        format!("{:.2} s / {:.2} s", f.head_silence_s, f.tail_silence_s),
    );
    if let Some(c) = &f.target_check {
        let loudness = c
            .loudness_deviation_lu
            .map_or("no loudness".to_string(), |d| {
                format!("{d:+.2} LU{}", if c.loudness_ok { "" } else { " (off)" })
            });
        let peak = c.true_peak_margin_db.map_or("-".to_string(), |m| {
            format!(
                "{m:+.2} dB to the ceiling{}",
                if c.true_peak_ok { "" } else { " (over)" }
            )
        });
        row(
            s,
            &format!("target {}", c.target),
            format!(
                "{loudness}, true peak {peak}: {}",
                if c.passes { "pass" } else { "fail" }
            ),
        );
    }
    for w in &f.warnings {
        let _ = writeln!(s, "  warning: {}", w.message);
    }
}

/// A level with its unit, or `-` when it does not exist (silence, too short).
fn level(value: Option<f64>, unit: &str) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.2} {unit}"))
}

/// Seconds as `m:ss.s`.
fn duration(seconds: f64) -> String {
    let minutes = (seconds / 60.0).floor();
    format!("{}:{:04.1}", minutes as u64, seconds - minutes * 60.0)
}
