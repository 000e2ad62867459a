//! Flattening: the top chain and all its subchains become one engine [`Graph`].
//!
//! A subchain's nodes are named `outer/inner` (nested: `a/b/c`). Its inputs and outputs are
//! dissolved: each becomes a junction, and every source reaching a junction is connected
//! straight to every port the junction leads to (the engine sums fan-in). The top chain's
//! inputs and outputs become the engine's `input` and `output` nodes.

use std::path::PathBuf;
use std::sync::Arc;

use mixgraph_engine::builtin::{InputNode, OutputNode};
use mixgraph_engine::{AutomationLane, Graph, NodeType, ParamValue};

use crate::error::ChainError;
use crate::limits::{MAX_CONNECTIONS, MAX_NODES};
use crate::validate::explain::Explainer;
use crate::validate::site::Site;
use crate::validate::unit::{Role, Unit};

/// The flattened chain.
pub(crate) struct Flattened {
    /// The graph, every parameter and connection checked by the engine.
    pub(crate) graph: Graph,
    /// Where each node of the graph is written, by graph name.
    pub(crate) explainer: Explainer,
}

/// Flattens a resolved top chain into a graph.
pub(crate) fn flatten(top: &Unit) -> Result<Flattened, ChainError> {
    let mut f = Flattener {
        nodes: Vec::new(),
        starts: Vec::new(),
        junctions: Vec::new(),
        count: 0,
        input_type: Arc::new(InputNode),
        output_type: Arc::new(OutputNode),
    };
    f.expand(top, "", true)?;
    let edges = f.edges(top)?;
    let explainer = Explainer::new(
        f.nodes
            .iter()
            .map(|n| (n.name.clone(), n.site.clone()))
            .collect(),
        top.origin.whole(),
    );
    let mut graph = Graph::new();
    let mut ids = Vec::with_capacity(f.nodes.len());
    for n in f.nodes {
        let id = graph
            .add_node(n.name, n.kind, &n.params)
            .map_err(|e| explainer.explain(e))?;
        graph.set_base_dir(id, n.base_dir);
        for lane in n.automation {
            graph
                .add_automation(id, lane)
                .map_err(|e| explainer.explain(e))?;
        }
        ids.push(id);
    }
    for (from, from_port, to, to_port) in edges {
        if let (Some(&a), Some(&b)) = (ids.get(from), ids.get(to)) {
            graph
                .connect_ports(a, from_port, b, to_port)
                .map_err(|e| explainer.explain(e))?;
        }
    }
    Ok(Flattened { graph, explainer })
}

/// A node of the flat graph.
struct FlatNode {
    name: String,
    kind: Arc<dyn NodeType>,
    params: Vec<(String, ParamValue)>,
    automation: Vec<AutomationLane>,
    base_dir: Option<PathBuf>,
    site: Site,
}

/// Where a connection ends: a port of a flat node, or a junction.
#[derive(Debug, Clone, Copy)]
enum End {
    Port(usize, usize),
    Junction(usize),
}

/// A dissolved subchain input or output.
struct Junction {
    /// `sub/name`, for messages.
    label: String,
    /// Where it leads.
    to: Vec<End>,
}

/// What a node of a unit became.
enum Mapped {
    Node(usize),
    Junction(usize),
    Sub {
        inputs: Vec<usize>,
        outputs: Vec<usize>,
    },
}

struct Flattener {
    nodes: Vec<FlatNode>,
    /// Connections leaving a flat node's output port.
    starts: Vec<(usize, usize, End)>,
    junctions: Vec<Junction>,
    /// Nodes expanded so far, every level counted.
    count: usize,
    input_type: Arc<dyn NodeType>,
    output_type: Arc<dyn NodeType>,
}

impl Flattener {
    fn push(
        &mut self,
        name: String,
        kind: &Arc<dyn NodeType>,
        params: Vec<(String, ParamValue)>,
        automation: Vec<AutomationLane>,
        site: &Site,
    ) -> Mapped {
        let base_dir = site.origin().dir().map(PathBuf::from);
        self.nodes.push(FlatNode {
            name,
            kind: Arc::clone(kind),
            params,
            automation,
            base_dir,
            site: site.clone(),
        });
        Mapped::Node(self.nodes.len() - 1)
    }

    fn junction(&mut self, label: String) -> Mapped {
        self.junctions.push(Junction {
            label,
            to: Vec::new(),
        });
        Mapped::Junction(self.junctions.len() - 1)
    }

