//! The chain a script is building: inputs, outputs, nodes and connections, each checked
//! against the node catalog (and the chain rules) when the script adds it, so a mistake is an
//! error at the script's line rather than at the end. [`Builder::spec`] gives the
//! [`ChainSpec`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use mixgraph_chains::limits::{MAX_CONNECTIONS, MAX_NODES};
use mixgraph_chains::name_problem;
use mixgraph_chains::{
    ChainError, ChainSpec, Endpoint, InputSpec, Location, NodeSpec, Origin, OutputSpec, presets,
};
use mixgraph_engine::{AutomationLane, Catalog, NodeDescriptor, NodeType, ParamValue};

use crate::api::call::Call;
use crate::api::check;
use crate::api::suggest::closest;
use crate::limits::MAX_BREAKPOINTS;

/// Most breakpoints over all lanes of a chain (they live outside Lua's memory limit).
const MAX_TOTAL_BREAKPOINTS: usize = 4 * MAX_BREAKPOINTS;

/// What a handle stands for.
pub(crate) enum What {
    /// A chain input.
    Input,
    /// A chain output (its spec is in the builder's outputs).
    Output,
    /// A node of the catalog.
    Node {
        /// Its type.
        node_type: Arc<dyn NodeType>,
    },
    /// A subchain (a shipped preset or a RON file).
    Subchain {
        /// Its input and output names.
        ports: Rc<Ports>,
    },
}

/// The ports of a subchain: its inputs and outputs, by name, main first.
#[derive(Debug)]
pub(crate) struct Ports {
    inputs: Vec<String>,
    outputs: Vec<String>,
}

/// One input, output or node.
pub(crate) struct Entry {
    /// Its name in the chain.
    pub(crate) name: String,
    /// Where the script created it (`recipe.lua:12`).
    pub(crate) created_at: String,
    /// What it is.
    pub(crate) what: What,
    /// Its index in the spec list of its kind (inputs, outputs or nodes).
    index: usize,
}

impl Entry {
    /// The node type's descriptor, for a node of the catalog.
    pub(crate) fn descriptor(&self) -> Option<&NodeDescriptor> {
        match &self.what {
            What::Node { node_type } => Some(node_type.descriptor()),
            _ => None,
        }
    }

    /// What to call it in messages: `compressor`, `subchain mix-basic`, `input`, `output`.
    fn kind_label(&self, spec: &ChainSpec) -> String {
        match &self.what {
            What::Input => "input".to_string(),
            What::Output => "output".to_string(),
            What::Node { node_type } => node_type.descriptor().kind.to_string(),
            What::Subchain { .. } => format!(
                "subchain {}",
                spec.nodes
                    .get(self.index)
                    .and_then(|n| n.chain.as_deref())
                    .unwrap_or("?")
            ),
        }
    }

    /// Port names in one direction (an input has no input ports and one unnamed output...).
    fn port_names(&self, direction: Direction) -> Vec<String> {
        match (&self.what, direction) {
            (What::Node { node_type }, Direction::In) => node_type
                .descriptor()
                .inputs
                .iter()
                .map(|p| p.name.to_string())
                .collect(),
            (What::Node { node_type }, Direction::Out) => node_type
                .descriptor()
                .outputs
                .iter()
                .map(|p| p.name.to_string())
                .collect(),
            (What::Subchain { ports }, Direction::In) => ports.inputs.clone(),
            (What::Subchain { ports }, Direction::Out) => ports.outputs.clone(),
            _ => Vec::new(),
        }
    }
}

/// Which way a connection goes through a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Into the node.
    In,
    /// Out of the node.
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

/// One end of a connection: an entry and, optionally, a named port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct End {
    /// The entry's id.
    pub(crate) id: usize,
    /// The port; `None` for the main one.
    pub(crate) port: Option<String>,
}

