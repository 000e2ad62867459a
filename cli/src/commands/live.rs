//! `mixgraph live CHAIN`: a capture device through the chain's input to an output device
//! (monitoring through a mastering chain, for example), with the meter line, until Ctrl-C.
//! Both devices run at one rate; when they share none the command says which rates each has.

use anyhow::Result;
use mixgraph_engine::live::{LiveOptions, LiveSession};

use super::play::{Reloader, Until, check_block, live_error, monitor, print_summary};
use super::render::ScriptFlags;
use crate::chain_file::{self, ScriptArgs};

/// Arguments of `mixgraph live`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .ron preset, a .lua recipe, or a shipped preset's name. Its (only)
    /// input is fed from the input device.
    pub chain: String,
    /// Input (capture) device name or id (see `mixgraph devices`); the default otherwise.
    #[arg(long)]
    pub in_device: Option<String>,
    /// Output device name or id; the default otherwise.
    #[arg(long)]
    pub out_device: Option<String>,
    /// Audio host (see `mixgraph devices`); the first available otherwise.
    #[arg(long)]
    pub host: Option<String>,
    /// Largest processing block, also asked of both devices as their buffer size.
    #[arg(long, default_value_t = 128)]
    pub block: usize,
    /// Session sample rate (default: one both devices support, the output's own first).
    #[arg(long)]
    pub sample_rate: Option<u32>,
    /// The chain output to play (default: the first).
    #[arg(long = "play-output", value_name = "NAME")]
    pub output: Option<String>,
    /// Input audio held before it is processed, in milliseconds (absorbs the jitter between
    /// the two devices; adds to the monitoring latency).
    #[arg(long, default_value_t = 10.0)]
    pub latency_ms: f64,
    /// Swap in edits of the chain file while running.
    #[arg(long)]
    pub watch: bool,
    /// Length of the fade when an edited chain is swapped in, in milliseconds.
    #[arg(long, default_value_t = 20.0)]
    pub fade_ms: f64,
    #[command(flatten)]
    pub script: ScriptFlags,
}

/// Runs the input device through the chain until Ctrl-C.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    check_block(args.block)?;
    let script = ScriptArgs::from(&args.script);
    let chain = chain_file::load(&args.chain, &script)?;
    let options = LiveOptions {
        host: args.host.clone(),
        in_device: args.in_device.clone(),
        out_device: args.out_device.clone(),
        block: args.block,
        sample_rate: args.sample_rate.or(chain.sample_rate()),
        output: args.output.clone(),
        fade_ms: args.fade_ms,
        latency_ms: args.latency_ms,
    };
    let session = LiveSession::live(chain.graph(), &options).map_err(|e| live_error(&chain, e))?;
    if let (false, Some(device)) = (json_output, &session.info().input_device) {
        eprintln!(
            "input from {device}; chain latency {} frames",
            session.info().chain_latency
        );
    }
    let reloader = Reloader::new(args.watch, &args.chain, script, session.info())?;
    let summary = monitor(session, reloader, json_output, Until::Interrupted)?;
    print_summary(&args.chain, &summary, json_output)
}
