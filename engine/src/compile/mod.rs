//! The compiler: a [`Graph`] becomes a [`Schedule`] through passes that each do one thing
//! and can be tested alone: [`validate`], [`order`], [`channels`], activation,
//! [`latency`], [`plan`], [`buffers`].

pub mod buffers;
pub mod channels;
pub mod latency;
pub mod order;
pub mod plan;
pub mod validate;

use std::collections::HashMap;

use crate::error::GraphError;
use crate::graph::Graph;
use crate::node::{NodeConfig, Processor};
use crate::schedule::Schedule;

/// Settings for compiling a graph.
#[derive(Debug, Clone)]
pub struct CompileConfig {
    /// Frames per second of the session.
    pub sample_rate: f64,
    /// Largest block the schedule will be asked to process.
    pub max_block: usize,
    /// Channel counts of named graph inputs (from their files), overriding the chain.
    pub input_channels: HashMap<String, usize>,
}

impl CompileConfig {
    /// A config with no input overrides.
    pub fn new(sample_rate: f64, max_block: usize) -> Self {
        CompileConfig {
            sample_rate,
            max_block,
            input_channels: HashMap::new(),
        }
    }
}

/// Compiles a graph into a schedule ready to process.
///
/// # Errors
/// Any [`GraphError`] found by the passes: unconnected input, cycle, channel mismatch,
/// a node that cannot be activated, a bad setting.
pub fn compile(graph: &Graph, config: &CompileConfig) -> Result<Schedule, GraphError> {
    if !(config.sample_rate.is_finite() && config.sample_rate >= 1.0) {
        return Err(GraphError::Config(format!(
            "sample rate must be positive, found {}",
            config.sample_rate
        )));
    }
    if config.max_block == 0 || config.max_block > 1 << 16 {
        return Err(GraphError::Config(format!(
            "block size must be 1 to 65536 frames, found {}",
            config.max_block
        )));
    }
    validate::required_inputs(graph)?;
    let order = order::order(graph)?;
    let layouts = channels::resolve(graph, &order, &config.input_channels)?;
    let processors = activate(graph, &layouts, config)?;
    let own_latency: Vec<usize> = processors.iter().map(|p| p.latency()).collect();
    let own_tail: Vec<usize> = processors.iter().map(|p| p.tail()).collect();
    let latency = latency::plan(graph, &order, &own_latency, &own_tail);
    let plan = plan::build(graph, &order, &layouts, &latency);
    let assignment = buffers::assign(&plan);
    Schedule::new(
        graph,
        config,
        processors,
        &layouts,
        &latency,
        &plan,
        &assignment,
    )
}

fn activate(
    graph: &Graph,
    layouts: &[channels::NodeLayout],
    config: &CompileConfig,
) -> Result<Vec<Box<dyn Processor>>, GraphError> {
    graph
        .nodes()
        .map(|(id, node)| {
            let layout = &layouts[id.index()];
            let node_config = NodeConfig {
                sample_rate: config.sample_rate,
                max_block: config.max_block,
                params: &node.params,
                input_channels: &layout.inputs,
                output_channels: &layout.outputs,
                base_dir: node.base_dir.clone(),
            };
            node.kind
                .activate(&node_config)
                .map_err(|source| GraphError::Activate {
                    node: node.name.clone(),
                    kind: node.kind_name().to_string(),
                    source,
                })
        })
        .collect()
}
