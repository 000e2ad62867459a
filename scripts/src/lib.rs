//! Lua recipes: scripts that build mixgraph chains, safe to share.
//!
//! A recipe is a Lua 5.4 script (the interpreter is built from source with the crate) that
//! measures its inputs, decides, and builds a chain through a small API: `chain.node`,
//! `chain.connect`, `analyze`, `target`, `arg`, `log`... (documented in `scripts/README.md`).
//! What comes out is a plain [`ChainSpec`], validated against the node catalog, that renders
//! and exports to RON like any chain. Lua never runs on an audio thread.
//!
//! ```text
//! recipe.lua --run_file(path, &ScriptOptions)--> ScriptOutput { chain: ChainSpec, log }
//!                                                   |-- mixgraph_chains::validate --> ValidChain --> render
//!                                                   '-- mixgraph_chains::save --> preset.ron
//! ```
//!
//! A recipe is untrusted input. It runs in a sandbox: only the safe standard library (no
//! `io`, no `os` beyond `os.time` and `os.clock`, no modules or native code, no bytecode, no
//! `debug`), a memory limit, an instruction budget and a time limit (defaults and caps in
//! [`limits`]); the API's tables cannot be changed. Every error names the script, the line
//! and the Lua traceback ([`ScriptError`]).
//!
//! [`ChainSpec`]: mixgraph_chains::ChainSpec

pub mod analysis;
mod api;
pub mod error;
pub mod limits;
mod options;
mod run;
mod sandbox;
mod site;

use std::io::Read;
use std::path::Path;

pub use analysis::{AnalysisCache, Bands, Measurements, measure_file};
pub use error::ScriptError;
pub use options::{ScriptOptions, ScriptOutput};

use crate::limits::MAX_SCRIPT_BYTES;
use crate::run::Script;

/// Runs the recipe in file `path`. Preset files and other relative paths the script names
/// are resolved against the script's folder.
///
/// # Errors
/// A [`ScriptError`]: the file cannot be read, the script does not parse, raises an error
/// (its own or a refused API call, at its line), exceeds a budget, asks for an unknown
/// target, or builds a chain that does not validate.
pub fn run_file(path: &Path, options: &ScriptOptions) -> Result<ScriptOutput, ScriptError> {
    Host::new().run_file(path, options)
}

/// Runs a recipe given as text, named `chunk_name` in messages; relative paths are resolved
/// against the current folder.
///
/// # Errors
/// As [`run_file`].
pub fn run_str(
    source: &str,
    chunk_name: &str,
    options: &ScriptOptions,
) -> Result<ScriptOutput, ScriptError> {
    Host::new().run_str(source, chunk_name, options)
}

/// Runs recipes, keeping file analyses between runs (a batch over the same inputs measures
/// each file once; a file changed on disk is measured again).
#[derive(Debug, Default)]
pub struct Host {
    cache: AnalysisCache,
}

impl Host {
    /// A host with an empty analysis cache.
    pub fn new() -> Self {
        Host::default()
    }

    /// As [`run_file`], with this host's analysis cache.
    ///
    /// # Errors
    /// As [`run_file`].
    pub fn run_file(
        &mut self,
        path: &Path,
        options: &ScriptOptions,
    ) -> Result<ScriptOutput, ScriptError> {
        let source = read_script(path)?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
        let script = Script {
            source: &source,
            name: path.display().to_string(),
            dir: Some(dir),
        };
        run::run(&script, options, &mut self.cache)
    }

    /// As [`run_str`], with this host's analysis cache.
    ///
    /// # Errors
    /// As [`run_file`].
    pub fn run_str(
        &mut self,
        source: &str,
        chunk_name: &str,
        options: &ScriptOptions,
    ) -> Result<ScriptOutput, ScriptError> {
        if source.len() > MAX_SCRIPT_BYTES {
            return Err(ScriptError::TooLarge {
                script: chunk_name.to_string(),
                limit: MAX_SCRIPT_BYTES,
            });
        }
        let script = Script {
            source: source.as_bytes(),
            name: chunk_name.to_string(),
            dir: None,
        };
        run::run(&script, options, &mut self.cache)
    }

    /// The analyses kept so far.
    pub fn cache(&self) -> &AnalysisCache {
        &self.cache
    }
}

/// Reads a script, refusing files over [`MAX_SCRIPT_BYTES`] without reading more than that.
fn read_script(path: &Path) -> Result<Vec<u8>, ScriptError> {
    let io = |source| ScriptError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut source = Vec::new();
    file.take(MAX_SCRIPT_BYTES as u64 + 1)
        .read_to_end(&mut source)
        .map_err(io)?;
    if source.len() > MAX_SCRIPT_BYTES {
        return Err(ScriptError::TooLarge {
            script: path.display().to_string(),
            limit: MAX_SCRIPT_BYTES,
        });
    }
    Ok(source)
}
