//! A chain known to be good ([`ValidChain`]) and what building it gives ([`BuiltChain`]):
//! the engine graph with the chain's declared inputs and outputs. Nothing downstream
//! re-checks the chain.

use std::fmt;

use mixgraph_engine::{CompileConfig, Graph, GraphError, OutputFormat, Schedule};

use crate::error::ChainError;
use crate::spec::ChainSpec;
use crate::validate::explain::Explainer;

/// A chain input as the renderer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDecl {
    /// The name of the graph's `input` node.
    pub name: String,
    /// Declared channel count; `None`: take the bound file's.
    pub channels: Option<u32>,
}

/// A chain output as the renderer needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDecl {
    /// The name of the graph's `output` node.
    pub name: String,
    /// How to write it: rate, sample format, and dither (`Auto` already resolved).
    pub format: OutputFormat,
}

/// A chain that passed [`crate::validate`]: its graph is built (subchains flattened) and
/// has passed the engine's checks with default channel counts.
#[derive(Clone)]
pub struct ValidChain {
    name: Option<String>,
    description: Option<String>,
    sample_rate: Option<u32>,
    graph: Graph,
    inputs: Vec<InputDecl>,
    outputs: Vec<OutputDecl>,
    explainer: Explainer,
}

/// What building a chain gives: the graph and the chain's declared inputs and outputs.
#[derive(Clone)]
pub struct BuiltChain {
    /// The chain's name, if it has one.
    pub name: Option<String>,
    /// The session sample rate, if the chain sets one.
    pub sample_rate: Option<u32>,
    /// The graph: one `input` node per input, one `output` node per output, named as
    /// declared; subchain nodes named `sub/node`.
    pub graph: Graph,
    /// The inputs, in declaration order.
    pub inputs: Vec<InputDecl>,
    /// The outputs, in declaration order.
    pub outputs: Vec<OutputDecl>,
}

impl ValidChain {
    pub(crate) fn new(spec: &ChainSpec, graph: Graph, explainer: Explainer) -> Self {
        let inputs = spec
            .inputs
            .iter()
            .map(|i| InputDecl {
                name: i.name.clone(),
                channels: i.channels,
            })
            .collect();
        let outputs = spec
            .outputs
            .iter()
            .map(|o| OutputDecl {
                name: o.name.clone(),
                format: OutputFormat {
                    sample_rate: o.sample_rate,
                    format: o.format.into(),
                    dither: o.dither.resolve(o.format),
                },
            })
            .collect();
        ValidChain {
            name: spec.name.clone(),
            description: spec.description.clone(),
            sample_rate: spec.sample_rate,
            graph,
            inputs,
            outputs,
            explainer,
        }
    }

    /// The chain's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The chain's description, if it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The session sample rate, if the chain sets one.
    pub fn sample_rate(&self) -> Option<u32> {
        self.sample_rate
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The inputs, in declaration order.
    pub fn inputs(&self) -> &[InputDecl] {
        &self.inputs
    }

    /// The outputs, in declaration order.
    pub fn outputs(&self) -> &[OutputDecl] {
        &self.outputs
    }

    /// The graph and declarations, leaving this chain as it is.
    pub fn build(&self) -> BuiltChain {
        self.clone().into_built()
    }

    /// The graph and declarations.
    pub fn into_built(self) -> BuiltChain {
        BuiltChain {
            name: self.name,
            sample_rate: self.sample_rate,
            graph: self.graph,
            inputs: self.inputs,
            outputs: self.outputs,
        }
    }

    /// Compiles the graph (activating every node) with the engine.
    ///
    /// # Errors
    /// The engine's error located in the chain files: a channel mismatch with the channel
    /// counts of `config`, a node that cannot be activated (a missing impulse response...),
    /// a bad setting.
    pub fn compile(&self, config: &CompileConfig) -> Result<Schedule, ChainError> {
        mixgraph_engine::compile(&self.graph, config).map_err(|e| self.explain(e))
    }

    /// Locates an engine error about this chain's graph in the chain files.
    pub fn explain(&self, error: GraphError) -> ChainError {
        self.explainer.explain(error)
    }
}

impl fmt::Debug for ValidChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidChain")
            .field("name", &self.name)
            .field("nodes", &self.graph.node_count())
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for BuiltChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltChain")
            .field("name", &self.name)
            .field("nodes", &self.graph.node_count())
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}
