//! `mixgraph check CHAIN`: validates a chain and shows what it compiles to: inputs, outputs,
//! the schedule step by step, total latency and the number of buffers.

use anyhow::Result;
use mixgraph_engine::CompileConfig;
use serde_json::json;

use crate::chain_file::{self, ScriptArgs};

/// Arguments of `mixgraph check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .ron preset, a .lua recipe, or a shipped preset's name.
    pub chain: String,
    /// Sample rate to compile at (default: the chain's, or 48000).
    #[arg(long)]
    pub sample_rate: Option<u32>,
    /// Block size to compile for.
    #[arg(long, default_value_t = 1024)]
    pub block: usize,
    /// Binds an input to a file, for a recipe that analyses its inputs (repeatable).
    #[arg(short, long = "input", value_name = "NAME=FILE", value_parser = crate::chain_file::parse_binding)]
    pub inputs: Vec<(String, String)>,
    #[command(flatten)]
    pub script: crate::commands::render::ScriptFlags,
}

/// Validates, compiles and prints.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    let chain = chain_file::load(
        &args.chain,
        &ScriptArgs::from(&args.script).with_inputs(&args.inputs),
    )?;
    let rate = args.sample_rate.or(chain.sample_rate()).unwrap_or(48_000);
    let schedule = chain.compile(&CompileConfig::new(f64::from(rate), args.block))?;
    let inputs: Vec<_> = schedule
        .inputs()
        .iter()
        .map(|p| (p.name.clone(), p.channels))
        .collect();
    let outputs: Vec<_> = chain
        .outputs()
        .iter()
        .map(|o| {
            let port = schedule.outputs().iter().find(|p| p.name == o.name);
            (
                o,
                port.map_or(0, |p| p.channels),
                port.map_or(0, |p| p.latency),
            )
        })
        .collect();
    if json_output {
        let value = json!({
            "chain": args.chain,
            "name": chain.name(),
            "valid": true,
            "sample_rate": rate,
            "block": args.block,
            "inputs": inputs.iter().map(|(n, c)| json!({"name": n, "channels": c})).collect::<Vec<_>>(),
            "outputs": outputs.iter().map(|(o, c, l)| json!({
                "name": o.name, "channels": c, "latency_frames": l,
                "format": o.format.format.name(), "sample_rate": o.format.sample_rate,
                "dither": format!("{:?}", o.format.dither),
            })).collect::<Vec<_>>(),
            "nodes": chain.graph().node_count(),
            "steps": schedule.describe(),
            "latency_frames": schedule.latency(),
            "tail_frames": schedule.tail(),
            "buffers": schedule.buffer_count(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{}: valid ({} nodes)",
        args.chain,
        chain.graph().node_count()
    );
    println!("inputs:");
    for (name, channels) in &inputs {
        println!("  {name:<16} {channels} ch");
    }
    println!("outputs:");
    for (o, channels, latency) in &outputs {
        let rate = o
            .format
            .sample_rate
            .map_or("session rate".to_string(), |r| format!("{r} Hz"));
        println!(
            "  {:<16} {channels} ch, {}, {rate}, dither {:?}, latency {latency} frames",
            o.name,
            o.format.format.name(),
            o.format.dither
        );
    }
    println!("schedule at {rate} Hz, blocks of {} frames:", args.block);
    for (i, step) in schedule.describe().iter().enumerate() {
        println!("  {:>3}. {step}", i + 1);
    }
    println!(
        "total latency: {} frames ({:.2} ms); tail: {} frames; buffers: {}",
        schedule.latency(),
        schedule.latency() as f64 * 1000.0 / f64::from(rate),
        schedule.tail(),
        schedule.buffer_count()
    );
    Ok(())
}
