//! The chain description as read: [`ChainSpec`] and its parts. Nothing here is checked
//! against the catalog; [`crate::validate`] turns a `ChainSpec` into a [`crate::ValidChain`].
//!
//! The format is documented in `chains/README.md`. Parts that have a short form (an input, an
//! output or a series step written as a plain string) read both forms (see `spec/de.rs`).

pub(crate) mod de;

use std::fmt;

use mixgraph_engine::{AutomationLane, ParamValue};
use serde::Deserialize;

use crate::origin::Origin;

/// A chain as written in a RON file or built by a script.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename = "Chain", deny_unknown_fields)]
pub struct ChainSpec {
    /// A name for listings and reports.
    #[serde(default)]
    pub name: Option<String>,
    /// One line saying what the chain is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The session sample rate in Hz; `None` takes the rate of the inputs.
    #[serde(default)]
    pub sample_rate: Option<u32>,
    /// The chain's inputs, in order; the first is the main input.
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// The chain's outputs, in order; the first is the main output.
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
    /// Nodes, each with a name, connected by `connections`.
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// Nodes in series: the first input feeds the first step, each step the next, and the
    /// last step feeds every output that has no other source. Names are optional.
    #[serde(default)]
    pub series: Vec<NodeSpec>,
    /// Paths: each consecutive pair of elements is connected, output to input.
    #[serde(default)]
    pub connections: Vec<Vec<Endpoint>>,
    /// Where the chain was read from (not part of its content).
    #[serde(skip)]
    pub origin: Origin,
}

/// A chain input. Short form: `"name"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// The name, used in connections and to bind a file or device.
    pub name: String,
    /// Channel count; `None` takes the bound file's count (2 when none is bound).
    pub channels: Option<u32>,
}

impl InputSpec {
    /// An input taking its channel count from what is bound to it.
    pub fn new(name: impl Into<String>) -> Self {
        InputSpec {
            name: name.into(),
            channels: None,
        }
    }
}

/// A chain output. Short form: `"name"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// The name, used in connections and to bind a file or device.
    pub name: String,
    /// What feeds it: `node` (its main output) or `node.port`. `None`: a path in
    /// `connections` ends at it, or else the last `series` step feeds it.
    pub from: Option<Endpoint>,
    /// Sample rate of the written file; `None`: the session rate.
    pub sample_rate: Option<u32>,
    /// Sample format of the written file.
    pub format: SampleFormat,
    /// Dither applied when quantizing.
    pub dither: Dither,
}

impl OutputSpec {
    /// A 24-bit output at the session rate, fed as described at [`OutputSpec::from`].
    pub fn new(name: impl Into<String>) -> Self {
        OutputSpec {
            name: name.into(),
            from: None,
            sample_rate: None,
            format: SampleFormat::default(),
            dither: Dither::default(),
        }
    }

    /// Whether only the name differs from the defaults (it can be written as `"name"`).
    pub(crate) fn is_short(&self) -> bool {
        *self == OutputSpec::new(self.name.clone())
    }
}

/// Sample format of an output file, as written in a chain (the engine's
/// [`mixgraph_engine::SampleFormat`] once validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum SampleFormat {
    /// 16-bit integer PCM (CD).
    Pcm16,
    /// 24-bit integer PCM (the default: streaming, broadcast, mastering hand-off).
    #[default]
    Pcm24,
    /// 32-bit float.
    Float32,
}

impl From<SampleFormat> for mixgraph_engine::SampleFormat {
    fn from(f: SampleFormat) -> Self {
        match f {
            SampleFormat::Pcm16 => mixgraph_engine::SampleFormat::Pcm16,
            SampleFormat::Pcm24 => mixgraph_engine::SampleFormat::Pcm24,
            SampleFormat::Float32 => mixgraph_engine::SampleFormat::Float32,
        }
    }
}

impl SampleFormat {
    /// The name as written in a chain.
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Pcm16 => "Pcm16",
            SampleFormat::Pcm24 => "Pcm24",
            SampleFormat::Float32 => "Float32",
        }
    }
}

