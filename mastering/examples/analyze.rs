//! Analyses audio files and prints the JSON report; optionally checks a target and writes the
//! plot of the first file. The `mixgraph analyze` command is the tool for users; this is the
//! library's API in a few lines.
//!
//! `cargo run -p mixgraph-mastering --example analyze -- a.wav [b.wav ...] [--target spotify]
//! [--plot a.png]`

use std::process::ExitCode;

use mixgraph_mastering::report::{AlbumReport, FileReport};
use mixgraph_mastering::warnings::{album_warnings, mastering_input_warnings};
use mixgraph_mastering::{
    AlbumAnalysis, AnalysisReport, Target, WarningThresholds, analyze_file, plot_analysis,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut paths = Vec::new();
    let mut target = None;
    let mut plot = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => target = Some(Target::by_name(&args.next().unwrap_or_default())?),
            "--plot" => plot = args.next(),
            _ => paths.push(arg),
        }
    }
    if paths.is_empty() {
        return Err("usage: analyze FILE... [--target NAME] [--plot OUT.png]".into());
    }
    let files = paths
        .iter()
        .map(analyze_file)
        .collect::<Result<Vec<_>, _>>()?;
    let thresholds = WarningThresholds::default();
    let reports = files
        .iter()
        .map(|f| {
            let warnings = mastering_input_warnings(&f.analysis, &f.info, &thresholds);
            FileReport::new(f, target.as_ref(), &warnings)
        })
        .collect();
    let analyses: Vec<_> = files.iter().map(|f| &f.analysis).collect();
    let album = (files.len() > 1)
        .then(|| AlbumAnalysis::from_tracks(&analyses))
        .transpose()?
        .map(|album| AlbumReport::new(&album, &files.iter().collect::<Vec<_>>()));
    let report = AnalysisReport::new(target.as_ref(), reports, album, &album_warnings(&analyses));
    println!("{}", report.to_json()?);
    if let (Some(plot), Some(first)) = (plot, files.first()) {
        plot_analysis(&first.analysis, target.as_ref(), plot.as_ref())?;
        eprintln!("plot written to {plot}");
    }
    Ok(())
}
