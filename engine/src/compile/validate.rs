//! Compiler pass 1: every required input is connected. (Ports and parameters are checked as
//! the graph is built, so they cannot be wrong here.)

use petgraph::Direction;

use crate::error::GraphError;
use crate::graph::Graph;

/// Checks that every required input port of every node has at least one connection.
///
/// # Errors
/// [`GraphError::UnconnectedInput`] naming the first node and port found.
pub fn required_inputs(graph: &Graph) -> Result<(), GraphError> {
    for i in graph.g.node_indices() {
        let node = &graph.g[i];
        let d = node.kind.descriptor();
        for (p, port) in d.inputs.iter().enumerate() {
            if !port.required {
                continue;
            }
            let connected = graph
                .g
                .edges_directed(i, Direction::Incoming)
                .any(|e| e.weight().to_port == p);
            if !connected {
                return Err(GraphError::UnconnectedInput {
                    node: node.name.clone(),
                    kind: d.kind.to_string(),
                    port: port.name.to_string(),
                });
            }
        }
    }
    Ok(())
}
