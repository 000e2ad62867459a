//! A mastering chain cut at its limiter: the part before the limiter (rendered once per
//! track), and the part from the limiter on, rebuilt for every render with a gain node in
//! front of the limiter and the limiter's ceiling set.
//!
//! ```text
//! chain:  in -> eq -> comp -> limiter -> meter -> out
//! pre:    in -> eq -> comp -> [pre output]                  (none when in feeds the limiter)
//! post:   in -> [gain] -> limiter(ceiling) -> meter -> out  (the limiter left out for gain only)
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use mixgraph_chains::ValidChain;
use mixgraph_engine::{Graph, NodeId, NodeType, ParamValue};

use super::error::MasterError;
use super::graph_copy::copy_node;
use super::limiter_model::LimiterSettings;
use super::settings::RenderSettings;

/// Kind name of the limiter mastering drives.
pub const LIMITER_KIND: &str = "limiter";
/// Limiter parameters mastering sets (and whose automation it refuses).
const LIMITER_CEILING: &str = "ceiling";
const LIMITER_INPUT_GAIN: &str = "input_gain";
/// The limiter's ceiling range, in dBTP.
pub const LIMITER_CEILING_RANGE: (f64, f64) = (-24.0, 0.0);
/// The gain node's range, in dB.
pub const GAIN_RANGE: (f64, f64) = (-120.0, 48.0);

/// A validated chain prepared for mastering.
pub struct MasterChain {
    name: String,
    graph: Graph,
    input: String,
    input_channels: f64,
    output: String,
    limiter: NodeId,
    limiter_name: String,
    limiter_settings: LimiterSettings,
    /// The limiter and every node after it.
    post: HashSet<NodeId>,
    pre: Option<Graph>,
    pre_output: String,
    gain_name: String,
    input_kind: Arc<dyn NodeType>,
    gain_kind: Arc<dyn NodeType>,
    output_kind: Arc<dyn NodeType>,
    sample_rate: Option<u32>,
}