/// Dither applied when an output is quantized, as written in a chain (the engine's
/// [`mixgraph_engine::Dither`] once validated, see [`Dither::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Dither {
    /// TPDF for 16-bit outputs, none for 24-bit and float (the usual practice).
    #[default]
    Auto,
    /// No dither.
    None,
    /// Triangular (TPDF) dither.
    Tpdf,
    /// TPDF dither with noise shaping.
    TpdfShaped,
}

impl Dither {
    /// The name as written in a chain.
    pub fn name(self) -> &'static str {
        match self {
            Dither::Auto => "Auto",
            Dither::None => "None",
            Dither::Tpdf => "Tpdf",
            Dither::TpdfShaped => "TpdfShaped",
        }
    }

    /// The engine's dither for an output of `format`: [`Dither::Auto`] becomes what the
    /// format needs (TPDF for 16-bit, none otherwise); anything else stays as chosen.
    pub fn resolve(self, format: SampleFormat) -> mixgraph_engine::Dither {
        match self {
            Dither::Auto => mixgraph_engine::SampleFormat::from(format).default_dither(),
            Dither::None => mixgraph_engine::Dither::None,
            Dither::Tpdf => mixgraph_engine::Dither::Tpdf,
            Dither::TpdfShaped => mixgraph_engine::Dither::TpdfShaped,
        }
    }
}

/// A node of a chain: a node type from the catalog (`kind`) or another chain (`chain`).
/// In `series` a step can be written as just its kind: `"gain"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeSpec {
    /// The name, unique in the chain; optional in `series` (named after the kind there).
    pub name: Option<String>,
    /// The node type, e.g. `gain`.
    pub kind: Option<String>,
    /// A subchain: a shipped preset's name, or a path relative to this chain's file.
    pub chain: Option<String>,
    /// Parameter values by name, in the order written.
    pub params: Vec<(String, ParamValue)>,
    /// Automation lanes, one per parameter.
    pub automation: Vec<AutomationLane>,
}

impl NodeSpec {
    /// A node of a kind, unnamed, with default parameters.
    pub fn of_kind(kind: impl Into<String>) -> Self {
        NodeSpec {
            kind: Some(kind.into()),
            ..NodeSpec::default()
        }
    }

    /// A subchain node, unnamed.
    pub fn of_chain(reference: impl Into<String>) -> Self {
        NodeSpec {
            chain: Some(reference.into()),
            ..NodeSpec::default()
        }
    }

    /// Names the node.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets a parameter.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: ParamValue) -> Self {
        self.params.push((name.into(), value));
        self
    }

    /// Whether only the kind is set (it can be written as `"kind"`).
    pub(crate) fn is_short(&self) -> bool {
        self.kind.is_some()
            && *self
                == NodeSpec {
                    kind: self.kind.clone(),
                    ..NodeSpec::default()
                }
    }
}

/// One element of a connection path: `node` or `node.port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The node, input or output name.
    pub node: String,
    /// The port; `None` is the main one (first input or first output).
    pub port: Option<String>,
}

impl Endpoint {
    /// The main port of a node.
    pub fn new(node: impl Into<String>) -> Self {
        Endpoint {
            node: node.into(),
            port: None,
        }
    }

    /// A named port of a node.
    pub fn port(node: impl Into<String>, port: impl Into<String>) -> Self {
        Endpoint {
            node: node.into(),
            port: Some(port.into()),
        }
    }

    /// Reads `node` or `node.port`.
    ///
    /// # Errors
    /// A message when the node or the port part is empty.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let endpoint = match text.split_once('.') {
            Some((node, port)) => Endpoint::port(node, port),
            None => Endpoint::new(text),
        };
        if endpoint.node.is_empty() || endpoint.port.as_deref() == Some("") {
            return Err(format!("\"{text}\" is not `node` or `node.port`"));
        }
        Ok(endpoint)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.port {
            Some(port) => write!(f, "{}.{port}", self.node),
            None => f.write_str(&self.node),
        }
    }
}

impl From<&str> for Endpoint {
    /// `node` or `node.port`; text that does not parse becomes a node of that name, which
    /// validation then reports.
    fn from(text: &str) -> Self {
        Endpoint::parse(text).unwrap_or_else(|_| Endpoint::new(text))
    }
}
