//! Errors of building and compiling a graph.

use crate::node::ActivateError;
use crate::param::ParamError;

/// Why a graph could not be built or compiled. Names are node names as written in the chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Two nodes share a name.
    #[error("duplicate node name `{name}`")]
    DuplicateNode {
        /// The name.
        name: String,
    },
    /// A connection names a node that does not exist.
    #[error("unknown node `{name}`")]
    UnknownNode {
        /// The name.
        name: String,
    },
    /// A connection names a port the node does not have.
    #[error("node `{node}` ({kind}) has no {direction} port `{port}`; it has: {}", available.join(", "))]
    UnknownPort {
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// "input" or "output".
        direction: &'static str,
        /// The port asked for.
        port: String,
        /// The ports it has.
        available: Vec<String>,
    },
    /// A parameter value does not fit.
    #[error("node `{node}`: {source}")]
    Param {
        /// The node.
        node: String,
        /// The problem.
        #[source]
        source: ParamError,
    },
    /// A required input is not connected.
    #[error("node `{node}` ({kind}): required input `{port}` is not connected")]
    UnconnectedInput {
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The port.
        port: String,
    },
    /// Channel counts do not fit.
    #[error(
        "node `{node}` input `{port}`: expected {expected} channel(s), found {found} from `{from}`{hint}"
    )]
    ChannelMismatch {
        /// The node.
        node: String,
        /// The input port.
        port: String,
        /// Channels the port takes.
        expected: usize,
        /// Channels the source gives.
        found: usize,
        /// The source node.
        from: String,
        /// Advice, starting with "; ".
        hint: String,
    },
    /// The node could not work out its outputs.
    #[error("node `{node}` ({kind}): {message}")]
    Layout {
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The reason.
        message: String,
    },
    /// The graph has a loop without a feedback node in it.
    #[error("the graph has a cycle through {}; a loop needs a `feedback` node (a delay of at least one block) in it", nodes.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" -> "))]
    Cycle {
        /// Every node of the loop.
        nodes: Vec<String>,
    },
    /// A node could not be activated.
    #[error("node `{node}` ({kind}): {source}")]
    Activate {
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The reason.
        #[source]
        source: ActivateError,
    },
    /// An automation lane names a parameter that cannot be automated.
    #[error("node `{node}`: parameter `{param}` cannot be automated ({reason})")]
    Automation {
        /// The node.
        node: String,
        /// The parameter.
        param: String,
        /// Why.
        reason: String,
    },
    /// A setting of the compile itself is wrong (block size 0, sample rate 0...).
    #[error("{0}")]
    Config(String),
}
