//! The `mixgraph` command-line tool: check, draw, render and master chains, list nodes, and
//! run the demo. Exit status: 0 success, 2 bad input or usage, 1 any other failure.

mod chain_file;
mod classify;
mod commands;
mod demo;
mod exit;
mod panic_hook;
mod report;
mod script;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mixgraph: mixing and mastering graphs, from RON presets or Lua recipes, rendered offline
/// or live.
#[derive(Parser, Debug)]
#[command(name = "mixgraph", version, about, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render a chain offline: files in, files out.
    Render(commands::render::Args),
    /// Validate a chain; print its inputs, outputs, compiled schedule, latency and buffers.
    Check(commands::check::Args),
    /// Write the chain a Lua recipe builds (or any chain) as a RON preset.
    Export(commands::export::Args),
    /// Print a chain's graph as Graphviz DOT.
    Graph(commands::graph::Args),
    /// Play files through a chain to a sound card, with a meter line; --watch swaps in edits.
    Play(commands::play::Args),
    /// Run a live input through a chain to a sound card (monitoring), until Ctrl-C.
    Live(commands::live::Args),
    /// List audio hosts and devices with their channels, rates, formats and buffer sizes.
    Devices(commands::devices::Args),
    /// Measure audio files: loudness, peaks, LRA, PLR, DC, clipping, phase, silence, format.
    Analyze(commands::analyze::Args),
    /// Master mixes to a loudness target and deliver streaming, CD and broadcast files.
    Master(commands::master::Args),
    /// List the node catalog, or describe one node kind.
    Nodes {
        /// A node kind to describe.
        kind: Option<String>,
    },
    /// Synthesize a multitrack session, mix it, master it to streaming, CD and broadcast
    /// deliverables with reports and plots, and write it all to DIR.
    Demo {
        /// Folder for the stems, the mix and the report.
        #[arg(default_value = "demo-out")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    panic_hook::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match &cli.command {
        Command::Render(args) => commands::render::run(args, cli.json),
        Command::Check(args) => commands::check::run(args, cli.json),
        Command::Graph(args) => commands::graph::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Play(args) => commands::play::run(args, cli.json),
        Command::Live(args) => commands::live::run(args, cli.json),
        Command::Devices(args) => commands::devices::run(args, cli.json),
        Command::Analyze(args) => commands::analyze::run(args, cli.json),
        Command::Master(args) => commands::master::run(args, cli.json),
        Command::Nodes { kind } => commands::nodes::run(kind.as_deref(), cli.json),
        Command::Demo { dir } => demo::run(dir, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            // Library errors often include their source's text already: print a cause only
            // when it adds something.
            let mut said = err.to_string();
            for cause in err.chain().skip(1) {
                let text = cause.to_string();
                if !said.contains(&text) {
                    eprintln!("  caused by: {text}");
                    said.push_str(&text);
                }
            }
            ExitCode::from(exit::status(&err) as u8)
        }
    }
}
