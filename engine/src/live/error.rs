//! Errors of live playback: finding devices, agreeing on a stream format, binding the
//! chain's inputs and outputs, reloading a chain while it plays.

use crate::error::GraphError;
use crate::io::AudioIoError;
use crate::param::ParamError;

/// Why a live session could not start, or a live operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// No audio host of that name on this system.
    #[error("no audio host `{name}` here; available: {}", available.join(", "))]
    UnknownHost {
        /// The name asked for.
        name: String,
        /// The hosts this system has.
        available: Vec<String>,
    },
    /// The host cannot be reached (its daemon is not running, say).
    #[error("audio host `{host}` is unavailable: {reason}")]
    HostUnavailable {
        /// The host.
        host: String,
        /// What the host said.
        reason: String,
    },
    /// No device of that name.
    #[error("no {direction} device matches `{name}`; run `mixgraph devices` to list them{}", if available.is_empty() { String::new() } else { format!(" (found: {})", available.join(", ")) })]
    UnknownDevice {
        /// "input" or "output".
        direction: &'static str,
        /// The name asked for.
        name: String,
        /// The devices of that direction.
        available: Vec<String>,
    },
    /// A name that matches several devices.
    #[error("`{name}` matches several {direction} devices: {}; give more of the name or the device id", candidates.join(", "))]
    AmbiguousDevice {
        /// "input" or "output".
        direction: &'static str,
        /// The name asked for.
        name: String,
        /// The devices it matches.
        candidates: Vec<String>,
    },
    /// The host has no default device of that direction.
    #[error("audio host `{host}` has no default {direction} device; name one with --device")]
    NoDefaultDevice {
        /// The host.
        host: String,
        /// "input" or "output".
        direction: &'static str,
    },
    /// A device failed while being queried, opened or started.
    #[error("{direction} device `{device}`: {reason}")]
    Device {
        /// "input" or "output".
        direction: &'static str,
        /// The device.
        device: String,
        /// What the host said.
        reason: String,
    },
    /// The device supports no stream the session can use.
    #[error(
        "{direction} device `{device}` cannot run {channels} channel(s) at {rate} Hz; it supports: {supported}"
    )]
    UnsupportedStream {
        /// "input" or "output".
        direction: &'static str,
        /// The device.
        device: String,
        /// Channels wanted.
        channels: usize,
        /// Rate wanted.
        rate: u32,
        /// What it supports, for people.
        supported: String,
    },
    /// Input and output devices share no sample rate.
    #[error(
        "input device `{input}` runs at {} Hz and output device `{output}` at {} Hz; they share no rate, so live input cannot reach the output without drift (pick devices with a common rate, or set both to the same rate)",
        join_rates(input_rates),
        join_rates(output_rates)
    )]
    RateMismatch {
        /// The input device.
        input: String,
        /// Its rates.
        input_rates: Vec<u32>,
        /// The output device.
        output: String,
        /// Its rates.
        output_rates: Vec<u32>,
    },
    /// The chain output has more channels than the device can take.
    #[error(
        "chain output `{output}` has {channels} channel(s) but device `{device}` takes at most {device_channels}"
    )]
    TooManyChannels {
        /// The chain output.
        output: String,
        /// Its channels.
        channels: usize,
        /// The device.
        device: String,
        /// The device's channels.
        device_channels: usize,
    },
    /// A chain input with nothing feeding it.
    #[error("chain input `{name}` is not bound; {hint}")]
    UnboundInput {
        /// The input.
        name: String,
        /// How to bind it.
        hint: String,
    },
    /// A binding names an input the chain does not have.
    #[error("the chain has no input `{name}`; its inputs: {}", available.join(", "))]
    UnknownInput {
        /// The name given.
        name: String,
        /// The chain's inputs.
        available: Vec<String>,
    },
    /// A source's channel count does not fit the chain input.
    #[error(
        "input `{name}`: the source has {found} channel(s) but the chain input takes {expected}"
    )]
    InputChannels {
        /// The input.
        name: String,
        /// Channels of the chain input.
        expected: usize,
        /// Channels of the source.
        found: usize,
    },
    /// The chain has no output to play.
    #[error("the chain has no output node; nothing to play")]
    NoOutput,
    /// The output asked for does not exist.
    #[error("the chain has no output `{name}`; its outputs: {}", available.join(", "))]
    UnknownOutput {
        /// The name given.
        name: String,
        /// The chain's outputs.
        available: Vec<String>,
    },
    /// The chain does not compile.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A file could not be opened, read, decoded or resampled.
    #[error(transparent)]
    Audio(#[from] AudioIoError),
    /// A source failed to read or decode.
    #[error("input `{input}`: {reason}")]
    Source {
        /// The input.
        input: String,
        /// What went wrong.
        reason: String,
    },
    /// A reloaded chain cannot replace the playing one.
    #[error("the edited chain cannot replace the playing one: {reason}")]
    Reload {
        /// Why.
        reason: String,
    },
    /// A previous reload has not reached the audio thread yet.
    #[error("the audio thread has not taken the previous chain yet; try again in a moment")]
    Busy,
    /// A parameter change names a node that does not exist.
    #[error("no node `{node}` in the playing chain")]
    UnknownNode {
        /// The name given.
        node: String,
    },
    /// A parameter change names a parameter the node does not have.
    #[error("node `{node}` ({kind}) has no parameter `{param}`")]
    UnknownParam {
        /// The node.
        node: String,
        /// Its kind.
        kind: String,
        /// The name given.
        param: String,
    },
    /// A parameter value does not fit, or the parameter cannot change while playing.
    #[error("node `{node}`: {source}")]
    Param {
        /// The node.
        node: String,
        /// The problem.
        #[source]
        source: ParamError,
    },
    /// A setting of the session is impossible.
    #[error("{0}")]
    Config(String),
    /// A thread could not be started.
    #[error("cannot start the {name} thread: {source}")]
    Thread {
        /// Which thread.
        name: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn join_rates(rates: &[u32]) -> String {
    if rates.is_empty() {
        return "no known rate".to_string();
    }
    rates
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("/")
}
