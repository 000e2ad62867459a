//! The graph: named node instances with checked parameters, and connections between ports.
//! Built by the chains crate (or by hand in tests), compiled by [`crate::compile()`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::automation::AutomationLane;
use crate::error::GraphError;
use crate::node::NodeType;
use crate::param::{ParamValue, Params};

/// A node's handle in a [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) NodeIndex);

impl NodeId {
    /// The position of the node in insertion order.
    pub fn index(self) -> usize {
        self.0.index()
    }
}

/// One node of a graph.
#[derive(Clone)]
pub struct NodeInstance {
    /// Unique name (subchain nodes are prefixed with the subchain's name and `/`).
    pub name: String,
    /// Its type.
    pub kind: Arc<dyn NodeType>,
    /// Checked parameter values.
    pub params: Params,
    /// Automation lanes.
    pub automation: Vec<AutomationLane>,
    /// Folder that relative path parameters are resolved against.
    pub base_dir: Option<PathBuf>,
}

impl NodeInstance {
    /// The kind name.
    pub fn kind_name(&self) -> &'static str {
        self.kind.descriptor().kind
    }
}

/// A connection from an output port to an input port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// Output port index on the source node.
    pub from_port: usize,
    /// Input port index on the destination node.
    pub to_port: usize,
}

/// A processing graph.
#[derive(Clone, Default)]
pub struct Graph {
    pub(crate) g: DiGraph<NodeInstance, Connection>,
    names: HashMap<String, NodeId>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Graph::default()
    }

    /// Adds a node, checking its parameters against its descriptor.
    ///
    /// # Errors
    /// A duplicate name, or a parameter that is unknown, of the wrong type or out of range.
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        kind: Arc<dyn NodeType>,
        params: &[(String, ParamValue)],
    ) -> Result<NodeId, GraphError> {
        let name = name.into();
        if self.names.contains_key(&name) {
            return Err(GraphError::DuplicateNode { name });
        }
        let params = Params::resolve(kind.descriptor().params, params).map_err(|source| {
            GraphError::Param {
                node: name.clone(),
                source,
            }
        })?;
        let id = NodeId(self.g.add_node(NodeInstance {
            name: name.clone(),
            kind,
            params,
            automation: Vec::new(),
            base_dir: None,
        }));
        self.names.insert(name, id);
        Ok(id)
    }

    /// Sets the folder relative paths of a node's parameters are resolved against.
    pub fn set_base_dir(&mut self, id: NodeId, dir: Option<PathBuf>) {
        if let Some(n) = self.g.node_weight_mut(id.0) {
            n.base_dir = dir;
        }
    }

    /// Adds an automation lane to a node.
    ///
    /// # Errors
    /// The parameter does not exist or cannot be automated, or a breakpoint is out of range.
    pub fn add_automation(&mut self, id: NodeId, lane: AutomationLane) -> Result<(), GraphError> {
        let node = self
            .g
            .node_weight_mut(id.0)
            .ok_or_else(|| GraphError::UnknownNode {
                name: format!("#{}", id.index()),
            })?;
        lane.check(&node.name, node.kind.descriptor())?;
        node.automation.push(lane);
        Ok(())
    }

    /// The node of a name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.names.get(name).copied()
    }

    /// A node by handle.
    pub fn node(&self, id: NodeId) -> Option<&NodeInstance> {
        self.g.node_weight(id.0)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// Every node with its handle, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInstance)> + '_ {
        self.g.node_indices().map(move |i| (NodeId(i), &self.g[i]))
    }

    /// Every connection as (source, connection, destination).
    pub fn connections(&self) -> impl Iterator<Item = (NodeId, Connection, NodeId)> + '_ {
        self.g
            .edge_references()
            .map(|e| (NodeId(e.source()), *e.weight(), NodeId(e.target())))
    }

    /// Connects `from`'s output port to `to`'s input port, by port name.
    ///
    /// # Errors
    /// A port that does not exist on the node.
    pub fn connect(
        &mut self,
        from: NodeId,
        from_port: &str,
        to: NodeId,
        to_port: &str,
    ) -> Result<(), GraphError> {
        let out = self.port_index(from, from_port, false)?;
        let inp = self.port_index(to, to_port, true)?;
        self.connect_ports(from, out, to, inp)
    }

    /// Connects by port index.
    ///
    /// # Errors
    /// A port index that does not exist on the node.
    pub fn connect_ports(
        &mut self,
        from: NodeId,
        from_port: usize,
        to: NodeId,
        to_port: usize,
    ) -> Result<(), GraphError> {
        for (id, port, is_input) in [(from, from_port, false), (to, to_port, true)] {
            let node = self.node(id).ok_or_else(|| GraphError::UnknownNode {
                name: format!("#{}", id.index()),
            })?;
            let d = node.kind.descriptor();
            let ports = if is_input { d.inputs } else { d.outputs };
            if port >= ports.len() {
                return Err(self.unknown_port(id, &format!("#{port}"), is_input));
            }
        }
        self.g
            .add_edge(from.0, to.0, Connection { from_port, to_port });
        Ok(())
    }

    fn port_index(&self, id: NodeId, port: &str, is_input: bool) -> Result<usize, GraphError> {
        let node = self.node(id).ok_or_else(|| GraphError::UnknownNode {
            name: format!("#{}", id.index()),
        })?;
        let d = node.kind.descriptor();
        let found = if is_input {
            d.input_index(port)
        } else {
            d.output_index(port)
        };
        found.ok_or_else(|| self.unknown_port(id, port, is_input))
    }

    fn unknown_port(&self, id: NodeId, port: &str, is_input: bool) -> GraphError {
        let node = &self.g[id.0];
        let d = node.kind.descriptor();
        let ports = if is_input { d.inputs } else { d.outputs };
        GraphError::UnknownPort {
            node: node.name.clone(),
            kind: d.kind.to_string(),
            direction: if is_input { "input" } else { "output" },
            port: port.to_string(),
            available: ports.iter().map(|p| p.name.to_string()).collect(),
        }
    }

    /// The graph in Graphviz DOT: one box per node with its kind, edges labelled with ports.
    pub fn to_dot(&self) -> String {
        let mut s = String::from(
            "digraph mixgraph {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        for (id, n) in self.nodes() {
            let shape = match n.kind_name() {
                "input" => ", shape=invhouse",
                "output" => ", shape=house",
                _ => "",
            };
            let _ = writeln!(
                s,
                "  n{} [label=\"{}\\n({})\"{}];",
                id.index(),
                escape(&n.name),
                n.kind_name(),
                shape
            );
        }
        for (a, c, b) in self.connections() {
            let da = self.g[a.0].kind.descriptor();
            let db = self.g[b.0].kind.descriptor();
            let from = da.outputs.get(c.from_port).map_or("?", |p| p.name);
            let to = db.inputs.get(c.to_port).map_or("?", |p| p.name);
            let label = if c.from_port == 0 && c.to_port == 0 {
                String::new()
            } else {
                format!(" [label=\"{from} -> {to}\"]")
            };
            let _ = writeln!(s, "  n{} -> n{}{};", a.index(), b.index(), label);
        }
        s.push_str("}\n");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
