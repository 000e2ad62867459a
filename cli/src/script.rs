//! Running a Lua recipe to get the chain it builds.

use std::path::Path;

use anyhow::Result;
use mixgraph_chains::ChainSpec;

use crate::chain_file::ScriptArgs;
use crate::exit::BadInput;

/// Runs the recipe at `path` and returns its chain.
pub fn run(path: &Path, _args: &ScriptArgs) -> Result<ChainSpec> {
    Err(BadInput(format!("{}: Lua recipes are not supported by this build", path.display())).into())
}
