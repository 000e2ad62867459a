//! Everything that can be wrong with a chain, each error saying where (file, line, column)
//! and what to do about it.

use std::fmt;
use std::path::PathBuf;

use mixgraph_engine::GraphError;

/// A line and column in a chain file, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// Where an error is: the file (or preset, or script) and, when known, the position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it, `preset:<name>` for a shipped preset, or the name given
    /// to [`crate::Origin::named`].
    pub file: String,
    /// The line and column of the offending item, when it could be found in the text.
    pub position: Option<Position>,
}

impl Location {
    /// A location without position.
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            position: None,
        }
    }

    /// The line, when known.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|p| p.line)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}:{}", self.file, p.line, p.column),
            None => f.write_str(&self.file),
        }
    }
}

/// Why a chain could not be read, validated or compiled.
///
/// Every variant that concerns an item of a chain file carries its [`Location`] in `at`;
/// the message starts with it (`file:line:column: ...`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// A chain file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A chain file is larger than [`crate::limits::MAX_FILE_BYTES`].
    #[error("{file}: the file is larger than the limit of {limit} bytes")]
    FileTooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The text is not valid RON, or does not have the shape of a chain (unknown field,
    /// wrong type of value, missing bracket...).
    #[error("{at}: {message}")]
    Syntax {
        /// Where the parser stopped.
        at: Location,
        /// The parser's explanation.
        message: String,
    },
    /// A name that cannot be used for a node, input or output.
    #[error("{at}: the name {name:?} cannot be used: {reason}")]
    InvalidName {
        /// Where.
        at: Location,
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An entry of `nodes` without a `name`.
    #[error(
        "{at}: this node has no `name`; every entry of `nodes` needs one (only nodes in `series` are named for you)"
    )]
    MissingName {
        /// Where.
        at: Location,
    },
    /// Two nodes, inputs or outputs share a name.
    #[error(
        "{at}: the name `{name}` is already used at {first}; every node, input and output needs its own name"
    )]
    DuplicateName {
        /// The second use.
        at: Location,
        /// The name.
        name: String,
        /// The first use.
        first: Location,
    },
    /// A node with neither `kind` nor `chain`.
    #[error(
        "{at}: node `{node}` needs `kind: \"...\"` (a node type) or `chain: \"...\"` (a subchain)"
    )]
    MissingKind {
        /// Where.
        at: Location,
        /// The node.
        node: String,
    },
    /// A node with both `kind` and `chain`.
    #[error("{at}: node `{node}` has both `kind` and `chain`; keep one")]
    KindAndChain {
        /// Where.
        at: Location,
        /// The node.
        node: String,
    },
    /// A node of kind `input` or `output` in `nodes`: those are declared in the chain's
    /// `inputs` and `outputs`.
    #[error(
        "{at}: node `{node}`: declare chain {kind}s in the chain's `{kind}s` list, not as nodes"
    )]
    ReservedKind {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// `input` or `output`.
        kind: &'static str,
    },
    /// A node kind the catalog does not have.
    #[error(
        "{at}: node `{node}`: unknown kind `{kind}`{}; `mixgraph nodes` lists every kind",
        did_you_mean(suggestion)
    )]
    UnknownKind {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The kind written.
        kind: String,
        /// The closest known kind, when one is close.
        suggestion: Option<String>,
    },
    /// A parameter the node kind does not have.
    #[error(
        "{at}: node `{node}` ({kind}) has no parameter `{param}`{}; its parameters are: {}",
        did_you_mean(suggestion),
        list_or_none(valid)
    )]
    UnknownParam {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The parameter written.
        param: String,
        /// The closest parameter name, when one is close.
        suggestion: Option<String>,
        /// Every parameter of the kind.
        valid: Vec<String>,
    },
    /// A number outside a parameter's range (also a breakpoint value).
    #[error(
        "{at}: node `{node}`: parameter `{param}` = {value} is out of range: expected {min} to {max} {unit}"
    )]
    ParamOutOfRange {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The parameter.
        param: String,
        /// The value found.
        value: f64,
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
        /// Unit symbol.
        unit: &'static str,
    },
    /// A value of the wrong type for a parameter (a string for a number...).
    #[error("{at}: node `{node}`: parameter `{param}`: expected {expected}, found {found}")]
    ParamWrongType {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The parameter.
        param: String,
        /// What the parameter takes.
        expected: String,
        /// What was written.
        found: String,
    },
    /// A choice parameter given a name that is not among its options.
    #[error(
        "{at}: node `{node}`: parameter `{param}`: unknown option \"{found}\"{}; expected one of {}",
        did_you_mean(suggestion),
        options.join(", ")
    )]
    UnknownOption {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The parameter.
        param: String,
        /// The name written.
        found: String,
        /// The closest option, when one is close.
        suggestion: Option<String>,
        /// Every option.
        options: Vec<String>,
    },
    /// A parameter without default (a file path) that the chain does not give.
    #[error("{at}: node `{node}` ({kind}): parameter `{param}` must be given ({doc})")]
    MissingParam {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The parameter.
        param: String,
        /// What the parameter is.
        doc: String,
    },
    /// An automation lane that cannot be followed.
    #[error("{at}: node `{node}`: automation of `{param}`: {reason}")]
    BadAutomation {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The parameter.
        param: String,
        /// What is wrong.
        reason: String,
    },
    /// `params` or `automation` on a subchain node.
    #[error("{at}: subchain node `{node}` takes no `{field}`; set them in the subchain's own file")]
    NotForSubchain {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The field.
        field: &'static str,
    },
    /// A sample rate outside what mixgraph accepts.
    #[error("{at}: sample rate {value} Hz is outside {min} to {max} Hz")]
    BadSampleRate {
        /// Where.
        at: Location,
        /// The rate written.
        value: u32,
        /// Lowest accepted.
        min: u32,
        /// Highest accepted.
        max: u32,
    },
    /// A connection or output `from` names a node that does not exist.
    #[error("{at}: unknown node `{name}`{}", did_you_mean(suggestion))]
    UnknownNode {
        /// Where.
        at: Location,
        /// The name written.
        name: String,
        /// The closest name in the chain, when one is close.
        suggestion: Option<String>,
    },
    /// A connection names a port the node does not have.
    #[error(
        "{at}: `{node}` ({kind}) has no {direction} port `{port}`; its {direction} ports: {}",
        list_or_none(available)
    )]
    UnknownPort {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// Its kind (`subchain <name>` for a subchain).
        kind: String,
        /// `input` or `output`.
        direction: &'static str,
        /// The port written.
        port: String,
        /// The ports it has in that direction.
        available: Vec<String>,
    },
    /// A port named on an element in the middle of a path.
    #[error(
        "{at}: `{endpoint}`: a port can be named only on the first (output port) or last (input port) element of a path; split the path in two"
    )]
    PortInMiddle {
        /// Where.
        at: Location,
        /// The element written.
        endpoint: String,
    },
    /// A connection into a chain input.
    #[error(
        "{at}: chain input `{name}` cannot receive a connection; an input can only start a path"
    )]
    IntoInput {
        /// Where.
        at: Location,
        /// The input.
        name: String,
    },
    /// A connection out of a chain output.
    #[error("{at}: chain output `{name}` cannot feed anything; an output can only end a path")]
    OutOfOutput {
        /// Where.
        at: Location,
        /// The output.
        name: String,
    },
    /// A connection path with fewer than two elements: it connects nothing.
    #[error("{at}: this path connects nothing: found {} element(s), a path needs at least two", path.len())]
    DanglingConnection {
        /// Where.
        at: Location,
        /// The elements written.
        path: Vec<String>,
    },
    /// The same two ports connected twice (the signal would be summed twice).
    #[error(
        "{at}: `{from}` is already connected to `{to}`; a second connection would add the signal twice"
    )]
    DuplicateConnection {
        /// The second connection.
        at: Location,
        /// Source, `node.port`.
        from: String,
        /// Destination, `node.port`.
        to: String,
    },
    /// An output with no `from` that no path ends at.
    #[error(
        "{at}: output `{output}` is not connected: give it `from: \"node\"` or end a path in `connections` with it"
    )]
    UnconnectedOutput {
        /// Where.
        at: Location,
        /// The output.
        output: String,
    },
    /// A required input port with no connection.
    #[error("{at}: node `{node}` ({kind}): required input `{port}` is not connected")]
    UnconnectedInput {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The port.
        port: String,
    },
    /// A chain input or node whose output is not connected to anything (meters excepted).
    #[error("{at}: {what} `{name}` feeds nothing: connect it to something or remove it")]
    FeedsNothing {
        /// Where.
        at: Location,
        /// `input` or `node`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// Channel counts that do not fit.
    #[error(
        "{at}: node `{node}` input `{port}`: expected {expected} channel(s), found {found} from `{from}`{hint}"
    )]
    ChannelMismatch {
        /// Where (the receiving node).
        at: Location,
        /// The receiving node.
        node: String,
        /// Its input port.
        port: String,
        /// Channels the port takes.
        expected: usize,
        /// Channels the source gives.
        found: usize,
        /// The source node.
        from: String,
        /// Advice, starting with "; ", or empty.
        hint: String,
    },
    /// A loop without a `feedback` node.
    #[error(
        "{at}: the chain has a cycle through {}; a loop needs a `feedback` node (a delay of at least one block) in it",
        nodes.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" -> ")
    )]
    Cycle {
        /// Where (the first node of the loop).
        at: Location,
        /// Every node of the loop, in loop order.
        nodes: Vec<String>,
    },
    /// A subchain reference that resolves to nothing.
    #[error("{at}: node `{node}`: subchain `{reference}` not found: {reason}")]
    SubchainNotFound {
        /// Where.
        at: Location,
        /// The node.
        node: String,
        /// The reference written.
        reference: String,
        /// What was looked for, and a suggestion.
        reason: String,
    },
    /// Subchains that include each other.
    #[error("{at}: subchains include each other in a loop: {}", cycle.join(" -> "))]
    IncludeCycle {
        /// The reference that closes the loop.
        at: Location,
        /// The files (or presets) of the loop, first repeated at the end.
        cycle: Vec<String>,
    },
    /// Subchains nested deeper than [`crate::limits::MAX_SUBCHAIN_DEPTH`].
    #[error("{at}: subchains nest deeper than {limit} levels")]
    TooDeep {
        /// The reference that goes too deep.
        at: Location,
        /// The limit.
        limit: usize,
    },
    /// More nodes (counting subchains) than [`crate::limits::MAX_NODES`].
    #[error("{at}: the chain has more than {limit} nodes (subchains counted)")]
    TooManyNodes {
        /// Where.
        at: Location,
        /// The limit.
        limit: usize,
    },
    /// More connections (after subchains are flattened) than
    /// [`crate::limits::MAX_CONNECTIONS`].
    #[error("{at}: the chain has more than {limit} connections (subchains flattened)")]
    TooManyConnections {
        /// Where.
        at: Location,
        /// The limit.
        limit: usize,
    },
    /// Any other problem the engine found while building or compiling the graph (a node that
    /// cannot work out its channels or cannot be activated, a bad compile setting).
    #[error("{at}: {source}")]
    Graph {
        /// Where (the node concerned, or the chain file).
        at: Location,
        /// The engine's error.
        #[source]
        source: GraphError,
    },
}

