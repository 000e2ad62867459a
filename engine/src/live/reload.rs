//! Deciding how an edited chain replaces the playing one, off the audio thread.
//!
//! The control thread keeps a `GraphShadow` of every chain it sends: per node its name,
//! kind, parameters, automation, channel layout and latency, and the connections. Comparing
//! the shadows of the playing and the edited chain gives a `ReloadPlan`:
//! - nothing changed: nothing to do;
//! - only numeric parameters changed, on the same nodes wired the same way: the playing
//!   schedule stays and the changes go to it as smoothed parameter changes (no handover at
//!   all, so nothing can click);
//! - anything else: the new schedule is swapped in. A node of the new chain *survives* when
//!   the old chain has a node of the same name, kind, channel layout, latency, folder and
//!   non-numeric parameters: its processor (filter memories, envelopes, delay lines) moves to
//!   the new schedule, and its numeric parameters are then moved to their new values. The
//!   routing nodes (`input`, `output`, `feedback`) are not counted: their processors hold no
//!   state (the schedule does their work, and a feedback loop restarts empty).
//!
//! Parameters changed live (through the controller) are not part of the shadow: a live
//! change holds until an edit of the chain file changes that same parameter.

use std::path::PathBuf;

use crate::automation::AutomationLane;
use crate::builtin::{FEEDBACK, INPUT, OUTPUT};
use crate::compile::channels::{self, NodeLayout};
use crate::compile::{CompileConfig, order};
use crate::error::GraphError;
use crate::graph::Graph;
use crate::param::{ParamKind, Params};
use crate::schedule::Schedule;

/// What the control thread remembers of one node of a chain it sent.
#[derive(Debug, Clone)]
pub(crate) struct NodeShadow {
    name: String,
    kind: &'static str,
    params: Params,
    automation: Vec<AutomationLane>,
    base_dir: Option<PathBuf>,
    layout: NodeLayout,
    latency: usize,
}

/// What the control thread remembers of a chain it sent.
#[derive(Debug, Clone)]
pub(crate) struct GraphShadow {
    nodes: Vec<NodeShadow>,
    /// `(from node, from port, to node, to port)`, sorted.
    edges: Vec<(usize, usize, usize, usize)>,
}

/// How an edited chain replaces the playing one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReloadPlan {
    /// The chains are the same.
    Unchanged,
    /// Same nodes, same wiring: send these `(node, param, value)` changes to the playing
    /// schedule.
    Parameters(Vec<(usize, usize, f64)>),
    /// Swap schedules; adopt `(new node, old node)` processors, then apply `retune` as
    /// `(new node, param, value)`.
    Swap {
        /// Processor pairs.
        adopt: Vec<(usize, usize)>,
        /// Parameter moves on adopted processors.
        retune: Vec<(usize, usize, f64)>,
    },
}

/// Kinds whose parameters are read when the chain is compiled, not at run time.
fn compile_time_kind(kind: &str) -> bool {
    matches!(kind, INPUT | OUTPUT | FEEDBACK)
}

impl GraphShadow {
    /// The shadow of `graph`, compiled into `schedule` with `config`.
    ///
    /// # Errors
    /// A [`GraphError`] from ordering or channel resolution (not expected for a graph that
    /// compiled).
    pub fn new(
        graph: &Graph,
        schedule: &mut Schedule,
        config: &CompileConfig,
    ) -> Result<Self, GraphError> {
        let order = order::order(graph)?;
        let layouts = channels::resolve(graph, &order, &config.input_channels)?;
        let nodes = graph
            .nodes()
            .map(|(id, n)| NodeShadow {
                name: n.name.clone(),
                kind: n.kind_name(),
                params: n.params.clone(),
                automation: n.automation.clone(),
                base_dir: n.base_dir.clone(),
                layout: layouts.get(id.index()).cloned().unwrap_or_default(),
                latency: schedule
                    .processor_mut(id.index())
                    .map_or(0, |p| p.latency()),
            })
            .collect();
        let mut edges: Vec<_> = graph
            .connections()
            .map(|(a, c, b)| (a.index(), c.from_port, b.index(), c.to_port))
            .collect();
        edges.sort_unstable();
        Ok(GraphShadow { nodes, edges })
    }

    /// Nodes whose processors can hold state (all but the routing nodes).
    pub fn stateful_nodes(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| !compile_time_kind(n.kind))
            .count()
    }

    /// The node index of a name.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// The parameters and kind of a node.
    pub fn node(&self, index: usize) -> Option<(&'static str, &Params)> {
        self.nodes.get(index).map(|n| (n.kind, &n.params))
    }
}

/// The numeric parameter moves that make `old`'s processor serve `new`, or `None` when the
/// node cannot carry its state over.
fn survives(old: &NodeShadow, new: &NodeShadow) -> Option<Vec<(usize, f64)>> {
    if old.name != new.name
        || old.kind != new.kind
        || old.layout != new.layout
        || old.latency != new.latency
        || old.base_dir != new.base_dir
    {
        return None;
    }
    let mut moves = Vec::new();
    for (i, spec) in new.params.specs().iter().enumerate() {
        let (a, b) = (old.params.number_at(i), new.params.number_at(i));
        match spec.kind {
            ParamKind::Number { .. } => {
                if a != b {
                    moves.push((i, b));
                }
            }
            _ => {
                if a != b || old.params.text(spec.name) != new.params.text(spec.name) {
                    return None;
                }
            }
        }
    }
    Some(moves)
}

/// Compares the playing chain with the edited one.
pub(crate) fn plan(old: &GraphShadow, new: &GraphShadow) -> ReloadPlan {
    let same_nodes = old.nodes.len() == new.nodes.len() && old.edges == new.edges;
    if same_nodes {
        let mut changes = Vec::new();
        let mut in_place = true;
        for (i, (o, n)) in old.nodes.iter().zip(&new.nodes).enumerate() {
            match survives(o, n) {
                Some(moves)
                    if o.automation == n.automation
                        && (moves.is_empty() || !compile_time_kind(n.kind)) =>
                {
                    changes.extend(moves.into_iter().map(|(p, v)| (i, p, v)));
                }
                _ => {
                    in_place = false;
                    break;
                }
            }
        }
        if in_place {
            return if changes.is_empty() {
                ReloadPlan::Unchanged
            } else {
                ReloadPlan::Parameters(changes)
            };
        }
    }
    let mut adopt = Vec::new();
    let mut retune = Vec::new();
    for (j, n) in new.nodes.iter().enumerate() {
        // The routing nodes keep no state in their processors (the schedule does their work).
        if compile_time_kind(n.kind) {
            continue;
        }
        let Some(i) = old.node_index(&n.name) else {
            continue;
        };
        if let Some(moves) = survives(&old.nodes[i], n) {
            adopt.push((j, i));
            retune.extend(moves.into_iter().map(|(p, v)| (j, p, v)));
        }
    }
    ReloadPlan::Swap { adopt, retune }
}
