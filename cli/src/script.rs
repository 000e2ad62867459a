//! Running a Lua recipe to get the chain it builds.

use std::path::Path;

use anyhow::Result;
use mixgraph_chains::ChainSpec;
use mixgraph_scripts::ScriptOptions;

use crate::chain_file::ScriptArgs;

/// Runs the recipe at `path` (sandboxed, with the command line's limits) and returns its chain.
pub fn run(path: &Path, args: &ScriptArgs) -> Result<ChainSpec> {
    let options = ScriptOptions {
        target: args.target.clone(),
        lufs: args.lufs,
        true_peak: args.true_peak,
        sets: args.sets.clone(),
        inputs: args.inputs.clone(),
        memory_limit: args.memory_mb.saturating_mul(1 << 20),
        instruction_limit: args.instructions_m.saturating_mul(1_000_000),
        ..ScriptOptions::default()
    };
    Ok(mixgraph_scripts::run_file(path, &options)?.chain)
}