/// The chain being built.
pub(crate) struct Builder {
    catalog: Catalog,
    dir: Option<PathBuf>,
    spec: ChainSpec,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    wired: HashSet<(usize, String, usize, String)>,
    subchains: HashMap<String, Rc<Ports>>,
    automated: HashMap<(usize, String), String>,
    breakpoints: usize,
}

impl Builder {
    /// An empty chain; preset files are looked up relative to `dir` (the script's folder;
    /// `None`: the current folder).
    pub(crate) fn new(catalog: Catalog, dir: Option<PathBuf>) -> Self {
        Builder {
            catalog,
            dir,
            spec: ChainSpec::default(),
            entries: Vec::new(),
            by_name: HashMap::new(),
            wired: HashSet::new(),
            subchains: HashMap::new(),
            automated: HashMap::new(),
            breakpoints: 0,
        }
    }

    /// The catalog nodes are checked against.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// An entry by id.
    pub(crate) fn entry(&self, id: usize) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Every entry, in creation order.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of a name, or an error naming the closest.
    pub(crate) fn find(&self, call: &Call, name: &str) -> mlua::Result<usize> {
        self.by_name.get(name).copied().ok_or_else(|| {
            call.chain(ChainError::UnknownNode {
                at: call.at(),
                name: name.to_string(),
                suggestion: closest(name, self.entries.iter().map(|e| e.name.as_str())),
            })
        })
    }

    /// Sets the chain's name.
    pub(crate) fn set_name(&mut self, name: String) {
        self.spec.name = Some(name);
    }

    /// Sets the chain's description.
    pub(crate) fn set_description(&mut self, description: String) {
        self.spec.description = Some(description);
    }

    /// Sets the session sample rate.
    pub(crate) fn set_sample_rate(&mut self, call: &Call, rate: u32) -> mlua::Result<()> {
        check_rate(call, rate)?;
        self.spec.sample_rate = Some(rate);
        Ok(())
    }

    /// Adds a chain input.
    pub(crate) fn add_input(
        &mut self,
        call: &Call,
        name: String,
        channels: Option<u32>,
    ) -> mlua::Result<usize> {
        self.claim(call, &name)?;
        let index = self.spec.inputs.len();
        self.spec.inputs.push(InputSpec {
            name: name.clone(),
            channels,
        });
        Ok(self.push(call, name, What::Input, index))
    }

    /// Adds a chain output.
    pub(crate) fn add_output(&mut self, call: &Call, output: OutputSpec) -> mlua::Result<usize> {
        self.claim(call, &output.name)?;
        if let Some(rate) = output.sample_rate {
            check_rate(call, rate)?;
        }
        let index = self.spec.outputs.len();
        let name = output.name.clone();
        self.spec.outputs.push(output);
        Ok(self.push(call, name, What::Output, index))
    }

    /// Adds a node of the catalog with parameters (checked now), named `name` or after its
    /// kind.
    pub(crate) fn add_node(
        &mut self,
        call: &Call,
        kind: &str,
        name: Option<String>,
        params: Vec<(String, ParamValue)>,
    ) -> mlua::Result<usize> {
        let name = name.unwrap_or_else(|| self.fresh_name(kind));
        let node_type = self.node_type(call, kind, &name)?;
        let d = node_type.descriptor();
        let mut ordered: Vec<(String, ParamValue)> = Vec::with_capacity(params.len());
        for (param, value) in params {
            let spec = check::param(&name, d, &param, &call.at()).map_err(|e| call.chain(e))?;
            check::value(&name, spec, &value, &call.at()).map_err(|e| call.chain(e))?;
            ordered.push((param, value));
        }
        // The descriptor's order, so the chain does not depend on Lua's table order.
        ordered.sort_by_key(|(p, _)| d.params.iter().position(|s| s.name == p));
        check::required(&name, d, &ordered, &call.at()).map_err(|e| call.chain(e))?;
        self.claim(call, &name)?;
        let index = self.spec.nodes.len();
        self.spec.nodes.push(NodeSpec {
            name: Some(name.clone()),
            kind: Some(kind.to_string()),
            params: ordered,
            ..NodeSpec::default()
        });
        Ok(self.push(call, name, What::Node { node_type }, index))
    }

