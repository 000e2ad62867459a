//! Loading a chain from the command line: a RON preset (by path, or a shipped preset by name)
//! or a Lua recipe, chosen by file extension, validated against the node catalog.

use std::path::Path;

use anyhow::Result;
use mixgraph_chains::{ChainSpec, ValidChain};

use crate::exit::BadInput;

/// What a script may read from the command line.
#[derive(Debug, Clone, Default)]
pub struct ScriptArgs {
    /// `--input NAME=FILE` bindings, so a recipe can analyse its inputs.
    pub inputs: Vec<(String, std::path::PathBuf)>,
    /// `--set KEY=VALUE` pairs.
    pub sets: Vec<(String, String)>,
    /// `--target NAME`.
    pub target: Option<String>,
    /// `--lufs`.
    pub lufs: Option<f64>,
    /// `--tp`.
    pub true_peak: Option<f64>,
    /// Memory limit for a Lua recipe, in MiB.
    pub memory_mb: usize,
    /// Instruction budget for a Lua recipe, in millions.
    pub instructions_m: u64,
}

impl ScriptArgs {
    /// These arguments with `--input NAME=FILE` bindings added.
    pub fn with_inputs(mut self, inputs: &[(String, String)]) -> Self {
        self.inputs = inputs
            .iter()
            .map(|(n, f)| (n.clone(), std::path::PathBuf::from(f)))
            .collect();
        self
    }
}

/// Reads a chain description: `.ron` files, `.lua` recipes, or the name of a shipped preset.
pub fn load_spec(reference: &str, script: &ScriptArgs) -> Result<ChainSpec> {
    let path = Path::new(reference);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("lua") => crate::script::run(path, script),
        Some("ron") => Ok(mixgraph_chains::load_file(path)?),
        _ if !path.exists() => match mixgraph_chains::presets::get(reference) {
            Some(preset) => Ok(preset.load()?),
            None => {
                let names: Vec<&str> = mixgraph_chains::presets::names().collect();
                let hint = mixgraph_engine::catalog::closest_name(reference, names.iter().copied())
                    .map(|n| format!("; did you mean the shipped preset `{n}`?"))
                    .unwrap_or_default();
                Err(BadInput(format!(
                    "`{reference}`: no such file, and not a shipped preset{hint} (presets: {})",
                    names.join(", ")
                ))
                .into())
            }
        },
        _ => Err(BadInput(format!(
            "`{reference}`: expected a chain file ending in .ron or a recipe ending in .lua"
        ))
        .into()),
    }
}

/// Reads and validates a chain.
pub fn load(reference: &str, script: &ScriptArgs) -> Result<ValidChain> {
    let spec = load_spec(reference, script)?;
    let catalog = mixgraph_nodes::catalog();
    Ok(mixgraph_chains::validate(&spec, &catalog)?)
}

/// Splits `NAME=VALUE`.
pub fn parse_binding(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, found `{s}`")),
    }
}
