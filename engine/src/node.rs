//! The node contract: a [`NodeType`] describes a kind of node and builds its [`Processor`],
//! which runs on the audio thread.
//!
//! # The real-time contract
//! [`NodeType::activate`] runs off the audio thread and allocates every buffer the processor
//! will ever need, for the given sample rate and largest block. After that,
//! [`Processor::process`], [`Processor::set_param`] and [`Processor::reset`] must not allocate,
//! lock, do I/O or panic; they keep denormals out of their state (the runtime also sets
//! flush-to-zero) and never write NaN or infinity.

use std::path::PathBuf;

use crate::descriptor::NodeDescriptor;
use crate::param::{Params, Unit};
use crate::port::{Channels, PortSpec};
use crate::process::ProcessContext;

/// What a node type needs to know to build its processor.
#[derive(Debug, Clone)]
pub struct NodeConfig<'a> {
    /// Frames per second of the session.
    pub sample_rate: f64,
    /// The largest block [`Processor::process`] will be called with.
    pub max_block: usize,
    /// The checked parameter values.
    pub params: &'a Params,
    /// The channel count of each input port (0 when an optional port is unconnected).
    pub input_channels: &'a [usize],
    /// The channel count of each output port.
    pub output_channels: &'a [usize],
    /// The folder relative paths in parameters are resolved against.
    pub base_dir: Option<PathBuf>,
}

impl NodeConfig<'_> {
    /// Resolves a path parameter against the chain's folder.
    pub fn path_param(&self, name: &str) -> Option<PathBuf> {
        let p = self.params.path(name)?;
        Some(match &self.base_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        })
    }

    /// Converts milliseconds to whole frames at this sample rate.
    pub fn ms_to_frames(&self, ms: f64) -> usize {
        (ms * 0.001 * self.sample_rate).round().max(0.0) as usize
    }
}

/// Why a node could not be activated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActivateError {
    /// A file the node needs (an impulse response) could not be read.
    #[error("cannot read `{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A combination of settings the node cannot work with.
    #[error("{0}")]
    Invalid(String),
}

/// A kind of node: its descriptor and a factory for its processor.
pub trait NodeType: Send + Sync + 'static {
    /// The descriptor: name, doc, ports, parameters.
    fn descriptor(&self) -> &NodeDescriptor;

    /// The channel count of each output port, given the parameters and the channel count of
    /// each input port (0 for an unconnected optional one). The default follows the port
    /// rules of the descriptor.
    ///
    /// # Errors
    /// A message saying why these inputs cannot be served.
    fn output_channels(&self, params: &Params, inputs: &[usize]) -> Result<Vec<usize>, String> {
        let _ = params;
        self.descriptor()
            .outputs
            .iter()
            .map(|port| match port.channels {
                Channels::Exact(n) => Ok(n),
                Channels::SameAsInput(i) => match inputs.get(i) {
                    Some(&n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "output `{}` takes its channel count from an input that is not connected",
                        port.name
                    )),
                },
                Channels::Any => Err(format!("output `{}` has no channel rule", port.name)),
            })
            .collect()
    }

    /// Builds the processor; allocates everything it will need.
    ///
    /// # Errors
    /// [`ActivateError`] when a file cannot be read or the settings cannot work together.
    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError>;
}

/// A reading a meter node reports after (or during) a render.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// What is measured, e.g. `integrated`, `true_peak`.
    pub name: &'static str,
    /// The value.
    pub value: ReadingValue,
    /// Its unit.
    pub unit: Unit,
}

/// The value of a [`Reading`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReadingValue {
    /// One number (per channel readings use one reading per channel).
    Scalar(f64),
    /// A series, such as a spectrum (with the frequency of each bin in `x`).
    Series {
        /// Positions (Hz for a spectrum).
        x: Vec<f64>,
        /// Values.
        y: Vec<f64>,
    },
}

/// The audio-thread half of a node. See the module docs for the real-time contract.
pub trait Processor: Send {
    /// Processes `ctx.frames()` frames from the inputs into the outputs. Every output sample
    /// must be written.
    fn process(&mut self, ctx: &mut ProcessContext<'_>);

    /// Changes a numeric parameter (index into the descriptor's parameters), ramping
    /// linearly to `value` over `ramp_frames` frames (0: at once). Choices arrive as their
    /// index and flags as 0.0 or 1.0. Values are already checked against the range.
    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        let _ = (index, value, ramp_frames);
    }

    /// Clears all state (delay lines, envelopes, filter memories) and returns parameters to
    /// the values the processor was activated with, so the same input gives the same output.
    fn reset(&mut self);

    /// Latency in frames that this node adds between input and output.
    fn latency(&self) -> usize {
        0
    }

    /// How many frames of output may follow the end of the input (a reverb's decay).
    fn tail(&self) -> usize {
        0
    }

    /// Readings for reports; called off the audio thread, may allocate.
    fn readings(&self) -> Vec<Reading> {
        Vec::new()
    }
}

/// Helper for node types whose single output follows the main input: output = input count.
pub fn same_as_main(inputs: &[PortSpec]) -> Channels {
    if inputs.is_empty() {
        Channels::Exact(2)
    } else {
        Channels::SameAsInput(0)
    }
}
