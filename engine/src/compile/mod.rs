//! The compiler: a [`Graph`] becomes a [`Schedule`] through passes that each do one thing
//! and can be tested alone: [`validate`], [`order`], [`channels`], activation,
//! [`latency`], [`plan`], [`partition`], [`buffers`].

pub mod buffers;
pub mod channels;
pub mod latency;
pub mod order;
pub mod partition;
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
    /// Threads that run the schedule (1 to [`MAX_THREADS`]; default 1). With more than one,
    /// independent branches (stems, channel strips, buses) run at the same time on worker
    /// threads, with output bit-identical to one thread. For offline rendering only: the
    /// caller of [`Schedule::process`] waits for the workers, which an audio callback must
    /// never do, so the live runtime compiles with 1.
    pub threads: usize,
}

/// The most threads a schedule may use.
pub const MAX_THREADS: usize = 256;

impl CompileConfig {
    /// A config with no input overrides, on one thread.
    pub fn new(sample_rate: f64, max_block: usize) -> Self {
        CompileConfig {
            sample_rate,
            max_block,
            input_channels: HashMap::new(),
            threads: 1,
        }
    }

    /// The same config on `threads` threads.
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}

/// The number of threads this machine can run at once (1 when it cannot tell): a good
/// [`CompileConfig::threads`] for an offline render.
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
}

/// What compiling decides about running a graph, without the processors: the steps, their
/// phases and their buffers. For tools and tests that inspect a schedule's layout.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// The steps over virtual signals.
    pub plan: plan::Plan,
    /// The steps grouped into serial and parallel phases.
    pub partition: partition::Partition,
    /// The physical buffer of every signal.
    pub assignment: buffers::Assignment,
}

/// Compiles a graph into a schedule ready to process.
///
/// # Errors
/// Any [`GraphError`] found by the passes: unconnected input, cycle, channel mismatch,
/// a node that cannot be activated, a bad setting.
pub fn compile(graph: &Graph, config: &CompileConfig) -> Result<Schedule, GraphError> {
    let passes = run_passes(graph, config)?;
    Schedule::new(
        graph,
        config,
        passes.processors,
        &passes.layouts,
        &passes.latency,
        &passes.blueprint,
    )
}

/// Runs the passes of [`compile`] up to buffer assignment and returns their decisions
/// (nodes are activated to learn their latencies, then dropped).
///
/// # Errors
/// As [`compile`].
pub fn blueprint(graph: &Graph, config: &CompileConfig) -> Result<Blueprint, GraphError> {
    run_passes(graph, config).map(|p| p.blueprint)
}

/// Everything the passes produce.
struct Passes {
    processors: Vec<Box<dyn Processor>>,
    layouts: Vec<channels::NodeLayout>,
    latency: latency::LatencyPlan,
    blueprint: Blueprint,
}

fn run_passes(graph: &Graph, config: &CompileConfig) -> Result<Passes, GraphError> {
    if !(1..=MAX_THREADS).contains(&config.threads) {
        return Err(GraphError::Config(format!(
            "threads must be 1 to {MAX_THREADS}, found {}",
            config.threads
        )));
    }
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
    let partition = partition::partition(&plan, config.threads);
    let assignment = buffers::assign_phased(&plan, &partition);
    Ok(Passes {
        processors,
        layouts,
        latency,
        blueprint: Blueprint {
            plan,
            partition,
            assignment,
        },
    })
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
