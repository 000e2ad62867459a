//! `mixgraph demo [DIR]`: synthesizes a short multitrack session (drums, bass, chords, lead),
//! writes the stems, mixes them through the shipped `mix-basic` chain, masters the mix to
//! Spotify's target as streaming and CD files and to EBU R128 as a broadcast file (each
//! measured on the delivered file, with a JSON report and a plot), and says what it did.

pub mod synth;

use std::path::Path;

use anyhow::{Context, Result};
use mixgraph_engine::{AudioWriter, OutputFormat, RenderRequest, SampleFormat};
use mixgraph_mastering::Target;
use mixgraph_mastering::master::{
    DEFAULT_CHAIN, Deliverable, MasterChain, MasterOptions, MasterReport, master,
};
use serde_json::json;

use crate::report;

/// Session rate of the demo.
const SAMPLE_RATE: u32 = 48_000;
/// The shipped chain the demo mixes with.
const MIX_PRESET: &str = "mix-basic";
/// The masters the demo delivers: (folder, target, deliverables).
const MASTERS: [(&str, &str, &[Deliverable]); 2] = [
    (
        "master",
        "spotify",
        &[Deliverable::Streaming, Deliverable::Cd],
    ),
    ("master-broadcast", "ebu-r128", &[Deliverable::Broadcast]),
];

/// Runs the demo into `dir`.
pub fn run(dir: &Path, json_output: bool) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let say = |line: String| {
        if !json_output {
            println!("{line}");
        }
    };
    say(format!(
        "synthesizing a 4-bar session at {SAMPLE_RATE} Hz: drums, bass, chords, lead"
    ));
    let stems = synth::session(f64::from(SAMPLE_RATE));
    let mut stem_paths = Vec::new();
    for stem in &stems {
        let path = dir.join(format!("{}.wav", stem.name));
        let mut writer = AudioWriter::create(
            &path,
            2,
            SAMPLE_RATE,
            OutputFormat::new(SampleFormat::Pcm24),
        )?;
        writer.write(&stem.channels, stem.channels[0].len())?;
        writer.finish()?;
        say(format!("  wrote stem {}", path.display()));
        stem_paths.push((stem.name, path));
    }
    let preset =
        mixgraph_chains::presets::get(MIX_PRESET).context("the shipped mix preset is missing")?;
    let chain = mixgraph_chains::validate(&preset.load()?, &mixgraph_nodes::catalog())?;
    let mut request = RenderRequest::new().sample_rate(SAMPLE_RATE);
    for (name, path) in &stem_paths {
        request = request.input(*name, path);
    }
    for decl in chain.outputs() {
        request = request.output(
            decl.name.clone(),
            dir.join(format!("{}.wav", decl.name)),
            decl.format,
        );
    }
    say(format!(
        "mixing through the shipped chain `{MIX_PRESET}` (chains/presets/{MIX_PRESET}.ron)"
    ));
    let rendered = crate::commands::render::render_with_progress(&chain, &request, json_output)?;
    if !json_output {
        print!("{}", report::render_summary(&rendered));
    }
    let mix = rendered
        .outputs
        .first()
        .map(|o| o.path.clone())
        .context("the mix chain wrote no file")?;
    let masters = master_the_mix(dir, &mix, json_output)?;
    if json_output {
        let value = json!({
            "stems": stem_paths.iter().map(|(n, p)| json!({"name": n, "path": p})).collect::<Vec<_>>(),
            "mix": crate::commands::render::report_json(MIX_PRESET, &rendered),
            "masters": masters,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        say(format!(
            "done: stems, mix and masters are in {}; open the plots (*-master.png) and the \
             reports (master-report.json)",
            dir.display()
        ));
    }
    Ok(())
}

/// Masters the mix with the shipped default mastering chain into one folder per target,
/// printing what each run did; returns the reports.
fn master_the_mix(dir: &Path, mix: &Path, json_output: bool) -> Result<Vec<MasterReport>> {
    let preset = mixgraph_chains::presets::get(DEFAULT_CHAIN)
        .context("the shipped mastering preset is missing")?;
    let valid = mixgraph_chains::validate(&preset.load()?, &mixgraph_nodes::catalog())?;
    let chain = MasterChain::new(&valid, DEFAULT_CHAIN)?;
    let mut reports = Vec::new();
    for (folder, target, deliverables) in MASTERS {
        let target = Target::by_name(target)?;
        let out = dir.join(folder);
        if !json_output {
            let names: Vec<String> = deliverables.iter().map(ToString::to_string).collect();
            println!(
                "mastering the mix to {} ({} LUFS, true peak <= {} dBTP) through `{DEFAULT_CHAIN}`: {} into {}",
                target.name,
                target.integrated_lufs,
                target.true_peak_dbtp,
                names.join(", "),
                out.display()
            );
        }
        let options = MasterOptions::new(target, deliverables.to_vec(), &out);
        let report = master(&chain, &[mix.to_path_buf()], &options, &mut |event| {
            if !json_output {
                println!("  {event}");
            }
        })?;
        if !json_output {
            print!("{}", crate::commands::master::summary(&report, &out));
        }
        reports.push(report);
    }
    Ok(reports)
}