    /// Expands a unit under a name prefix; returns the junctions of its inputs and outputs
    /// (empty for the top unit, whose inputs and outputs are real nodes).
    fn expand(
        &mut self,
        unit: &Unit,
        prefix: &str,
        top: bool,
    ) -> Result<(Vec<usize>, Vec<usize>), ChainError> {
        let mut mapped = Vec::with_capacity(unit.nodes.len());
        for node in &unit.nodes {
            self.count += 1;
            if self.count > MAX_NODES {
                return Err(ChainError::TooManyNodes {
                    at: node.site.location(),
                    limit: MAX_NODES,
                });
            }
            let name = format!("{prefix}{}", node.name);
            let m = match &node.role {
                Role::Input { channels } if top => {
                    let params = channels
                        .map(|c| ("channels".to_string(), ParamValue::Number(f64::from(c))))
                        .into_iter()
                        .collect();
                    let kind = Arc::clone(&self.input_type);
                    self.push(name, &kind, params, Vec::new(), &node.site)
                }
                Role::Output if top => {
                    let kind = Arc::clone(&self.output_type);
                    self.push(name, &kind, Vec::new(), Vec::new(), &node.site)
                }
                Role::Input { .. } | Role::Output => self.junction(name),
                Role::Node {
                    kind,
                    params,
                    automation,
                } => self.push(name, kind, params.clone(), automation.clone(), &node.site),
                Role::Sub { unit: sub, .. } => {
                    let (inputs, outputs) = self.expand(sub, &format!("{name}/"), false)?;
                    Mapped::Sub { inputs, outputs }
                }
            };
            mapped.push(m);
        }
        for e in &unit.edges {
            let from = match mapped.get(e.from) {
                Some(Mapped::Node(n)) => End::Port(*n, e.from_port),
                Some(Mapped::Junction(j)) => End::Junction(*j),
                Some(Mapped::Sub { outputs, .. }) => match outputs.get(e.from_port) {
                    Some(&j) => End::Junction(j),
                    None => continue,
                },
                None => continue,
            };
            let to = match mapped.get(e.to) {
                Some(Mapped::Node(n)) => End::Port(*n, e.to_port),
                Some(Mapped::Junction(j)) => End::Junction(*j),
                Some(Mapped::Sub { inputs, .. }) => match inputs.get(e.to_port) {
                    Some(&j) => End::Junction(j),
                    None => continue,
                },
                None => continue,
            };
            match from {
                End::Port(n, p) => self.starts.push((n, p, to)),
                End::Junction(j) => {
                    if let Some(junction) = self.junctions.get_mut(j) {
                        junction.to.push(to);
                    }
                }
            }
        }
        let junctions_of = |list: &[usize]| -> Vec<usize> {
            list.iter()
                .filter_map(|&i| match mapped.get(i) {
                    Some(Mapped::Junction(j)) => Some(*j),
                    _ => None,
                })
                .collect()
        };
        Ok((junctions_of(&unit.inputs), junctions_of(&unit.outputs)))
    }

    /// Every connection between flat nodes, junctions dissolved.
    fn edges(&self, top: &Unit) -> Result<Vec<(usize, usize, usize, usize)>, ChainError> {
        let too_many = || ChainError::TooManyConnections {
            at: top.origin.whole(),
            limit: MAX_CONNECTIONS,
        };
        let targets = self.junction_targets(top)?;
        let mut edges = Vec::new();
        for &(n, p, end) in &self.starts {
            match end {
                End::Port(m, q) => edges.push((n, p, m, q)),
                End::Junction(j) => {
                    for &(m, q) in targets.get(j).map_or(&[][..], Vec::as_slice) {
                        edges.push((n, p, m, q));
                    }
                }
            }
            if edges.len() > MAX_CONNECTIONS {
                return Err(too_many());
            }
        }
        Ok(edges)
    }

    /// For each junction, the flat ports it leads to through any chain of junctions.
    /// Walks without recursion (a long series of pass-through subchains makes long chains);
    /// a loop made only of junctions is a cycle error.
    fn junction_targets(&self, top: &Unit) -> Result<Vec<Vec<(usize, usize)>>, ChainError> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Open,
            Done,
        }
        let n = self.junctions.len();
        let mut state = vec![State::New; n];
        let mut targets: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut total = 0usize;
        for root in 0..n {
            if state[root] != State::New {
                continue;
            }
            state[root] = State::Open;
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some(&(j, next)) = stack.last() {
                let to = &self.junctions[j].to;
                if let Some(end) = to.get(next) {
                    if let Some(top_of_stack) = stack.last_mut() {
                        top_of_stack.1 += 1;
                    }
                    if let End::Junction(k) = *end {
                        match state[k] {
                            State::New => {
                                state[k] = State::Open;
                                stack.push((k, 0));
                            }
                            State::Open => {
                                let start = stack.iter().position(|&(s, _)| s == k).unwrap_or(0);
                                let mut nodes: Vec<String> = stack[start..]
                                    .iter()
                                    .map(|&(s, _)| self.junctions[s].label.clone())
                                    .collect();
                                nodes.push(self.junctions[k].label.clone());
                                return Err(ChainError::Cycle {
                                    at: top.origin.whole(),
                                    nodes,
                                });
                            }
                            State::Done => {}
                        }
                    }
                    continue;
                }
                let mut mine = Vec::new();
                for end in to {
                    match *end {
                        End::Port(m, q) => mine.push((m, q)),
                        End::Junction(k) => mine.extend_from_slice(&targets[k]),
                    }
                }
                total += mine.len();
                if total > MAX_CONNECTIONS {
                    return Err(ChainError::TooManyConnections {
                        at: top.origin.whole(),
                        limit: MAX_CONNECTIONS,
                    });
                }
                targets[j] = mine;
                state[j] = State::Done;
                stack.pop();
            }
        }
        Ok(targets)
    }
}