impl MasterChain {
    /// Prepares `chain` (named `name` in messages): finds its one limiter, checks that every
    /// path from the input to the main output passes it, and builds the pre-limiter graph.
    ///
    /// # Errors
    /// The chain does not have exactly one input, one limiter, or an output fed through the
    /// limiter; a node after the limiter is fed from before it; the limiter's ceiling or
    /// input gain is automated.
    pub fn new(chain: &ValidChain, name: &str) -> Result<Self, MasterError> {
        let graph = chain.graph().clone();
        let chain_name = name.to_string();
        let [input] = chain.inputs() else {
            return Err(MasterError::InputCount {
                chain: chain_name,
                found: chain.inputs().len(),
            });
        };
        let output = chain
            .outputs()
            .first()
            .ok_or_else(|| MasterError::NoOutput {
                chain: chain_name.clone(),
            })?
            .name
            .clone();
        let limiters: Vec<(NodeId, String)> = graph
            .nodes()
            .filter(|(_, n)| n.kind_name() == LIMITER_KIND)
            .map(|(id, n)| (id, n.name.clone()))
            .collect();
        let (limiter, limiter_name) = match limiters.as_slice() {
            [] => return Err(MasterError::NoLimiter { chain: chain_name }),
            [one] => one.clone(),
            many => {
                return Err(MasterError::SeveralLimiters {
                    chain: chain_name,
                    names: many.iter().map(|(_, n)| n.clone()).collect(),
                });
            }
        };
        let node = |id: NodeId| graph.node(id).map_or("?", |n| n.name.as_str()).to_string();
        let limiter_node = graph.node(limiter).ok_or_else(|| MasterError::NoLimiter {
            chain: chain_name.clone(),
        })?;
        if let Some(lane) = limiter_node
            .automation
            .iter()
            .find(|l| l.param == LIMITER_CEILING || l.param == LIMITER_INPUT_GAIN)
        {
            return Err(MasterError::LimiterAutomated {
                chain: chain_name,
                limiter: limiter_name,
                param: lane.param.clone(),
            });
        }
        let p = &limiter_node.params;
        let limiter_settings = LimiterSettings {
            ceiling_dbtp: p.number(LIMITER_CEILING),
            release_ms: p.number("release"),
            lookahead_ms: p.number("lookahead"),
        };
        let post = reachable(&graph, limiter, Direction::Downstream);
        let output_id = graph.node_id(&output);
        if !output_id.is_some_and(|o| post.contains(&o)) {
            return Err(MasterError::OutputNotLimited {
                chain: chain_name,
                output,
                limiter: limiter_name,
            });
        }
        if let Some((from, _, to)) = graph
            .connections()
            .find(|(a, _, b)| *b != limiter && post.contains(b) && !post.contains(a))
        {
            return Err(MasterError::LimiterBypassed {
                chain: chain_name,
                node: node(to),
                from: node(from),
                limiter: limiter_name,
            });
        }
        let input_id = graph.node_id(&input.name);
        let pre_nodes = reachable(&graph, limiter, Direction::Upstream);
        if !input_id.is_some_and(|i| pre_nodes.contains(&i)) {
            return Err(MasterError::LimiterNotFed {
                chain: chain_name,
                input: input.name.clone(),
                limiter: limiter_name,
            });
        }
        let catalog = mixgraph_nodes::catalog();
        let kind = |k: &str| {
            catalog.get(k).ok_or_else(|| MasterError::NoLimiter {
                chain: chain_name.clone(),
            })
        };
        let (input_kind, gain_kind, output_kind) = (kind("input")?, kind("gain")?, kind("output")?);
        let input_channels = input_id
            .and_then(|i| graph.node(i))
            .map_or(0.0, |n| n.params.number("channels"));
        let pre_output = unique_name(&graph, "mastering pre");
        let gain_name = unique_name(&graph, "mastering gain");
        // `pre_nodes` holds the limiter and everything before it.
        let limiter_fed_by_input_only = pre_nodes.len() == 2;
        let pre = if limiter_fed_by_input_only {
            None
        } else {
            Some(pre_graph(
                &graph,
                &pre_nodes,
                limiter,
                &pre_output,
                output_kind.clone(),
            )?)
        };
        Ok(Self {
            name: chain_name,
            input: input.name.clone(),
            input_channels,
            output,
            limiter,
            limiter_name,
            limiter_settings,
            post,
            pre,
            pre_output,
            gain_name,
            input_kind,
            gain_kind,
            output_kind,
            sample_rate: chain.sample_rate(),
            graph,
        })
    }

    /// The chain's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The chain's input node (bound to the track, or to the pre-limiter audio).
    pub fn input_name(&self) -> &str {
        &self.input
    }

    /// The chain's main output node, the one delivered.
    pub fn output_name(&self) -> &str {
        &self.output
    }

    /// The limiter's node name.
    pub fn limiter_name(&self) -> &str {
        &self.limiter_name
    }

    /// The limiter's settings as the chain gives them.
    pub fn limiter_settings(&self) -> LimiterSettings {
        self.limiter_settings
    }

    /// The session rate the chain asks for, if any.
    pub fn sample_rate(&self) -> Option<u32> {
        self.sample_rate
    }

    /// The graph of everything before the limiter, ending in [`MasterChain::pre_output_name`];
    /// `None` when the input feeds the limiter directly.
    pub fn pre_graph(&self) -> Option<&Graph> {
        self.pre.as_ref()
    }

    /// The graph that turns a file of `file_channels` channels into the limiter's input:
    /// the pre-limiter graph, or, when the input feeds the limiter directly but declares
    /// another channel count than the file's (a mono file into a stereo chain), the input
    /// alone; `None` when the file itself is the limiter's input.
    ///
    /// # Errors
    /// Only if the engine refuses the pass-through graph, which it does not in practice.
    pub fn pre_graph_for(&self, file_channels: usize) -> Result<Option<Graph>, MasterError> {
        if let Some(pre) = &self.pre {
            return Ok(Some(pre.clone()));
        }
        let declared = self.input_channels.round() as usize;
        if declared == 0 || declared == file_channels {
            return Ok(None);
        }
        let mut g = Graph::new();
        let input = g.add_node(
            self.input.clone(),
            self.input_kind.clone(),
            &[(
                "channels".to_string(),
                ParamValue::Number(self.input_channels),
            )],
        )?;
        let output = g.add_node(self.pre_output.clone(), self.output_kind.clone(), &[])?;
        g.connect_ports(input, 0, output, 0)?;
        Ok(Some(g))
    }

