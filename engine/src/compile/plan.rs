//! Compiler pass 5: the steps of one block over virtual signals (one per channel), before
//! buffers are assigned. Fan-in becomes an explicit sum step; compensation delays become
//! delay steps; feedback nodes become a read step at the start and a write step at the end.

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::builtin::{FEEDBACK, INPUT, OUTPUT};
use crate::compile::channels::NodeLayout;
use crate::compile::latency::LatencyPlan;
use crate::graph::Graph;

/// A virtual signal: one channel of audio for one block. Signal 0 is always silence.
pub type Signal = u32;

/// The silent signal read by unconnected optional inputs.
pub const SILENCE: Signal = 0;

/// One step over virtual signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanStep {
    /// Run a node's processor.
    Node {
        /// The node.
        node: NodeIndex,
        /// Signals of each input port's channels.
        inputs: Vec<Vec<Signal>>,
        /// Signals of each output port's channels.
        outputs: Vec<Vec<Signal>>,
    },
    /// `dest` = sum of `sources`.
    Sum {
        /// The sum.
        dest: Signal,
        /// The terms.
        sources: Vec<Signal>,
    },
    /// `dest` = `src` delayed by `frames`.
    Delay {
        /// Delay in frames.
        frames: usize,
        /// The input.
        src: Signal,
        /// The delayed copy.
        dest: Signal,
    },
    /// A feedback node's output, read from its ring.
    FeedbackRead {
        /// The feedback node.
        node: NodeIndex,
        /// Its output channels.
        dest: Vec<Signal>,
    },
    /// A feedback node's input, written to its ring.
    FeedbackWrite {
        /// The feedback node.
        node: NodeIndex,
        /// Its input channels.
        src: Vec<Signal>,
    },
}

impl PlanStep {
    /// Signals this step writes.
    pub fn defs(&self) -> Vec<Signal> {
        match self {
            PlanStep::Node { outputs, .. } => outputs.iter().flatten().copied().collect(),
            PlanStep::Sum { dest, .. } | PlanStep::Delay { dest, .. } => vec![*dest],
            PlanStep::FeedbackRead { dest, .. } => dest.clone(),
            PlanStep::FeedbackWrite { .. } => Vec::new(),
        }
    }

    /// Signals this step reads.
    pub fn uses(&self) -> Vec<Signal> {
        match self {
            PlanStep::Node { inputs, .. } => inputs.iter().flatten().copied().collect(),
            PlanStep::Sum { sources, .. } => sources.clone(),
            PlanStep::Delay { src, .. } => vec![*src],
            PlanStep::FeedbackRead { .. } => Vec::new(),
            PlanStep::FeedbackWrite { src, .. } => src.clone(),
        }
    }
}

/// The whole block: steps, plus the signals bound to the graph's inputs and outputs.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Steps in order.
    pub steps: Vec<PlanStep>,
    /// Number of signals (including [`SILENCE`]).
    pub signals: u32,
    /// For each `input` node, in the order the nodes were added: its channels' signals,
    /// written from outside.
    pub inputs: Vec<(NodeIndex, Vec<Signal>)>,
    /// For each `output` node, in the order the nodes were added: its channels' signals, read
    /// from outside after the block.
    pub outputs: Vec<(NodeIndex, Vec<Signal>)>,
}