impl ChainError {
    /// Where the error is, when it concerns a chain file.
    pub fn location(&self) -> Option<&Location> {
        use ChainError as E;
        match self {
            E::Io { .. } | E::FileTooLarge { .. } => None,
            E::Syntax { at, .. }
            | E::InvalidName { at, .. }
            | E::MissingName { at }
            | E::DuplicateName { at, .. }
            | E::MissingKind { at, .. }
            | E::KindAndChain { at, .. }
            | E::ReservedKind { at, .. }
            | E::UnknownKind { at, .. }
            | E::UnknownParam { at, .. }
            | E::ParamOutOfRange { at, .. }
            | E::ParamWrongType { at, .. }
            | E::UnknownOption { at, .. }
            | E::MissingParam { at, .. }
            | E::BadAutomation { at, .. }
            | E::NotForSubchain { at, .. }
            | E::BadSampleRate { at, .. }
            | E::UnknownNode { at, .. }
            | E::UnknownPort { at, .. }
            | E::PortInMiddle { at, .. }
            | E::IntoInput { at, .. }
            | E::OutOfOutput { at, .. }
            | E::DanglingConnection { at, .. }
            | E::DuplicateConnection { at, .. }
            | E::UnconnectedOutput { at, .. }
            | E::UnconnectedInput { at, .. }
            | E::FeedsNothing { at, .. }
            | E::ChannelMismatch { at, .. }
            | E::Cycle { at, .. }
            | E::SubchainNotFound { at, .. }
            | E::IncludeCycle { at, .. }
            | E::TooDeep { at, .. }
            | E::TooManyNodes { at, .. }
            | E::TooManyConnections { at, .. }
            | E::Graph { at, .. } => Some(at),
        }
    }
}

/// "; did you mean `x`?" or nothing.
fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// A comma-separated list, or "none".
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
