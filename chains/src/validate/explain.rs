//! Turning the engine's [`GraphError`]s, which name nodes by their graph names
//! (`master/limiter`), into [`ChainError`]s that say where those nodes are written.

use std::collections::HashMap;

use mixgraph_engine::GraphError;

use crate::error::{ChainError, Location};
use crate::locate::Step;
use crate::validate::site::Site;

/// Knows where each node of a flattened chain is written.
#[derive(Debug, Clone)]
pub(crate) struct Explainer {
    sites: HashMap<String, Site>,
    /// The top chain, for errors that concern no node.
    whole: Location,
}

impl Explainer {
    pub(crate) fn new(sites: HashMap<String, Site>, whole: Location) -> Self {
        Explainer { sites, whole }
    }

    /// Where the node of a graph name is written (its name, when it has one).
    fn at(&self, node: &str) -> Location {
        self.sites
            .get(node)
            .map_or_else(|| self.whole.clone(), |s| s.at(&[Step::Field("name")]))
    }

    /// The engine's error, located.
    pub(crate) fn explain(&self, e: GraphError) -> ChainError {
        match e {
            GraphError::UnconnectedInput { node, kind, port } => ChainError::UnconnectedInput {
                at: self.at(&node),
                node,
                kind,
                port,
            },
            GraphError::ChannelMismatch {
                node,
                port,
                expected,
                found,
                from,
                hint,
            } => ChainError::ChannelMismatch {
                at: self.at(&node),
                node,
                port,
                expected,
                found,
                from,
                hint,
            },
            GraphError::Cycle { nodes } => {
                let at = nodes
                    .first()
                    .map_or_else(|| self.whole.clone(), |n| self.at(n));
                ChainError::Cycle { at, nodes }
            }
            other => {
                let at = match &other {
                    GraphError::DuplicateNode { name } | GraphError::UnknownNode { name } => {
                        self.at(name)
                    }
                    GraphError::UnknownPort { node, .. }
                    | GraphError::Param { node, .. }
                    | GraphError::Layout { node, .. }
                    | GraphError::Activate { node, .. }
                    | GraphError::Automation { node, .. } => self.at(node),
                    _ => self.whole.clone(),
                };
                ChainError::Graph { at, source: other }
            }
        }
    }
}