    /// Adds a subchain: a shipped preset by name, or a RON file relative to the script.
    pub(crate) fn add_subchain(
        &mut self,
        call: &Call,
        reference: &str,
        name: Option<String>,
    ) -> mlua::Result<usize> {
        let name = name.unwrap_or_else(|| self.fresh_name(&subchain_base(reference)));
        let ports = self.subchain_ports(call, reference, &name)?;
        self.claim(call, &name)?;
        let index = self.spec.nodes.len();
        self.spec
            .nodes
            .push(NodeSpec::of_chain(reference).named(name.clone()));
        Ok(self.push(call, name, What::Subchain { ports }, index))
    }

    /// Sets (or replaces) a parameter of a node.
    pub(crate) fn set_param(
        &mut self,
        call: &Call,
        id: usize,
        param: &str,
        value: ParamValue,
    ) -> mlua::Result<()> {
        let (name, node_type, index) = self.node_parts(call, id, "params")?;
        let d = node_type.descriptor();
        let spec = check::param(&name, d, param, &call.at()).map_err(|e| call.chain(e))?;
        check::value(&name, spec, &value, &call.at()).map_err(|e| call.chain(e))?;
        let order = |p: &str| d.params.iter().position(|s| s.name == p);
        let Some(node) = self.spec.nodes.get_mut(index) else {
            return Err(call.error("the node is gone (a bug in mixgraph)"));
        };
        node.params.retain(|(p, _)| p != param);
        node.params.push((param.to_string(), value));
        node.params.sort_by_key(|(p, _)| order(p));
        Ok(())
    }

    /// The value of a parameter: as set, or its default (`None` for an unset path).
    pub(crate) fn param(
        &self,
        call: &Call,
        id: usize,
        param: &str,
    ) -> mlua::Result<Option<ParamValue>> {
        let (name, node_type, index) = self.node_parts(call, id, "params")?;
        let spec = check::param(&name, node_type.descriptor(), param, &call.at())
            .map_err(|e| call.chain(e))?;
        let set = self
            .spec
            .nodes
            .get(index)
            .and_then(|n| n.params.iter().find(|(p, _)| p == param))
            .map(|(_, v)| v.clone());
        Ok(set.or_else(|| spec.default_value()))
    }

    /// The spec of `param` of node `id` if it can be automated and is not yet (checked
    /// before sampling a function into breakpoints).
    pub(crate) fn automatable(
        &self,
        call: &Call,
        id: usize,
        param: &str,
    ) -> mlua::Result<mixgraph_engine::ParamSpec> {
        let (name, node_type, _) = self.node_parts(call, id, "automation")?;
        let spec = check::automatable(&name, node_type.descriptor(), param, &call.at())
            .map_err(|e| call.chain(e))?;
        self.not_automated_yet(call, id, param)?;
        Ok(spec.clone())
    }

    /// Adds an automation lane to a node (one lane per parameter).
    pub(crate) fn automate(
        &mut self,
        call: &Call,
        id: usize,
        lane: AutomationLane,
    ) -> mlua::Result<()> {
        let (name, node_type, index) = self.node_parts(call, id, "automation")?;
        check::lane(&name, node_type.descriptor(), &lane, &call.at()).map_err(|e| call.chain(e))?;
        self.not_automated_yet(call, id, &lane.param)?;
        if lane.points.len() > MAX_BREAKPOINTS
            || self.breakpoints + lane.points.len() > MAX_TOTAL_BREAKPOINTS
        {
            return Err(call.error(format!(
                "too many breakpoints: at most {MAX_BREAKPOINTS} per lane and \
                 {MAX_TOTAL_BREAKPOINTS} in a chain"
            )));
        }
        self.breakpoints += lane.points.len();
        self.automated
            .insert((id, lane.param.clone()), call.place().to_string());
        if let Some(node) = self.spec.nodes.get_mut(index) {
            node.automation.push(lane);
        }
        Ok(())
    }

