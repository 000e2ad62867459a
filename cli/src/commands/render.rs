//! `mixgraph render CHAIN`: files in, files out, as fast as the CPU allows, with a progress
//! bar on a terminal and a summary (length, realtime factor, peak per output, meter readings).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use mixgraph_engine::{CompileConfig, RenderReport, RenderRequest};
use serde_json::{Value, json};

use crate::chain_file::{self, ScriptArgs, parse_binding};
use crate::exit::BadInput;
use crate::report;

/// Flags a Lua recipe may read (ignored by RON chains).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ScriptFlags {
    /// A value for the recipe, read with `arg(KEY)` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_binding)]
    pub sets: Vec<(String, String)>,
    /// A loudness target the recipe reads with `target()` (spotify, apple, ebu-r128...).
    #[arg(long)]
    pub target: Option<String>,
    /// Integrated loudness target in LUFS, overriding the named target's.
    #[arg(long, allow_hyphen_values = true)]
    pub lufs: Option<f64>,
    /// True-peak ceiling in dBTP, overriding the named target's.
    #[arg(long, allow_hyphen_values = true)]
    pub tp: Option<f64>,
    /// Memory limit for a Lua recipe, in MiB.
    #[arg(long, default_value_t = 64)]
    pub lua_memory_mb: usize,
    /// Instruction budget for a Lua recipe, in millions of instructions.
    #[arg(long, default_value_t = 200)]
    pub lua_instructions_m: u64,
}

impl From<&ScriptFlags> for ScriptArgs {
    fn from(f: &ScriptFlags) -> Self {
        ScriptArgs {
            inputs: Vec::new(),
            sets: f.sets.clone(),
            target: f.target.clone(),
            lufs: f.lufs,
            true_peak: f.tp,
            memory_mb: f.lua_memory_mb,
            instructions_m: f.lua_instructions_m,
        }
    }
}

/// Arguments of `mixgraph render`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .ron preset, a .lua recipe, or a shipped preset's name.
    pub chain: String,
    /// Binds a chain input to a file (repeatable).
    #[arg(short, long = "input", value_name = "NAME=FILE", value_parser = parse_binding)]
    pub inputs: Vec<(String, String)>,
    /// Binds a chain output to a file (repeatable); unbound outputs go to OUT_DIR/NAME.wav.
    #[arg(short, long = "output", value_name = "NAME=FILE", value_parser = parse_binding)]
    pub outputs: Vec<(String, String)>,
    /// Folder for outputs not bound with --output.
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
    /// Frames per processing block.
    #[arg(long, default_value_t = 1024)]
    pub block: usize,
    /// Session sample rate (default: the chain's, else the first input's).
    #[arg(long)]
    pub sample_rate: Option<u32>,
    /// Threads for independent branches (stems, strips, buses); output is the same for any
    /// count (default: every core; 1 to 256).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub script: ScriptFlags,
}

/// Renders the chain.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    if args.block == 0 || args.block > 65_536 {
        return Err(BadInput(format!(
            "--block must be 1 to 65536 frames, found {}",
            args.block
        ))
        .into());
    }
    let script = ScriptArgs::from(&args.script).with_inputs(&args.inputs);
    let chain = chain_file::load(&args.chain, &script)?;
    let rate = args.sample_rate.or(chain.sample_rate());
    // Surface graph errors with their place in the chain file before touching any file.
    chain.compile(&CompileConfig::new(
        f64::from(rate.unwrap_or(48_000)),
        args.block,
    ))?;
    let mut request = RenderRequest::new().block(args.block);
    if let Some(threads) = args.threads {
        request = request.threads(usize::from(threads));
    }
    if let Some(rate) = rate {
        request = request.sample_rate(rate);
    }
    for (name, file) in &args.inputs {
        request = request.input(name.clone(), file);
    }
    for decl in chain.outputs() {
        let path = match args.outputs.iter().find(|(n, _)| *n == decl.name) {
            Some((_, file)) => PathBuf::from(file),
            None => args.out_dir.join(format!("{}.wav", decl.name)),
        };
        request = request.output(decl.name.clone(), path, decl.format);
    }
    for (name, _) in &args.outputs {
        if !chain.outputs().iter().any(|o| o.name == *name) {
            let names: Vec<&str> = chain.outputs().iter().map(|o| o.name.as_str()).collect();
            return Err(BadInput(format!(
                "--output {name}=...: the chain has no output `{name}`; it has: {}",
                names.join(", ")
            ))
            .into());
        }
    }
    if request
        .outputs
        .iter()
        .any(|(_, p, _)| p.starts_with(&args.out_dir))
    {
        std::fs::create_dir_all(&args.out_dir).map_err(|e| {
            BadInput(format!(
                "--out-dir {}: cannot create it: {e}",
                args.out_dir.display()
            ))
        })?;
    }
    let report = render_with_progress(&chain, &request, json_output)?;
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&report_json(&args.chain, &report))?
        );
    } else {
        print!("{}", report::render_summary(&report));
    }
    Ok(())
}

/// Renders with a progress bar when stderr is a terminal (and not in JSON mode).
pub fn render_with_progress(
    chain: &mixgraph_chains::ValidChain,
    request: &RenderRequest,
    quiet: bool,
) -> Result<RenderReport> {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} rendering [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let mut progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            if total > 0 {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    };
    let result = mixgraph_engine::render(chain.graph(), request, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result.map_err(|e| match e {
        mixgraph_engine::RenderError::Graph(g) => anyhow::Error::from(chain.explain(g)),
        other => other.into(),
    })
}

/// The render report as JSON.
pub fn report_json(chain: &str, r: &RenderReport) -> Value {
    json!({
        "chain": chain,
        "sample_rate": r.sample_rate,
        "input_frames": r.input_frames,
        "length_seconds": r.input_frames as f64 / f64::from(r.sample_rate.max(1)),
        "latency_frames": r.latency,
        "tail_frames": r.tail,
        "wall_seconds": r.wall_time.as_secs_f64(),
        "realtime_factor": r.realtime_factor,
        "faults": r.faults,
        "notices": r.notices.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "outputs": r.outputs.iter().map(|o| json!({
            "name": o.name,
            "path": o.path,
            "frames": o.frames,
            "sample_rate": o.sample_rate,
            "channels": o.channels,
            "format": o.format.name(),
            "dither": format!("{:?}", o.dither),
            "peak_dbfs": finite(o.peak_dbfs),
        })).collect::<Vec<_>>(),
        "readings": report::readings_json(&r.readings),
    })
}

/// A number for JSON: non-finite values (silence's -inf dB) become null.
pub fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}
