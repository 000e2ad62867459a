//! Compiler pass 4: latency compensation. Each node's output latency is the latest of its
//! inputs plus its own; every connection arriving earlier than the latest one into the same
//! node gets a delay of the difference, so paths line up sample for sample where they meet.
//! Tails add up the same way.

use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::builtin::FEEDBACK;
use crate::graph::Graph;

/// Latencies and the compensation each connection needs.
#[derive(Debug, Clone, Default)]
pub struct LatencyPlan {
    /// Latency at each node's inputs (after compensation), by node index.
    pub at_input: Vec<usize>,
    /// Latency at each node's outputs, by node index.
    pub at_output: Vec<usize>,
    /// Delay to insert on each connection, by edge index.
    pub compensation: Vec<usize>,
    /// Tail (frames of output after the input ends) at each node's inputs, by node index.
    pub tail_at_input: Vec<usize>,
}

impl LatencyPlan {
    /// The delay a connection needs.
    pub fn delay_of(&self, edge: EdgeIndex) -> usize {
        self.compensation.get(edge.index()).copied().unwrap_or(0)
    }
}

/// Computes latencies along `order` given each node's own latency and tail (by node index).
pub fn plan(
    graph: &Graph,
    order: &[NodeIndex],
    own_latency: &[usize],
    own_tail: &[usize],
) -> LatencyPlan {
    let g = &graph.g;
    let n = g.node_count();
    let mut p = LatencyPlan {
        at_input: vec![0; n],
        at_output: vec![0; n],
        compensation: vec![0; g.edge_count()],
        tail_at_input: vec![0; n],
    };
    let mut tail_out = vec![0usize; n];
    let is_feedback = |i: NodeIndex| g[i].kind_name() == FEEDBACK;
    // Feedback nodes are sources for the order: their inputs come from later nodes, so they
    // are aligned after every other node is known.
    for pass_feedback in [false, true] {
        for &i in order {
            if is_feedback(i) != pass_feedback {
                continue;
            }
            let incoming: Vec<_> = g.edges_directed(i, Direction::Incoming).collect();
            let arrival = |src: NodeIndex| {
                if is_feedback(src) {
                    0
                } else {
                    p.at_output[src.index()]
                }
            };
            let latest = incoming
                .iter()
                .map(|e| arrival(e.source()))
                .max()
                .unwrap_or(0);
            for e in &incoming {
                p.compensation[e.id().index()] = latest - arrival(e.source());
            }
            p.at_input[i.index()] = latest;
            p.tail_at_input[i.index()] = incoming
                .iter()
                .map(|e| tail_out[e.source().index()])
                .max()
                .unwrap_or(0);
            if !pass_feedback {
                p.at_output[i.index()] = latest + own_latency[i.index()];
                tail_out[i.index()] = p.tail_at_input[i.index()] + own_tail[i.index()];
            }
        }
    }
    p
}
