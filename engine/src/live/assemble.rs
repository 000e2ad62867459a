//! Putting a live session together without a device: compile the chain, make one ring per
//! chain input, the queues between the threads and the meter, and return the three parts:
//! the [`Controller`] (control thread), the [`AudioCore`] (audio callback) and the ring
//! writers (decoder or capture threads). The session wires them to cpal streams; tests and
//! the benchmark drive them directly.

use std::sync::Arc;

use rtrb::RingBuffer;

use super::controller::Controller;
use super::core::{AudioCore, device_map};
use super::error::LiveError;
use super::fade::{FadeCurves, Phase};
use super::live_graph::LiveGraph;
use super::meter::meter;
use super::reload::GraphShadow;
use super::ring::{RingMode, RingWriter, ring};
use super::status::SharedStatus;
use crate::compile::{CompileConfig, compile};
use crate::graph::Graph;
use crate::schedule::Schedule;

/// Chains that can wait to be taken by the audio thread.
const SWAP_QUEUE: usize = 2;
/// Retired chains that can wait to be dropped by the control thread.
const RETIRED_QUEUE: usize = 8;
/// Parameter changes that can wait for the audio thread.
const PARAM_QUEUE: usize = 1024;

/// How a live input ring is read (see [`AssembleOptions::capture`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLatency {
    /// Frames buffered before the input is read (and again after an underrun).
    pub target_frames: usize,
    /// Frames above which the excess is skipped (clock drift between devices).
    pub ceiling_frames: usize,
}

/// Settings of a live session that do not depend on the device API.
#[derive(Debug, Clone)]
pub struct AssembleOptions {
    /// The chain output to play; `None` for the first.
    pub output: Option<String>,
    /// Channels of the device; 0 for as many as the chain output has.
    pub device_channels: usize,
    /// Length of a handover fade, in milliseconds.
    pub fade_ms: f64,
    /// Capacity of each input ring, in frames.
    pub ring_frames: usize,
    /// `Some` when the inputs are fed live by a capture device, `None` for files.
    pub capture: Option<CaptureLatency>,
}

impl Default for AssembleOptions {
    fn default() -> Self {
        AssembleOptions {
            output: None,
            device_channels: 0,
            fade_ms: 20.0,
            ring_frames: 1 << 15,
            capture: None,
        }
    }
}

/// The three parts of a live session.
pub struct LiveParts {
    /// The control half.
    pub controller: Controller,
    /// The audio callback's body.
    pub core: AudioCore,
    /// One ring writer per chain input, in the schedule's input order.
    pub writers: Vec<RingWriter>,
}

/// Compiles `graph` with `config` and builds the parts of a live session around it.
///
/// # Errors
/// [`LiveError::Graph`] when the chain does not compile, [`LiveError::NoOutput`] or
/// [`LiveError::UnknownOutput`] when there is nothing to play, [`LiveError::Config`] when
/// the chain output is wider than the device.
pub fn assemble(
    graph: &Graph,
    config: CompileConfig,
    options: &AssembleOptions,
) -> Result<LiveParts, LiveError> {
    let schedule = compile(graph, &config)?;
    assemble_compiled(graph, schedule, config, options)
}

/// As [`assemble`], for a schedule already compiled from `graph` with `config`.
///
/// # Errors
/// As [`assemble`].
pub fn assemble_compiled(
    graph: &Graph,
    mut schedule: Schedule,
    config: CompileConfig,
    options: &AssembleOptions,
) -> Result<LiveParts, LiveError> {
    let shadow = GraphShadow::new(graph, &mut schedule, &config)?;
    let output = pick_output(&schedule, options.output.as_deref())?;
    let out_port = &schedule.outputs()[output];
    let out_channels = out_port.channels;
    let device_channels = if options.device_channels == 0 {
        out_channels
    } else {
        options.device_channels
    };
    if out_channels > device_channels && out_channels != 1 {
        return Err(LiveError::Config(format!(
            "chain output `{}` has {out_channels} channel(s) but the device takes {device_channels}",
            out_port.name
        )));
    }
    let mode = match options.capture {
        None => RingMode::File,
        Some(c) => RingMode::Capture {
            target: c.target_frames,
            ceiling: c.ceiling_frames.max(c.target_frames),
        },
    };
    let (writers, readers): (Vec<_>, Vec<_>) = schedule
        .inputs()
        .iter()
        .map(|p| ring(&p.name, p.channels, options.ring_frames, mode))
        .unzip();
    let max_block = config.max_block;
    let staging = readers
        .iter()
        .map(|r| {
            (0..r.channels())
                .map(|_| vec![0.0f32; max_block].into_boxed_slice())
                .collect()
        })
        .collect();
    let (tap, reader) = meter(out_channels, config.sample_rate);
    let status = Arc::new(SharedStatus::default());
    let (swap_tx, swap_rx) = RingBuffer::new(SWAP_QUEUE);
    let (retired_tx, retired_rx) = RingBuffer::new(RETIRED_QUEUE);
    let (param_tx, param_rx) = RingBuffer::new(PARAM_QUEUE);
    let mut controller = Controller {
        swaps: swap_tx,
        retired: retired_rx,
        params: param_tx,
        meter: reader,
        status: status.clone(),
        shadow,
        rings: schedule
            .inputs()
            .iter()
            .map(|p| (p.name.clone(), p.channels))
            .collect(),
        output: (out_port.name.clone(), out_channels),
        generation: 0,
        config,
    };
    let (ring_of_input, output) = controller.bind(&schedule)?;
    let fade_frames =
        (options.fade_ms.max(0.0) * 0.001 * controller.config.sample_rate).round() as usize;
    let core = AudioCore {
        current: Some(Box::new(LiveGraph {
            schedule,
            generation: 0,
            ring_of_input,
            output,
            adopt: Box::new([]),
            retune: Box::new([]),
        })),
        incoming: None,
        phase: Phase::Steady,
        fades: FadeCurves::new(fade_frames),
        swaps: swap_rx,
        retired: retired_tx,
        graveyard: None,
        params: param_rx,
        rings: readers.into(),
        staging,
        mix: (0..out_channels)
            .map(|_| vec![0.0f32; max_block].into_boxed_slice())
            .collect(),
        device_map: device_map(out_channels, device_channels),
        meter: tap,
        status,
        max_block,
        after_end: 0,
        retired_faults: 0,
    };
    controller.collect();
    Ok(LiveParts {
        controller,
        core,
        writers,
    })
}

/// The index of the chain output to play: the one named, or the first.
///
/// # Errors
/// [`LiveError::NoOutput`] or [`LiveError::UnknownOutput`].
pub(crate) fn pick_output(schedule: &Schedule, name: Option<&str>) -> Result<usize, LiveError> {
    let outputs = schedule.outputs();
    match name {
        None if outputs.is_empty() => Err(LiveError::NoOutput),
        None => Ok(0),
        Some(name) => {
            outputs
                .iter()
                .position(|o| o.name == name)
                .ok_or_else(|| LiveError::UnknownOutput {
                    name: name.to_string(),
                    available: outputs.iter().map(|o| o.name.clone()).collect(),
                })
        }
    }
}
