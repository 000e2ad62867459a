//! One chain file checked on its own and resolved into a [`Unit`]: every name known, every
//! node's type found and parameters checked, every subchain resolved, every connection
//! turned into port indices, required inputs connected and nothing left feeding nothing.
//!
//! A unit is the same whether the file is the top chain or a subchain; flattening decides
//! what its inputs and outputs become.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use mixgraph_engine::builtin::InputNode;
use mixgraph_engine::{AutomationLane, Category, NodeType, ParamValue};

use crate::error::{ChainError, Location};
use crate::limits::{MAX_NODES, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
use crate::locate::Step;
use crate::origin::Origin;
use crate::spec::{ChainSpec, Endpoint, NodeSpec};
use crate::validate::include::Resolver;
use crate::validate::names;
use crate::validate::params;
use crate::validate::site::Site;
use crate::validate::suggest;

/// A chain file, checked and resolved.
pub(crate) struct Unit {
    /// Where it came from.
    pub(crate) origin: Arc<Origin>,
    /// Its inputs, outputs, nodes and subchains.
    pub(crate) nodes: Vec<LocalNode>,
    /// Its connections, by index into `nodes` and port index.
    pub(crate) edges: Vec<Edge>,
    /// The input nodes, in declaration order (port order when used as a subchain).
    pub(crate) inputs: Vec<usize>,
    /// The output nodes, in declaration order.
    pub(crate) outputs: Vec<usize>,
    /// For each input: whether a user of this chain as a subchain must connect it (it
    /// feeds a required port or an output).
    pub(crate) input_required: Vec<bool>,
}

/// A node of a unit.
pub(crate) struct LocalNode {
    /// Its name in the file.
    pub(crate) name: String,
    /// What it is.
    pub(crate) role: Role,
    /// Where it is written.
    pub(crate) site: Site,
}

/// What a node of a unit is.
pub(crate) enum Role {
    /// A chain input.
    Input {
        /// Declared channel count.
        channels: Option<u32>,
    },
    /// A chain output.
    Output,
    /// A node type from the catalog, with checked parameters.
    Node {
        /// The type.
        kind: Arc<dyn NodeType>,
        /// Parameters as written.
        params: Vec<(String, ParamValue)>,
        /// Automation lanes.
        automation: Vec<AutomationLane>,
    },
    /// Another chain.
    Sub {
        /// The reference as written.
        reference: String,
        /// The resolved chain.
        unit: Arc<Unit>,
    },
}

/// A connection inside a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) from_port: usize,
    pub(crate) to: usize,
    pub(crate) to_port: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    In,
    Out,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::In => "input",
            Direction::Out => "output",
        }
    }
}

impl LocalNode {
    /// The port names in a direction.
    fn ports(&self, dir: Direction) -> Vec<String> {
        match (&self.role, dir) {
            (Role::Input { .. }, Direction::Out) | (Role::Output, Direction::In) => {
                vec![if dir == Direction::Out { "out" } else { "in" }.to_string()]
            }
            (Role::Input { .. }, Direction::In) | (Role::Output, Direction::Out) => Vec::new(),
            (Role::Node { kind, .. }, _) => {
                let d = kind.descriptor();
                let ports = if dir == Direction::In {
                    d.inputs
                } else {
                    d.outputs
                };
                ports.iter().map(|p| p.name.to_string()).collect()
            }
            (Role::Sub { unit, .. }, _) => {
                let list = if dir == Direction::In {
                    &unit.inputs
                } else {
                    &unit.outputs
                };
                list.iter()
                    .filter_map(|&i| unit.nodes.get(i))
                    .map(|n| n.name.clone())
                    .collect()
            }
        }
    }

    /// Which input ports must be connected.
    fn required_inputs(&self) -> Vec<bool> {
        match &self.role {
            Role::Input { .. } => Vec::new(),
            Role::Output => vec![true],
            Role::Node { kind, .. } => kind
                .descriptor()
                .inputs
                .iter()
                .map(|p| p.required)
                .collect(),
            Role::Sub { unit, .. } => unit.input_required.clone(),
        }
    }

    /// The kind as shown in messages.
    pub(crate) fn kind_label(&self) -> String {
        match &self.role {
            Role::Input { .. } => "input".to_string(),
            Role::Output => "output".to_string(),
            Role::Node { kind, .. } => kind.descriptor().kind.to_string(),
            Role::Sub { reference, .. } => format!("subchain {reference}"),
        }
    }