    /// The output node of the pre-limiter graph.
    pub fn pre_output_name(&self) -> &str {
        &self.pre_output
    }

    /// The graph from the limiter on, fed by an input named like the chain's, with a gain
    /// node in front of the limiter. Without limiting, the gain feeds the nodes after the
    /// limiter directly.
    ///
    /// # Errors
    /// A gain or ceiling out of the nodes' ranges.
    pub fn post_graph(&self, settings: &RenderSettings) -> Result<Graph, MasterError> {
        let mut g = Graph::new();
        // Fed by the track itself or by the pre-limiter audio, which already has the
        // chain's channel count (see `pre_graph_for`).
        let input = g.add_node(self.input.clone(), self.input_kind.clone(), &[])?;
        let gain = g.add_node(
            self.gain_name.clone(),
            self.gain_kind.clone(),
            &[("gain".to_string(), ParamValue::Number(settings.gain_db))],
        )?;
        g.connect_ports(input, 0, gain, 0)?;
        let mut copies = HashMap::new();
        for (id, node) in self.graph.nodes().filter(|(id, _)| self.post.contains(id)) {
            if id == self.limiter {
                if !settings.limiting {
                    continue;
                }
                let overrides = [
                    (LIMITER_CEILING, settings.ceiling_dbtp),
                    (LIMITER_INPUT_GAIN, 0.0),
                ];
                let copy = copy_node(&mut g, node, &overrides)?;
                g.connect_ports(gain, 0, copy, 0)?;
                copies.insert(id, copy);
            } else {
                copies.insert(id, copy_node(&mut g, node, &[])?);
            }
        }
        for (from, connection, to) in self.graph.connections() {
            let (Some(&to), true) = (copies.get(&to), self.post.contains(&from)) else {
                continue;
            };
            match copies.get(&from) {
                Some(&from) => {
                    g.connect_ports(from, connection.from_port, to, connection.to_port)?
                }
                // The limiter left out: the gain feeds its successors.
                None => g.connect_ports(gain, 0, to, connection.to_port)?,
            }
        }
        Ok(g)
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Upstream,
    Downstream,
}

/// `start` and every node reachable from it in `direction`.
fn reachable(graph: &Graph, start: NodeId, direction: Direction) -> HashSet<NodeId> {
    let mut edges: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    for (from, _, to) in graph.connections() {
        let (a, b) = match direction {
            Direction::Downstream => (from, to),
            Direction::Upstream => (to, from),
        };
        edges.entry(a).or_default().push(b);
    }
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for &next in edges.get(&n).into_iter().flatten() {
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// The nodes before the limiter (`pre_nodes` holds them and the limiter), with what fed the
/// limiter feeding an output named `output`.
fn pre_graph(
    graph: &Graph,
    pre_nodes: &HashSet<NodeId>,
    limiter: NodeId,
    output: &str,
    output_kind: Arc<dyn NodeType>,
) -> Result<Graph, MasterError> {
    let mut g = Graph::new();
    let mut copies = HashMap::new();
    for (id, node) in graph
        .nodes()
        .filter(|(id, _)| *id != limiter && pre_nodes.contains(id))
    {
        copies.insert(id, copy_node(&mut g, node, &[])?);
    }
    let out = g.add_node(output, output_kind, &[])?;
    for (from, connection, to) in graph.connections() {
        let Some(&from) = copies.get(&from) else {
            continue;
        };
        if to == limiter {
            g.connect_ports(from, connection.from_port, out, 0)?;
        } else if let Some(&to) = copies.get(&to) {
            g.connect_ports(from, connection.from_port, to, connection.to_port)?;
        }
    }
    Ok(g)
}

/// `base`, or `base 2`, `base 3`... whichever no node of `graph` is named.
fn unique_name(graph: &Graph, base: &str) -> String {
    (1..)
        .map(|i| {
            if i == 1 {
                base.to_string()
            } else {
                format!("{base} {i}")
            }
        })
        .find(|name| graph.node_id(name).is_none())
        .unwrap_or_else(|| base.to_string())
}
