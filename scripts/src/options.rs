//! What a recipe run is given ([`ScriptOptions`]: the command line's target, `--set`
//! values, input files and budgets) and what it gives back ([`ScriptOutput`]).

use std::path::PathBuf;
use std::time::Duration;

use mixgraph_chains::ChainSpec;

use crate::limits::{DEFAULT_INSTRUCTION_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT};

/// The settings of one recipe run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptOptions {
    /// The loudness target's name (`--target`), e.g. `spotify`; `None`: spotify, or `custom`
    /// when `lufs` is given.
    pub target: Option<String>,
    /// Integrated loudness to aim for in LUFS (`--lufs`), overriding the target's.
    pub lufs: Option<f64>,
    /// True-peak ceiling in dBTP (`--tp`), overriding the target's.
    pub true_peak: Option<f64>,
    /// `--set KEY=VALUE` pairs, read by the script with `arg(key, default)`; the last of a
    /// repeated key wins.
    pub sets: Vec<(String, String)>,
    /// `--input NAME=FILE` bindings: the script lists them with `inputs()` and analyses them
    /// with `analyze(name)`.
    pub inputs: Vec<(String, PathBuf)>,
    /// Memory limit of the Lua state in bytes.
    pub memory_limit: usize,
    /// Budget of Lua instructions.
    pub instruction_limit: u64,
    /// Wall-clock limit on running the script (analysis time not counted).
    pub time_limit: Duration,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        ScriptOptions {
            target: None,
            lufs: None,
            true_peak: None,
            sets: Vec::new(),
            inputs: Vec::new(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            instruction_limit: DEFAULT_INSTRUCTION_LIMIT,
            time_limit: DEFAULT_TIME_LIMIT,
        }
    }
}

/// What a recipe produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptOutput {
    /// The chain the script built. It has passed [`mixgraph_chains::validate`] against the
    /// full node catalog; its origin names the script and resolves relative paths (preset
    /// files, impulse responses) against the script's folder.
    pub chain: ChainSpec,
    /// Every line the script logged (also printed to stderr as it happened), and the host's
    /// notes (files analysed, `--set` keys the script never read).
    pub log: Vec<String>,
}
