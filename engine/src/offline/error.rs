//! Errors of an offline render, each naming the node or file at fault.

use std::path::PathBuf;

use crate::error::GraphError;
use crate::io::AudioIoError;

/// Why a render could not run. No output file is left behind when it fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// An `input` node of the graph has no file bound to it.
    #[error(
        "input `{node}` is not bound to a file; bind every input of the chain: {}",
        list(inputs)
    )]
    UnboundInput {
        /// The input node.
        node: String,
        /// Every input node of the graph.
        inputs: Vec<String>,
    },
    /// A file is bound to a name that is not an `input` node of the graph.
    #[error(
        "no input named `{name}`{}; the chain's inputs are: {}",
        suggest(name, inputs),
        list(inputs)
    )]
    UnknownInput {
        /// The name given.
        name: String,
        /// Every input node of the graph.
        inputs: Vec<String>,
    },
    /// An output file is bound to a name that is not an `output` node of the graph.
    #[error(
        "no output named `{name}`{}; the chain's outputs are: {}",
        suggest(name, outputs),
        list(outputs)
    )]
    UnknownOutput {
        /// The name given.
        name: String,
        /// Every output node of the graph.
        outputs: Vec<String>,
    },
    /// The same input node is bound twice.
    #[error("input `{name}` is bound to two files; bind each input once")]
    DuplicateInput {
        /// The input node.
        name: String,
    },
    /// Two outputs would write the same file.
    #[error("`{path}` is named by two outputs; give each output its own file")]
    DuplicateOutputPath {
        /// The path.
        path: PathBuf,
    },
    /// A file's channel count does not fit its input node's declared count (and the file is
    /// not mono, which would be duplicated).
    #[error(
        "input `{input}` declares {declared} channel(s) but `{path}` has {found}; set the input's `channels` to 0 (take the file's) or {found}, or supply a matching file"
    )]
    InputChannels {
        /// The input node.
        input: String,
        /// The file.
        path: PathBuf,
        /// Channels the node declares.
        declared: usize,
        /// Channels the file has.
        found: usize,
    },
    /// The session sample rate is zero.
    #[error("the session sample rate must be positive, found {rate} Hz")]
    SampleRate {
        /// The rate asked for.
        rate: u32,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] AudioIoError),
    /// The graph could not be compiled.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn suggest(name: &str, names: &[String]) -> String {
    crate::catalog::closest_name(name, names.iter().map(String::as_str))
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}
