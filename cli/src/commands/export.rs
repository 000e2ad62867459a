//! `mixgraph export CHAIN -o preset.ron`: writes the chain a Lua recipe builds (or any chain)
//! as a RON preset that renders identically. Relative file references (subchain files,
//! impulse responses) are made absolute when the preset is written outside the chain's folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mixgraph_chains::ChainSpec;
use mixgraph_engine::{ParamKind, ParamValue};

use crate::chain_file::{self, ScriptArgs, parse_binding};
use crate::exit::BadInput;

/// Arguments of `mixgraph export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .lua recipe, a .ron preset, or a shipped preset's name.
    pub chain: String,
    /// Where to write the RON preset.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Binds an input to a file, so the recipe can analyse it (repeatable).
    #[arg(short, long = "input", value_name = "NAME=FILE", value_parser = parse_binding)]
    pub inputs: Vec<(String, String)>,
    #[command(flatten)]
    pub script: crate::commands::render::ScriptFlags,
}

/// Builds, validates and writes the chain.
pub fn run(args: &Args) -> Result<()> {
    let script = ScriptArgs::from(&args.script).with_inputs(&args.inputs);
    let source = Path::new(&args.chain);
    if args.output.exists() && mixgraph_engine::io::same_file(&args.output, source) {
        return Err(BadInput(format!(
            "-o {}: that is the chain being exported",
            args.output.display()
        ))
        .into());
    }
    let mut spec = chain_file::load_spec(&args.chain, &script)?;
    let catalog = mixgraph_nodes::catalog();
    mixgraph_chains::validate(&spec, &catalog)?;
    let chain_dir = source.parent().map(Path::to_path_buf).unwrap_or_default();
    let out_dir = args
        .output
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    if !same_dir(&chain_dir, &out_dir) {
        make_paths_absolute(&mut spec, &chain_dir, &catalog);
    }
    let text = mixgraph_chains::save(&spec);
    let tmp = args.output.with_extension("ron.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!("wrote {}", args.output.display());
    Ok(())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| {
        std::fs::canonicalize(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        })
        .ok()
    };
    norm(a) == norm(b)
}

/// Rewrites relative subchain paths and path parameters to absolute paths under `dir`.
fn make_paths_absolute(spec: &mut ChainSpec, dir: &Path, catalog: &mixgraph_engine::Catalog) {
    let absolute = |p: &str| {
        let path = Path::new(p);
        if path.is_absolute() {
            p.to_string()
        } else {
            std::path::absolute(dir.join(path))
                .unwrap_or_else(|_| dir.join(path))
                .display()
                .to_string()
        }
    };
    for node in spec.nodes.iter_mut().chain(spec.series.iter_mut()) {
        if let Some(reference) = &node.chain {
            // A bare name is a shipped preset; anything with a folder or extension is a file.
            if reference.contains('/') || reference.ends_with(".ron") {
                node.chain = Some(absolute(reference));
            }
        }
        let Some(kind) = node.kind.as_deref().and_then(|k| catalog.get(k)) else {
            continue;
        };
        for (name, value) in &mut node.params {
            let is_path = kind
                .descriptor()
                .param(name)
                .is_some_and(|p| p.kind == ParamKind::Path);
            if let (true, ParamValue::Text(t)) = (is_path, &*value) {
                *value = ParamValue::Text(absolute(t));
            }
        }
    }
}