    /// Whether the node may have no outgoing connection: outputs, meters (they report
    /// readings), and nodes without output ports.
    fn may_feed_nothing(&self) -> bool {
        match &self.role {
            Role::Output => true,
            Role::Input { .. } => false,
            Role::Node { kind, .. } => {
                let d = kind.descriptor();
                d.category == Category::Meter || d.outputs.is_empty()
            }
            Role::Sub { unit, .. } => unit.outputs.is_empty(),
        }
    }
}

/// Checks and resolves one chain.
pub(crate) fn build(
    spec: &ChainSpec,
    origin: Arc<Origin>,
    resolver: &mut Resolver<'_>,
) -> Result<Unit, ChainError> {
    let count = spec.inputs.len() + spec.outputs.len() + spec.nodes.len() + spec.series.len();
    if count > MAX_NODES {
        return Err(ChainError::TooManyNodes {
            at: origin.whole(),
            limit: MAX_NODES,
        });
    }
    let mut b = Builder {
        spec,
        origin,
        nodes: Vec::with_capacity(count),
        names: HashMap::with_capacity(count),
        edges: Vec::new(),
        edge_set: HashSet::new(),
        series: Vec::new(),
    };
    check_sample_rate(spec.sample_rate, || {
        b.origin.locate(&[Step::Field("sample_rate")])
    })?;
    let declared = b.declarations()?;
    check_names(&declared)?;
    b.resolve_roles(declared, resolver)?;
    b.connect_paths()?;
    b.connect_series()?;
    b.connect_outputs()?;
    b.check_required()?;
    b.check_feeds()?;
    Ok(b.finish())
}

struct Builder<'s> {
    spec: &'s ChainSpec,
    origin: Arc<Origin>,
    nodes: Vec<LocalNode>,
    names: HashMap<String, usize>,
    edges: Vec<Edge>,
    edge_set: HashSet<Edge>,
    /// Indices of the series steps, in order.
    series: Vec<usize>,
}

/// A declared name before its role is known.
struct Declared<'s> {
    name: String,
    site: Site,
    /// Whether the name was written (generated series names are not checked as names).
    written: bool,
    /// Whether it is a `series` step.
    in_series: bool,
    what: What<'s>,
}

/// What a declared name stands for, as written.
enum What<'s> {
    /// An input, with its channel count.
    Input(Option<u32>),
    /// An output, with its sample rate.
    Output(Option<u32>),
    /// A node of `nodes` or `series`.
    Node(&'s NodeSpec),
}

impl<'s> Builder<'s> {
    fn site(&self, steps: Vec<Step>) -> Site {
        Site::new(&self.origin, steps)
    }

