//! Compiler pass 3: channel counts, in processing order. Each input port takes the count its
//! rule says (or the widest source for `any`); a mono source feeding a wider port is
//! duplicated; anything else that does not fit is an error with both counts.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::builtin::{FEEDBACK, INPUT};
use crate::error::GraphError;
use crate::graph::Graph;
use crate::port::Channels;

/// The channel counts of one node's ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeLayout {
    /// Channels per input port (0: unconnected optional port).
    pub inputs: Vec<usize>,
    /// Channels per output port.
    pub outputs: Vec<usize>,
}

/// Works out every port's channel count, indexed by node index.
///
/// `input_channels` overrides the channel count of named `input` nodes (from bound files).
///
/// # Errors
/// [`GraphError::ChannelMismatch`] or [`GraphError::Layout`].
pub fn resolve(
    graph: &Graph,
    order: &[NodeIndex],
    input_channels: &HashMap<String, usize>,
) -> Result<Vec<NodeLayout>, GraphError> {
    let g = &graph.g;
    let mut layouts = vec![NodeLayout::default(); g.node_count()];
    // Feedback outputs are known before their inputs (they are a loop's sources).
    for &i in order {
        if g[i].kind_name() == FEEDBACK {
            let n = &g[i];
            layouts[i.index()].outputs = n
                .kind
                .output_channels(&n.params, &[])
                .map_err(|message| layout_error(graph, i, message))?;
        }
    }
    // Everything but feedback inputs, in order; then feedback inputs, whose sources come
    // later in the order than the feedback node itself.
    for feedback_pass in [false, true] {
        for &i in order {
            let node = &g[i];
            if (node.kind_name() == FEEDBACK) != feedback_pass {
                continue;
            }
            let inputs = input_widths(graph, i, &layouts)?;
            if feedback_pass {
                layouts[i.index()].inputs = inputs;
                continue;
            }
            let outputs = match input_channels.get(&node.name) {
                Some(&n) if n > 0 && node.kind_name() == INPUT => vec![n],
                _ => node
                    .kind
                    .output_channels(&node.params, &inputs)
                    .map_err(|m| layout_error(graph, i, m))?,
            };
            let declared = node.kind.descriptor().outputs.len();
            if outputs.len() != declared || outputs.contains(&0) {
                return Err(layout_error(
                    graph,
                    i,
                    format!(
                        "declared {declared} output port(s) but resolved {outputs:?} channel counts"
                    ),
                ));
            }
            layouts[i.index()] = NodeLayout { inputs, outputs };
        }
    }
    Ok(layouts)
}

/// The channel count of each input port of node `i`, checking every source against it.
fn input_widths(
    graph: &Graph,
    i: NodeIndex,
    layouts: &[NodeLayout],
) -> Result<Vec<usize>, GraphError> {
    let g = &graph.g;
    let node = &g[i];
    let d = node.kind.descriptor();
    let mut inputs = Vec::with_capacity(d.inputs.len());
    for (p, port) in d.inputs.iter().enumerate() {
        let sources: Vec<(NodeIndex, usize)> = g
            .edges_directed(i, Direction::Incoming)
            .filter(|e| e.weight().to_port == p)
            .map(|e| {
                (
                    e.source(),
                    layouts[e.source().index()]
                        .outputs
                        .get(e.weight().from_port)
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect();
        let expected = match (node.kind_name(), port.channels) {
            (FEEDBACK, _) => layouts[i.index()].outputs.first().copied(),
            (_, Channels::Exact(n)) => Some(n),
            _ => None,
        };
        let width = expected.unwrap_or_else(|| sources.iter().map(|s| s.1).max().unwrap_or(0));
        for &(src, count) in &sources {
            if count != 1 && count != width {
                let hint = if count > width {
                    "; place a `downmix` node (or split the channels) before it".to_string()
                } else {
                    String::new()
                };
                return Err(GraphError::ChannelMismatch {
                    node: node.name.clone(),
                    port: port.name.to_string(),
                    expected: width,
                    found: count,
                    from: g[src].name.clone(),
                    hint,
                });
            }
        }
        inputs.push(if sources.is_empty() { 0 } else { width });
    }
    Ok(inputs)
}

fn layout_error(graph: &Graph, i: NodeIndex, message: String) -> GraphError {
    let n = &graph.g[i];
    GraphError::Layout {
        node: n.name.clone(),
        kind: n.kind_name().to_string(),
        message,
    }
}