    /// Connects an output port of `from` to an input port of `to`, checking both ports
    /// exist, inputs only send, outputs only receive, and the same ports are not connected
    /// twice.
    pub(crate) fn connect(&mut self, call: &Call, from: &End, to: &End) -> mlua::Result<()> {
        let out_port = self.resolve_port(call, from, Direction::Out)?;
        let in_port = self.resolve_port(call, to, Direction::In)?;
        let (Some(source), Some(dest)) = (self.entries.get(from.id), self.entries.get(to.id))
        else {
            return Err(call.error("unknown handle (a bug in mixgraph)"));
        };
        let key = (from.id, out_port.clone(), to.id, in_port.clone());
        if self.wired.contains(&key) {
            let show = |name: &str, port: &str| {
                if port.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}.{port}")
                }
            };
            return Err(call.chain(ChainError::DuplicateConnection {
                at: call.at(),
                from: show(&source.name, &out_port),
                to: show(&dest.name, &in_port),
            }));
        }
        if self.wired.len() >= MAX_CONNECTIONS {
            return Err(call.error(format!("a chain has at most {MAX_CONNECTIONS} connections")));
        }
        let endpoint = |name: &str, port: &Option<String>| Endpoint {
            node: name.to_string(),
            port: port.clone(),
        };
        let src = endpoint(&source.name, &from.port);
        let dst = endpoint(&dest.name, &to.port);
        let unfed_output = match dest.what {
            What::Output => self
                .spec
                .outputs
                .get_mut(dest.index)
                .filter(|o| o.from.is_none()),
            _ => None,
        };
        match unfed_output {
            Some(output) => output.from = Some(src),
            None => self.spec.connections.push(vec![src, dst]),
        }
        self.wired.insert(key);
        Ok(())
    }

    /// Checks that `port` exists on entry `id` in either direction (for `node:port(name)`).
    pub(crate) fn check_port(&self, call: &Call, id: usize, port: &str) -> mlua::Result<()> {
        let entry = self
            .entries
            .get(id)
            .ok_or_else(|| call.error("unknown handle"))?;
        let inputs = entry.port_names(Direction::In);
        let outputs = entry.port_names(Direction::Out);
        if inputs.iter().chain(&outputs).any(|p| p == port) {
            return Ok(());
        }
        if matches!(entry.what, What::Input | What::Output) {
            return Err(call.error(format!(
                "chain {} `{}` has no named ports; connect it as it is",
                entry.kind_label(&self.spec),
                entry.name
            )));
        }
        let mut available = inputs;
        available.extend(outputs);
        Err(call.chain(ChainError::UnknownPort {
            at: call.at(),
            node: entry.name.clone(),
            kind: entry.kind_label(&self.spec),
            direction: "input or output",
            port: port.to_string(),
            available,
        }))
    }

    /// The chain as built, named `default_name` unless the script named it, with `origin`.
    pub(crate) fn spec(&self, default_name: &str, origin: Origin) -> ChainSpec {
        let mut spec = self.spec.clone();
        if spec.name.is_none() {
            spec.name = Some(default_name.to_string());
        }
        spec.origin = origin;
        spec
    }

    /// The entry for `id` as a node of the catalog: its name, descriptor and spec index.
    fn node_parts(
        &self,
        call: &Call,
        id: usize,
        field: &'static str,
    ) -> mlua::Result<(String, Arc<dyn NodeType>, usize)> {
        let entry = self
            .entries
            .get(id)
            .ok_or_else(|| call.error("unknown handle"))?;
        match &entry.what {
            What::Node { node_type } => {
                Ok((entry.name.clone(), Arc::clone(node_type), entry.index))
            }
            What::Subchain { .. } => Err(call.chain(ChainError::NotForSubchain {
                at: call.at(),
                node: entry.name.clone(),
                field,
            })),
            What::Input | What::Output => Err(call.error(format!(
                "chain {} `{}` has no parameters",
                entry.kind_label(&self.spec),
                entry.name
            ))),
        }
    }

    fn not_automated_yet(&self, call: &Call, id: usize, param: &str) -> mlua::Result<()> {
        match self.automated.get(&(id, param.to_string())) {
            Some(place) => Err(call.error(format!(
                "parameter `{param}` is already automated (at {place}); give all its breakpoints in one call"
            ))),
            None => Ok(()),
        }
    }

    /// The port a connection uses at `end` (`""` for a chain input or output), checked.
    fn resolve_port(&self, call: &Call, end: &End, direction: Direction) -> mlua::Result<String> {
        let entry = self
            .entries
            .get(end.id)
            .ok_or_else(|| call.error("unknown handle"))?;
        match (&entry.what, direction) {
            (What::Input, Direction::In) => {
                return Err(call.chain(ChainError::IntoInput {
                    at: call.at(),
                    name: entry.name.clone(),
                }));
            }
            (What::Output, Direction::Out) => {
                return Err(call.chain(ChainError::OutOfOutput {
                    at: call.at(),
                    name: entry.name.clone(),
                }));
            }
            (What::Input | What::Output, _) => {
                return match &end.port {
                    None => Ok(String::new()),
                    Some(_) => Err(call.error(format!(
                        "chain {} `{}` has no named ports; connect it as it is",
                        entry.kind_label(&self.spec),
                        entry.name
                    ))),
                };
            }
            _ => {}
        }
        let ports = entry.port_names(direction);
        match &end.port {
            Some(port) if ports.contains(port) => Ok(port.clone()),
            None => ports.first().cloned().ok_or_else(|| {
                call.error(format!(
                    "`{}` ({}) has no {} port",
                    entry.name,
                    entry.kind_label(&self.spec),
                    direction.word()
                ))
            }),
            Some(port) => Err(call.chain(ChainError::UnknownPort {
                at: call.at(),
                node: entry.name.clone(),
                kind: entry.kind_label(&self.spec),
                direction: direction.word(),
                port: port.clone(),
                available: ports,
            })),
        }
    }

    /// The node type of `kind`, refusing the chain's own `input` and `output`.
    fn node_type(&self, call: &Call, kind: &str, node: &str) -> mlua::Result<Arc<dyn NodeType>> {
        if let Some(reserved) = ["input", "output"].into_iter().find(|r| *r == kind) {
            return Err(call.error(format!(
                "`{reserved}` is not a node kind here: use chain.{reserved}(name) to declare the chain's {reserved}s"
            )));
        }
        self.catalog.get(kind).ok_or_else(|| {
            call.chain(ChainError::UnknownKind {
                at: call.at(),
                node: node.to_string(),
                kind: kind.to_string(),
                suggestion: closest(
                    kind,
                    self.catalog
                        .kinds()
                        .filter(|k| !["input", "output"].contains(k)),
                ),
            })
        })
    }

    /// The ports of a subchain, reading and validating it the first time it is used.
    fn subchain_ports(
        &mut self,
        call: &Call,
        reference: &str,
        node: &str,
    ) -> mlua::Result<Rc<Ports>> {
        if let Some(ports) = self.subchains.get(reference) {
            return Ok(Rc::clone(ports));
        }
        let not_found = |reason: String| {
            call.chain(ChainError::SubchainNotFound {
                at: call.at(),
                node: node.to_string(),
                reference: reference.to_string(),
                reason,
            })
        };
        let spec = if is_preset_name(reference) {
            let preset = presets::get(reference).ok_or_else(|| {
                let hint = closest(reference, presets::names())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                not_found(format!(
                    "no shipped preset has that name{hint}; shipped presets: {}; refer to a file by a path such as `./{reference}.ron`",
                    presets::names().collect::<Vec<_>>().join(", ")
                ))
            })?;
            preset.load().map_err(|e| call.chain(e))?
        } else {
            if !reference.ends_with(".ron") {
                return Err(not_found(
                    "a preset file is a .ron file; a shipped preset is named without folder or extension"
                        .to_string(),
                ));
            }
            let path = self
                .dir
                .as_deref()
                .unwrap_or(Path::new("."))
                .join(reference);
            if !path.is_file() {
                return Err(not_found(format!(
                    "cannot open `{}`: no such file",
                    path.display()
                )));
            }
            let spec = mixgraph_chains::load_file(&path).map_err(|e| call.chain(e))?;
            mixgraph_chains::validate(&spec, &self.catalog)
                .map_err(|e| call.error(format!("the subchain `{reference}` is not valid: {e}")))?;
            spec
        };
        let ports = Rc::new(Ports {
            inputs: spec.inputs.iter().map(|i| i.name.clone()).collect(),
            outputs: spec.outputs.iter().map(|o| o.name.clone()).collect(),
        });
        self.subchains
            .insert(reference.to_string(), Rc::clone(&ports));
        Ok(ports)
    }

    /// Checks that `name` can be used and is free.
    fn claim(&self, call: &Call, name: &str) -> mlua::Result<()> {
        if let Some(reason) = name_problem(name) {
            return Err(call.chain(ChainError::InvalidName {
                at: call.at(),
                name: name.to_string(),
                reason,
            }));
        }
        if let Some(&id) = self.by_name.get(name) {
            let first = self
                .entries
                .get(id)
                .map(|e| e.created_at.clone())
                .unwrap_or_default();
            return Err(call.chain(ChainError::DuplicateName {
                at: call.at(),
                name: name.to_string(),
                first: Location::file(first),
            }));
        }
        if self.entries.len() >= MAX_NODES {
            return Err(call.error(format!(
                "a chain has at most {MAX_NODES} nodes, inputs and outputs"
            )));
        }
        Ok(())
    }

    fn push(&mut self, call: &Call, name: String, what: What, index: usize) -> usize {
        let id = self.entries.len();
        self.by_name.insert(name.clone(), id);
        self.entries.push(Entry {
            name,
            created_at: call.place().to_string(),
            what,
            index,
        });
        id
    }

    /// `base` if free, else `base-2`, `base-3`...
    fn fresh_name(&self, base: &str) -> String {
        if !self.by_name.contains_key(base) {
            return base.to_string();
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|n| !self.by_name.contains_key(n))
            .unwrap_or_else(|| base.to_string())
    }
}

fn check_rate(call: &Call, rate: u32) -> mlua::Result<()> {
    use mixgraph_chains::limits::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
    if (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(call.chain(ChainError::BadSampleRate {
            at: call.at(),
            value: rate,
            min: MIN_SAMPLE_RATE,
            max: MAX_SAMPLE_RATE,
        }))
    }
}

/// A reference without folder separator or `.ron` names a shipped preset (as in chains).
fn is_preset_name(reference: &str) -> bool {
    !reference.contains(['/', '\\']) && !reference.ends_with(".ron")
}

/// What an unnamed subchain node is named after: the preset's name or the file's stem, with
/// characters not allowed in names replaced by `-`.
fn subchain_base(reference: &str) -> String {
    let file = reference.rsplit(['/', '\\']).next().unwrap_or(reference);
    let stem = file.strip_suffix(".ron").unwrap_or(file);
    let base: String = stem
        .chars()
        .map(|c| if c == '.' || c.is_control() { '-' } else { c })
        .collect();
    if base.is_empty() {
        "subchain".to_string()
    } else {
        base
    }
}