    /// Every name, in file order: inputs, nodes, series, outputs (checked by [`check_names`]).
    fn declarations(&self) -> Result<Vec<Declared<'s>>, ChainError> {
        let spec = self.spec;
        let mut out = Vec::new();
        for (i, input) in spec.inputs.iter().enumerate() {
            let site = self.site(vec![Step::Field("inputs"), Step::Index(i)]);
            out.push(Declared {
                name: input.name.clone(),
                site,
                written: true,
                in_series: false,
                what: What::Input(input.channels),
            });
        }
        for (i, node) in spec.nodes.iter().enumerate() {
            let site = self.site(vec![Step::Field("nodes"), Step::Index(i)]);
            let Some(name) = &node.name else {
                return Err(ChainError::MissingName {
                    at: site.location(),
                });
            };
            out.push(Declared {
                name: name.clone(),
                site,
                written: true,
                in_series: false,
                what: What::Node(node),
            });
        }
        for (i, (node, name)) in spec
            .series
            .iter()
            .zip(names::series_names(&spec.series))
            .enumerate()
        {
            let site = self.site(vec![Step::Field("series"), Step::Index(i)]);
            out.push(Declared {
                name,
                site,
                written: node.name.is_some(),
                in_series: true,
                what: What::Node(node),
            });
        }
        for (i, output) in spec.outputs.iter().enumerate() {
            let site = self.site(vec![Step::Field("outputs"), Step::Index(i)]);
            out.push(Declared {
                name: output.name.clone(),
                site,
                written: true,
                in_series: false,
                what: What::Output(output.sample_rate),
            });
        }
        Ok(out)
    }

    /// Gives every declared name its role: checks inputs and outputs, finds node types and
    /// checks their parameters, resolves subchains.
    fn resolve_roles(
        &mut self,
        declared: Vec<Declared<'s>>,
        resolver: &mut Resolver<'_>,
    ) -> Result<(), ChainError> {
        for d in declared {
            let role = match d.what {
                What::Input(channels) => {
                    check_channels(&d.name, channels, &d.site)?;
                    Role::Input { channels }
                }
                What::Output(rate) => {
                    check_sample_rate(rate, || d.site.at(&[Step::Field("sample_rate")]))?;
                    Role::Output
                }
                What::Node(node) => node_role(&d.name, node, &d.site, resolver)?,
            };
            let index = self.nodes.len();
            if d.in_series {
                self.series.push(index);
            }
            self.names.insert(d.name.clone(), index);
            self.nodes.push(LocalNode {
                name: d.name,
                role,
                site: d.site,
            });
        }
        Ok(())
    }

    /// The node of a name, or an error suggesting the closest name.
    fn lookup(&self, name: &str, at: &dyn Fn() -> Location) -> Result<usize, ChainError> {
        self.names
            .get(name)
            .copied()
            .ok_or_else(|| ChainError::UnknownNode {
                at: at(),
                name: name.to_string(),
                suggestion: suggest::closest(name, self.nodes.iter().map(|n| n.name.as_str())),
            })
    }

    /// The port index of an endpoint in a direction (the first port when none is named).
    fn endpoint(
        &self,
        e: &Endpoint,
        dir: Direction,
        at: &dyn Fn() -> Location,
    ) -> Result<(usize, usize), ChainError> {
        let index = self.lookup(&e.node, at)?;
        let node = &self.nodes[index];
        match (&node.role, dir) {
            (Role::Input { .. }, Direction::In) => {
                return Err(ChainError::IntoInput {
                    at: at(),
                    name: node.name.clone(),
                });
            }
            (Role::Output, Direction::Out) => {
                return Err(ChainError::OutOfOutput {
                    at: at(),
                    name: node.name.clone(),
                });
            }
            _ => {}
        }
        let ports = node.ports(dir);
        let port = match &e.port {
            None if !ports.is_empty() => Some(0),
            None => None,
            Some(p) => ports.iter().position(|q| q == p),
        };
        port.map(|p| (index, p))
            .ok_or_else(|| ChainError::UnknownPort {
                at: at(),
                node: node.name.clone(),
                kind: node.kind_label(),
                direction: dir.word(),
                port: e.port.clone().unwrap_or_else(|| "(main)".to_string()),
                available: ports,
            })
    }

    /// Adds a connection, refusing the same one twice.
    fn connect(
        &mut self,
        (from, from_port): (usize, usize),
        (to, to_port): (usize, usize),
        at: &dyn Fn() -> Location,
    ) -> Result<(), ChainError> {
        let edge = Edge {
            from,
            from_port,
            to,
            to_port,
        };
        if !self.edge_set.insert(edge) {
            let port_name = |i: usize, p: usize, dir: Direction| {
                let n = &self.nodes[i];
                format!(
                    "{}.{}",
                    n.name,
                    n.ports(dir).get(p).map_or("?", String::as_str)
                )
            };
            return Err(ChainError::DuplicateConnection {
                at: at(),
                from: port_name(from, from_port, Direction::Out),
                to: port_name(to, to_port, Direction::In),
            });
        }
        self.edges.push(edge);
        Ok(())
    }

    /// The paths of `connections`.
    fn connect_paths(&mut self) -> Result<(), ChainError> {
        let spec = self.spec;
        for (pi, path) in spec.connections.iter().enumerate() {
            let path_at = || {
                self.origin
                    .locate(&[Step::Field("connections"), Step::Index(pi)])
            };
            if path.len() < 2 {
                return Err(ChainError::DanglingConnection {
                    at: path_at(),
                    path: path.iter().map(ToString::to_string).collect(),
                });
            }
            let origin = Arc::clone(&self.origin);
            let at = |ei: usize| {
                let origin = Arc::clone(&origin);
                move || {
                    origin.locate(&[Step::Field("connections"), Step::Index(pi), Step::Index(ei)])
                }
            };
            let last = path.len() - 1;
            for (ei, e) in path.iter().enumerate() {
                if ei > 0 && ei < last && e.port.is_some() {
                    return Err(ChainError::PortInMiddle {
                        at: at(ei)(),
                        endpoint: e.to_string(),
                    });
                }
            }
            for (ei, pair) in path.windows(2).enumerate() {
                let from = self.endpoint(&pair[0], Direction::Out, &at(ei))?;
                let to = self.endpoint(&pair[1], Direction::In, &at(ei + 1))?;
                self.connect(from, to, &at(ei + 1))?;
            }
        }
        Ok(())
    }

    /// The implicit path of `series`: first input, then each step.
    fn connect_series(&mut self) -> Result<(), ChainError> {
        let first_input = self
            .spec
            .inputs
            .first()
            .and_then(|i| self.names.get(&i.name).copied());
        let path: Vec<usize> = first_input
            .into_iter()
            .chain(self.series.iter().copied())
            .collect();
        for pair in path.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let site = self.nodes[b].site.clone();
            let at = move || site.location();
            let from = self.endpoint(
                &Endpoint::new(self.nodes[a].name.clone()),
                Direction::Out,
                &at,
            )?;
            let to = self.endpoint(
                &Endpoint::new(self.nodes[b].name.clone()),
                Direction::In,
                &at,
            )?;
            self.connect(from, to, &at)?;
        }
        Ok(())
    }

    /// Each output's `from`, or the last series step for an output nothing else feeds.
    fn connect_outputs(&mut self) -> Result<(), ChainError> {
        let spec = self.spec;
        let fed: HashSet<usize> = self.edges.iter().map(|e| e.to).collect();
        for (oi, output) in spec.outputs.iter().enumerate() {
            let Some(&index) = self.names.get(&output.name) else {
                continue;
            };
            let origin = Arc::clone(&self.origin);
            let at = move || {
                origin.locate(&[Step::Field("outputs"), Step::Index(oi), Step::Field("from")])
            };
            let source = match &output.from {
                Some(from) => self.endpoint(from, Direction::Out, &at)?,
                None if fed.contains(&index) => continue,
                None => match self.series.last() {
                    Some(&last) => self.endpoint(
                        &Endpoint::new(self.nodes[last].name.clone()),
                        Direction::Out,
                        &at,
                    )?,
                    None => {
                        return Err(ChainError::UnconnectedOutput {
                            at: self.nodes[index].site.location(),
                            output: output.name.clone(),
                        });
                    }
                },
            };
            self.connect(source, (index, 0), &at)?;
        }
        Ok(())
    }

    /// Every required input port of every node (and every output) has a connection.
    fn check_required(&self) -> Result<(), ChainError> {
        let connected: HashSet<(usize, usize)> =
            self.edges.iter().map(|e| (e.to, e.to_port)).collect();
        for (i, node) in self.nodes.iter().enumerate() {
            for (p, required) in node.required_inputs().into_iter().enumerate() {
                if !required || connected.contains(&(i, p)) {
                    continue;
                }
                if let Role::Output = node.role {
                    return Err(ChainError::UnconnectedOutput {
                        at: node.site.location(),
                        output: node.name.clone(),
                    });
                }
                return Err(ChainError::UnconnectedInput {
                    at: node.site.at(&[Step::Field("name")]),
                    node: node.name.clone(),
                    kind: node.kind_label(),
                    port: node
                        .ports(Direction::In)
                        .get(p)
                        .cloned()
                        .unwrap_or_default(),
                });
            }
        }
        Ok(())
    }

    /// Every input and node feeds something (meters and outputs excepted).
    fn check_feeds(&self) -> Result<(), ChainError> {
        let mut feeds = vec![false; self.nodes.len()];
        for e in &self.edges {
            feeds[e.from] = true;
        }
        for (node, feeds) in self.nodes.iter().zip(feeds) {
            if !feeds && !node.may_feed_nothing() {
                let what = if matches!(node.role, Role::Input { .. }) {
                    "input"
                } else {
                    "node"
                };
                return Err(ChainError::FeedsNothing {
                    at: node.site.at(&[Step::Field("name")]),
                    what,
                    name: node.name.clone(),
                });
            }
        }
        Ok(())
    }

    fn finish(self) -> Unit {
        let find = |want: fn(&Role) -> bool| -> Vec<usize> {
            self.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| want(&n.role))
                .map(|(i, _)| i)
                .collect()
        };
        let inputs = find(|r| matches!(r, Role::Input { .. }));
        let outputs = find(|r| matches!(r, Role::Output));
        let mut feeds_required = vec![false; self.nodes.len()];
        for e in &self.edges {
            if self.nodes[e.to]
                .required_inputs()
                .get(e.to_port)
                .copied()
                .unwrap_or(false)
            {
                feeds_required[e.from] = true;
            }
        }
        let input_required = inputs.iter().map(|&i| feeds_required[i]).collect();
        Unit {
            origin: self.origin,
            nodes: self.nodes,
            edges: self.edges,
            inputs,
            outputs,
            input_required,
        }
    }
}

