//! Validation: a [`ChainSpec`] becomes a [`ValidChain`], or the first [`ChainError`] found.
//!
//! Passes, in order: each file on its own ([`unit`]: names, node types, parameters,
//! automation, subchains via [`include`], connections, required inputs, nodes feeding
//! nothing), then the whole chain flattened into an engine graph ([`flatten`]), then the
//! engine's own checks on that graph (required inputs, cycles, channel counts with every
//! input at its declared count, or 2), their errors located by [`explain`].

pub(crate) mod explain;
pub(crate) mod flatten;
pub(crate) mod include;
pub(crate) mod names;
pub(crate) mod params;
pub use params::param_error;
pub(crate) mod site;
pub(crate) mod suggest;
pub(crate) mod unit;

use std::collections::HashMap;

use mixgraph_engine::Catalog;
use mixgraph_engine::compile::{channels, order, validate as required};

use crate::error::ChainError;
use crate::spec::ChainSpec;
use crate::valid::ValidChain;

/// Checks a chain and everything it includes against a catalog, and builds its graph.
///
/// Subchains are resolved relative to the chain's [`crate::Origin`]; node types are looked
/// up in `catalog` (tests may pass a small one; the application passes
/// `mixgraph_nodes::catalog()`).
///
/// # Errors
/// The first problem found, as a [`ChainError`] with the file, line and column of the item.
pub fn validate(spec: &ChainSpec, catalog: &Catalog) -> Result<ValidChain, ChainError> {
    let top = include::Resolver::new(catalog).top(spec)?;
    let flat = flatten::flatten(&top)?;
    let explain = |e| flat.explainer.explain(e);
    required::required_inputs(&flat.graph).map_err(explain)?;
    let order = order::order(&flat.graph).map_err(explain)?;
    channels::resolve(&flat.graph, &order, &HashMap::new()).map_err(explain)?;
    Ok(ValidChain::new(spec, flat.graph, flat.explainer))
}