/// Builds the plan from the order, channel layouts and latency plan.
pub fn build(
    graph: &Graph,
    order: &[NodeIndex],
    layouts: &[NodeLayout],
    latency: &LatencyPlan,
) -> Plan {
    let g = &graph.g;
    let mut plan = Plan {
        signals: 1,
        ..Plan::default()
    };
    let mut out_signals: Vec<Vec<Vec<Signal>>> = vec![Vec::new(); g.node_count()];
    let fresh = |plan: &mut Plan| {
        let s = plan.signals;
        plan.signals += 1;
        s
    };
    // Sources first: inputs (written from outside) and feedback reads (last block's data).
    for &i in order {
        let kind = g[i].kind_name();
        if kind == INPUT || kind == FEEDBACK {
            let sigs: Vec<Signal> = (0..layouts[i.index()].outputs[0])
                .map(|_| fresh(&mut plan))
                .collect();
            out_signals[i.index()] = vec![sigs.clone()];
            if kind == INPUT {
                plan.inputs.push((i, sigs));
            } else {
                plan.steps.push(PlanStep::FeedbackRead {
                    node: i,
                    dest: sigs,
                });
            }
        }
    }
    let mut feedback_writes = Vec::new();
    for &i in order {
        let node = &g[i];
        let kind = node.kind_name();
        if kind == INPUT {
            continue;
        }
        let d = node.kind.descriptor();
        if kind == FEEDBACK {
            feedback_writes.push(i);
            continue;
        }
        let inputs: Vec<Vec<Signal>> = (0..d.inputs.len())
            .map(|p| input_port(graph, i, p, layouts, latency, &out_signals, &mut plan))
            .collect();
        if kind == OUTPUT {
            plan.outputs
                .push((i, inputs.into_iter().next().unwrap_or_default()));
            continue;
        }
        let outputs: Vec<Vec<Signal>> = layouts[i.index()]
            .outputs
            .iter()
            .map(|&n| (0..n).map(|_| fresh(&mut plan)).collect())
            .collect();
        out_signals[i.index()] = outputs.clone();
        plan.steps.push(PlanStep::Node {
            node: i,
            inputs,
            outputs,
        });
    }
    plan.inputs.sort_by_key(|(i, _)| *i);
    plan.outputs.sort_by_key(|(i, _)| *i);
    for i in feedback_writes {
        let src = input_port(graph, i, 0, layouts, latency, &out_signals, &mut plan);
        plan.steps.push(PlanStep::FeedbackWrite { node: i, src });
    }
    plan
}

/// The signals one input port reads: its sources delayed for alignment, widened from mono,
/// and summed when several connections meet. Adds the needed steps to the plan.
fn input_port(
    graph: &Graph,
    node: NodeIndex,
    port: usize,
    layouts: &[NodeLayout],
    latency: &LatencyPlan,
    out_signals: &[Vec<Vec<Signal>>],
    plan: &mut Plan,
) -> Vec<Signal> {
    let g = &graph.g;
    let width = layouts[node.index()].inputs.get(port).copied().unwrap_or(0);
    let mut edges: Vec<_> = g
        .edges_directed(node, Direction::Incoming)
        .filter(|e| e.weight().to_port == port)
        .collect();
    edges.sort_by_key(|e| e.id());
    let mut terms: Vec<Vec<Signal>> = Vec::with_capacity(edges.len());
    for e in edges {
        let source = out_signals[e.source().index()]
            .get(e.weight().from_port)
            .cloned()
            .unwrap_or_default();
        let delay = latency.delay_of(e.id());
        let source: Vec<Signal> = if delay == 0 {
            source
        } else {
            source
                .into_iter()
                .map(|src| {
                    let dest = plan.signals;
                    plan.signals += 1;
                    plan.steps.push(PlanStep::Delay {
                        frames: delay,
                        src,
                        dest,
                    });
                    dest
                })
                .collect()
        };
        let widened: Vec<Signal> = (0..width)
            .map(|ch| {
                if source.len() == 1 {
                    source[0]
                } else {
                    source.get(ch).copied().unwrap_or(SILENCE)
                }
            })
            .collect();
        terms.push(widened);
    }
    match terms.len() {
        0 => Vec::new(),
        1 => terms.pop().unwrap_or_default(),
        _ => (0..width)
            .map(|ch| {
                let dest = plan.signals;
                plan.signals += 1;
                plan.steps.push(PlanStep::Sum {
                    dest,
                    sources: terms.iter().map(|t| t[ch]).collect(),
                });
                dest
            })
            .collect(),
    }
}
