//! Compiler pass 2: a processing order (topological sort). Edges into a `feedback` node are
//! cut first: that node's output is last block's input, so it depends on nothing. A loop
//! without a feedback node is an error naming every node in it.

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::builtin::FEEDBACK;
use crate::error::GraphError;
use crate::graph::Graph;

/// The nodes in an order where every node comes after all its sources.
///
/// # Errors
/// [`GraphError::Cycle`] with the names of the nodes of a loop, in loop order.
pub fn order(graph: &Graph) -> Result<Vec<NodeIndex>, GraphError> {
    let cut = dependency_graph(graph);
    match toposort(&cut, None) {
        Ok(order) => Ok(order),
        Err(_) => Err(GraphError::Cycle {
            nodes: find_loop(graph, &cut),
        }),
    }
}

/// The graph with the edges into feedback nodes removed (same node indices).
fn dependency_graph(graph: &Graph) -> DiGraph<(), ()> {
    let g = &graph.g;
    let mut cut: DiGraph<(), ()> = DiGraph::with_capacity(g.node_count(), g.edge_count());
    for _ in g.node_indices() {
        cut.add_node(());
    }
    for e in g.edge_references() {
        if g[e.target()].kind_name() != FEEDBACK {
            cut.add_edge(e.source(), e.target(), ());
        }
    }
    cut
}

/// The names of the nodes of one loop, in the order the signal travels round it.
fn find_loop(graph: &Graph, cut: &DiGraph<(), ()>) -> Vec<String> {
    let sccs = tarjan_scc(cut);
    let Some(scc) = sccs
        .into_iter()
        .find(|c| c.len() > 1 || cut.contains_edge(c[0], c[0]))
    else {
        return Vec::new();
    };
    let in_scc = |n: NodeIndex| scc.contains(&n);
    // Walk from the smallest index, always to the smallest unvisited successor in the
    // component; inside a strongly connected component this returns to a visited node.
    let start = *scc.iter().min().unwrap_or(&scc[0]);
    let mut path = vec![start];
    let mut current = start;
    loop {
        let mut next: Vec<NodeIndex> = cut.neighbors(current).filter(|n| in_scc(*n)).collect();
        next.sort();
        let step = next
            .iter()
            .find(|n| !path.contains(n))
            .or_else(|| next.first());
        match step {
            Some(&n) if !path.contains(&n) => {
                path.push(n);
                current = n;
            }
            Some(&n) => {
                if let Some(pos) = path.iter().position(|p| *p == n) {
                    path.drain(..pos);
                }
                break;
            }
            None => break,
        }
    }
    path.iter().map(|&i| graph.g[i].name.clone()).collect()
}