/// A sample rate, when given, lies in the accepted range.
fn check_sample_rate(rate: Option<u32>, at: impl FnOnce() -> Location) -> Result<(), ChainError> {
    match rate {
        Some(value) if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&value) => {
            Err(ChainError::BadSampleRate {
                at: at(),
                value,
                min: MIN_SAMPLE_RATE,
                max: MAX_SAMPLE_RATE,
            })
        }
        _ => Ok(()),
    }
}

/// Names are valid and unique.
fn check_names(declared: &[Declared<'_>]) -> Result<(), ChainError> {
    let mut first: HashMap<&str, &Site> = HashMap::new();
    for d in declared {
        let name_at = || d.site.at(&[Step::Field("name")]);
        if d.written {
            if let Some(reason) = names::problem(&d.name) {
                return Err(ChainError::InvalidName {
                    at: name_at(),
                    name: d.name.clone(),
                    reason,
                });
            }
        }
        if let Some(site) = first.insert(&d.name, &d.site) {
            return Err(ChainError::DuplicateName {
                at: name_at(),
                name: d.name.clone(),
                first: site.at(&[Step::Field("name")]),
            });
        }
    }
    Ok(())
}

/// A declared channel count fits the `input` node's range.
fn check_channels(name: &str, channels: Option<u32>, site: &Site) -> Result<(), ChainError> {
    let Some(c) = channels else { return Ok(()) };
    let d = InputNode.descriptor();
    let Some(spec) = d.param("channels") else {
        return Ok(());
    };
    match spec.check(&ParamValue::Number(f64::from(c))) {
        Ok(_) => Ok(()),
        Err(_) => {
            let (min, max) = match spec.kind {
                mixgraph_engine::ParamKind::Number { min, max, .. } => (min, max),
                _ => (0.0, 0.0),
            };
            Err(ChainError::ParamOutOfRange {
                at: site.at(&[Step::Field("channels")]),
                node: name.to_string(),
                param: "channels".to_string(),
                value: f64::from(c),
                min,
                max,
                unit: "channels",
            })
        }
    }
}

/// What a node of `nodes` or `series` is: a checked node type or a resolved subchain.
fn node_role(
    name: &str,
    node: &NodeSpec,
    site: &Site,
    resolver: &mut Resolver<'_>,
) -> Result<Role, ChainError> {
    match (&node.kind, &node.chain) {
        (None, None) => Err(ChainError::MissingKind {
            at: site.location(),
            node: name.to_string(),
        }),
        (Some(_), Some(_)) => Err(ChainError::KindAndChain {
            at: site.at(&[Step::Field("chain")]),
            node: name.to_string(),
        }),
        (Some(kind), None) => {
            let kind_at = || site.at(&[Step::Field("kind")]);
            if let Some(reserved) = [
                mixgraph_engine::builtin::INPUT,
                mixgraph_engine::builtin::OUTPUT,
            ]
            .into_iter()
            .find(|r| r == kind)
            {
                return Err(ChainError::ReservedKind {
                    at: kind_at(),
                    node: name.to_string(),
                    kind: reserved,
                });
            }
            let catalog = resolver.catalog();
            let node_type = catalog.get(kind).ok_or_else(|| ChainError::UnknownKind {
                at: kind_at(),
                node: name.to_string(),
                kind: kind.clone(),
                suggestion: suggest::closest(kind, catalog.kinds()),
            })?;
            params::check(
                name,
                node_type.descriptor(),
                &node.params,
                &node.automation,
                site,
            )?;
            Ok(Role::Node {
                kind: node_type,
                params: node.params.clone(),
                automation: node.automation.clone(),
            })
        }
        (None, Some(reference)) => {
            for (field, given) in [
                ("params", !node.params.is_empty()),
                ("automation", !node.automation.is_empty()),
            ] {
                if given {
                    return Err(ChainError::NotForSubchain {
                        at: site.at(&[Step::Field(field)]),
                        node: name.to_string(),
                        field,
                    });
                }
            }
            let unit = resolver.include(reference, name, &site.child(Step::Field("chain")))?;
            Ok(Role::Sub {
                reference: reference.clone(),
                unit,
            })
        }
    }
}
