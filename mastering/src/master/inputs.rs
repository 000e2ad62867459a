//! The inputs of a run named for their deliverables, and the check that no file of the
//! delivery lands on an input.

use std::collections::HashSet;
use std::path::PathBuf;

use mixgraph_engine::io::check_not_input;

use super::assemble::REPORT_FILE;
use super::error::MasterError;
use super::options::MasterOptions;

/// Pairs every input with its file stem.
///
/// # Errors
/// [`MasterError::NoInputs`], or [`MasterError::SameName`] when two inputs share a stem.
pub(super) fn name_inputs(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, MasterError> {
    if inputs.is_empty() {
        return Err(MasterError::NoInputs);
    }
    let mut named: Vec<(PathBuf, String)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let stem = input
            .file_stem()
            .map_or_else(|| "track".to_string(), |s| s.to_string_lossy().into_owned());
        if let Some((first, _)) = named.iter().find(|(_, s)| *s == stem) {
            return Err(MasterError::SameName {
                stem,
                first: first.clone(),
                second: input.clone(),
            });
        }
        named.push((input.clone(), stem));
    }
    Ok(named)
}

/// No file of the delivery may land on an input.
pub(super) fn check_outputs(
    named: &[(PathBuf, String)],
    options: &MasterOptions,
) -> Result<(), MasterError> {
    let inputs: Vec<&PathBuf> = named.iter().map(|(p, _)| p).collect();
    let mut names: HashSet<String> = HashSet::from([REPORT_FILE.to_string()]);
    for (_, stem) in named {
        names.insert(format!("{stem}-master.png"));
        names.extend(options.deliverables.iter().map(|d| d.file_name(stem)));
    }
    for name in names {
        check_not_input(&options.out_dir.join(name), inputs.iter().copied())
            .map_err(MasterError::OutputIsInput)?;
    }
    Ok(())
}
