//! `mixgraph graph CHAIN`: the flattened graph as Graphviz DOT.

use anyhow::Result;

use crate::chain_file::{self, ScriptArgs};

/// Arguments of `mixgraph graph`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .ron preset, a .lua recipe, or a shipped preset's name.
    pub chain: String,
    /// Binds an input to a file, for a recipe that analyses its inputs (repeatable).
    #[arg(short, long = "input", value_name = "NAME=FILE", value_parser = crate::chain_file::parse_binding)]
    pub inputs: Vec<(String, String)>,
    #[command(flatten)]
    pub script: crate::commands::render::ScriptFlags,
}

/// Prints the DOT text.
pub fn run(args: &Args) -> Result<()> {
    let chain = chain_file::load(
        &args.chain,
        &ScriptArgs::from(&args.script).with_inputs(&args.inputs),
    )?;
    print!("{}", chain.graph().to_dot());
    Ok(())
}
