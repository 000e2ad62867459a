//! Resolving subchain references: a bare name is a shipped preset, anything else a path
//! relative to the including file. Each file is read and checked once however often it is
//! used; a chain that includes itself, directly or through others, is an error naming the
//! loop; nesting is limited to [`MAX_SUBCHAIN_DEPTH`] levels.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use mixgraph_engine::Catalog;

use crate::error::ChainError;
use crate::limits::MAX_SUBCHAIN_DEPTH;
use crate::load::{load_str, read_file};
use crate::origin::{Origin, Source};
use crate::presets;
use crate::spec::ChainSpec;
use crate::validate::site::Site;
use crate::validate::suggest;
use crate::validate::unit::{self, Unit};

/// Resolves the chains of one validation.
pub(crate) struct Resolver<'c> {
    catalog: &'c Catalog,
    /// Every chain resolved so far, by source.
    memo: HashMap<Source, Arc<Unit>>,
    /// The chains being resolved, outermost first, with their names.
    stack: Vec<(Source, String)>,
}

impl<'c> Resolver<'c> {
    pub(crate) fn new(catalog: &'c Catalog) -> Self {
        Resolver {
            catalog,
            memo: HashMap::new(),
            stack: Vec::new(),
        }
    }

    /// The catalog node types are looked up in.
    pub(crate) fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// Resolves the top chain.
    pub(crate) fn top(&mut self, spec: &ChainSpec) -> Result<Arc<Unit>, ChainError> {
        let origin = Arc::new(spec.origin.clone());
        self.resolve(identity(origin.source()), spec, origin)
    }

    /// Resolves the subchain `reference` of node `node`, written at `site`.
    pub(crate) fn include(
        &mut self,
        reference: &str,
        node: &str,
        site: &Site,
    ) -> Result<Arc<Unit>, ChainError> {
        let not_found = |reason: String| ChainError::SubchainNotFound {
            at: site.location(),
            node: node.to_string(),
            reference: reference.to_string(),
            reason,
        };
        let from = site.origin();
        let target = if is_preset_name(reference) {
            let preset = presets::get(reference).ok_or_else(|| {
                let suggestion = suggest::closest(reference, presets::names())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                not_found(format!(
                    "no shipped preset has that name{suggestion}; shipped presets: {}; refer to a file by a path such as `./{reference}.ron`",
                    presets::names().collect::<Vec<_>>().join(", ")
                ))
            })?;
            Target::Preset(preset)
        } else if from.is_preset() {
            return Err(not_found(
                "a shipped preset can only include other shipped presets".to_string(),
            ));
        } else {
            let base = from.dir().map_or_else(|| PathBuf::from("."), PathBuf::from);
            let path = base.join(reference);
            let canonical = std::fs::canonicalize(&path)
                .map_err(|e| not_found(format!("cannot open `{}`: {e}", path.display())))?;
            Target::File { path, canonical }
        };
        let key = match &target {
            Target::Preset(p) => Source::Preset(p.name),
            Target::File { canonical, .. } => Source::File(canonical.clone()),
        };
        if let Some(start) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut cycle: Vec<String> = self
                .stack
                .iter()
                .skip(start)
                .map(|(_, name)| name.clone())
                .collect();
            cycle.push(
                self.stack
                    .get(start)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
            );
            return Err(ChainError::IncludeCycle {
                at: site.location(),
                cycle,
            });
        }
        if let Some(unit) = self.memo.get(&key) {
            return Ok(Arc::clone(unit));
        }
        if self.stack.len() > MAX_SUBCHAIN_DEPTH {
            return Err(ChainError::TooDeep {
                at: site.location(),
                limit: MAX_SUBCHAIN_DEPTH,
            });
        }
        let spec = match &target {
            Target::Preset(p) => p.load()?,
            Target::File { path, .. } => {
                let origin = Origin::file(path);
                let text = read_file(path, &origin).map_err(|e| match e {
                    ChainError::Io { source, .. } => {
                        not_found(format!("cannot read `{}`: {source}", path.display()))
                    }
                    other => other,
                })?;
                load_str(&text, origin)?
            }
        };
        let origin = Arc::new(spec.origin.clone());
        self.resolve(key, &spec, origin)
    }

    fn resolve(
        &mut self,
        key: Source,
        spec: &ChainSpec,
        origin: Arc<Origin>,
    ) -> Result<Arc<Unit>, ChainError> {
        self.stack.push((key.clone(), origin.name().to_string()));
        let unit = unit::build(spec, origin, self);
        self.stack.pop();
        let unit = Arc::new(unit?);
        if key != Source::Memory {
            self.memo.insert(key, Arc::clone(&unit));
        }
        Ok(unit)
    }
}

enum Target {
    Preset(&'static presets::Preset),
    File { path: PathBuf, canonical: PathBuf },
}

/// A reference without folder separator or `.ron` names a shipped preset.
fn is_preset_name(reference: &str) -> bool {
    !reference.contains(['/', '\\']) && !reference.ends_with(".ron")
}

/// The source as compared for include loops: files by canonical path.
fn identity(source: &Source) -> Source {
    match source {
        Source::File(p) => Source::File(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
        other => other.clone(),
    }
}
