//! `mixgraph demo [DIR]`: synthesizes a short multitrack session (drums, bass, chords, lead),
//! writes the stems, mixes them through the shipped `mix-basic` chain, and says what it did.

pub mod synth;

use std::path::Path;

use anyhow::{Context, Result};
use mixgraph_engine::{AudioWriter, OutputFormat, RenderRequest, SampleFormat};
use serde_json::json;

use crate::report;

/// Session rate of the demo.
const SAMPLE_RATE: u32 = 48_000;
/// The shipped chain the demo mixes with.
const MIX_PRESET: &str = "mix-basic";

/// Runs the demo into `dir`.
pub fn run(dir: &Path, json_output: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let say = |line: String| {
        if !json_output {
            println!("{line}");
        }
    };
    say(format!("synthesizing a 4-bar session at {SAMPLE_RATE} Hz: drums, bass, chords, lead"));
    let stems = synth::session(f64::from(SAMPLE_RATE));
    let mut stem_paths = Vec::new();
    for stem in &stems {
        let path = dir.join(format!("{}.wav", stem.name));
        let mut writer = AudioWriter::create(&path, 2, SAMPLE_RATE, OutputFormat::new(SampleFormat::Pcm24))?;
        writer.write(&stem.channels, stem.channels[0].len())?;
        writer.finish()?;
        say(format!("  wrote stem {}", path.display()));
        stem_paths.push((stem.name, path));
    }
    let preset = mixgraph_chains::presets::get(MIX_PRESET).context("the shipped mix preset is missing")?;
    let chain = mixgraph_chains::validate(&preset.load()?, &mixgraph_nodes::catalog())?;
    let mut request = RenderRequest::new().sample_rate(SAMPLE_RATE);
    for (name, path) in &stem_paths {
        request = request.input(*name, path);
    }
    for decl in chain.outputs() {
        request = request.output(decl.name.clone(), dir.join(format!("{}.wav", decl.name)), decl.format);
    }
    say(format!("mixing through the shipped chain `{MIX_PRESET}` (chains/presets/{MIX_PRESET}.ron)"));
    let rendered = crate::commands::render::render_with_progress(&chain, &request, json_output)?;
    if json_output {
        let value = json!({
            "stems": stem_paths.iter().map(|(n, p)| json!({"name": n, "path": p})).collect::<Vec<_>>(),
            "mix": crate::commands::render::report_json(MIX_PRESET, &rendered),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", report::render_summary(&rendered));
        say(format!("done: stems and mix are in {}", dir.display()));
    }
    Ok(())
}
