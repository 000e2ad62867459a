//! A running live session: the chain bound to a device. [`LiveSession::play`] plays inputs
//! (files) through the chain to an output device; [`LiveSession::live`] runs a capture
//! device through the chain's first input to an output device. Either way the control
//! thread keeps the session and talks to it through its [`Controller`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use serde::Serialize;

use super::assemble::{AssembleOptions, CaptureLatency, LiveParts, assemble_compiled, pick_output};
use super::capture::CaptureTap;
use super::controller::Controller;
use super::devices::{Direction, find_device, find_host, label, supported_ranges};
use super::error::LiveError;
use super::feeder::{Feed, Feeder, FeederThread};
use super::resampled::ResampledSource;
use super::source::FrameSource;
use super::status::Status;
use super::stream::{open_input, open_output};
use super::stream_config::{
    COMMON_RATES, StreamRequest, StreamSetup, StreamSummary, negotiate, supported_rates,
};
use crate::compile::{CompileConfig, compile};
use crate::graph::Graph;
use crate::schedule::Schedule;

/// Settings of `play`.
#[derive(Debug, Clone)]
pub struct PlayOptions {
    /// Audio host; `None` for the first available.
    pub host: Option<String>,
    /// Output device name or id; `None` for the default.
    pub device: Option<String>,
    /// Largest block the chain runs.
    pub block: usize,
    /// Frames per device callback to ask for; `None` for the device's default, which favours
    /// glitch-free playback over latency (nothing live is being monitored).
    pub device_buffer: Option<u32>,
    /// Session rate; `None` for the first input's rate (converted when the device cannot).
    pub sample_rate: Option<u32>,
    /// The chain output to play; `None` for the first.
    pub output: Option<String>,
    /// Length of a hot-reload fade, in milliseconds.
    pub fade_ms: f64,
    /// How far the decoder reads ahead, in milliseconds.
    pub buffer_ms: f64,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            host: None,
            device: None,
            block: 256,
            device_buffer: None,
            sample_rate: None,
            output: None,
            fade_ms: 20.0,
            buffer_ms: 500.0,
        }
    }
}

/// Settings of `live`.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Audio host; `None` for the first available.
    pub host: Option<String>,
    /// Capture device name or id; `None` for the default.
    pub in_device: Option<String>,
    /// Output device name or id; `None` for the default.
    pub out_device: Option<String>,
    /// Largest block the chain runs, also asked of both devices as their buffer size.
    pub block: usize,
    /// Session rate; `None` for one both devices support (the output's own first).
    pub sample_rate: Option<u32>,
    /// The chain output to play; `None` for the first.
    pub output: Option<String>,
    /// Length of a hot-reload fade, in milliseconds.
    pub fade_ms: f64,
    /// Input audio held before it is read, in milliseconds (absorbs jitter between the two
    /// device callbacks).
    pub latency_ms: f64,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            host: None,
            in_device: None,
            out_device: None,
            block: 128,
            sample_rate: None,
            output: None,
            fade_ms: 20.0,
            latency_ms: 10.0,
        }
    }
}

/// A chain input to play and where its audio comes from.
pub struct PlayInput {
    /// The chain input's name.
    pub name: String,
    /// Its audio, at any rate (converted to the session's).
    pub source: Box<dyn FrameSource>,
}

/// What the session opened, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    /// The audio host.
    pub host: String,
    /// The output device.
    pub output_device: String,
    /// The output stream.
    pub output_stream: StreamSummary,
    /// The capture device, in `live` mode.
    pub input_device: Option<String>,
    /// The capture stream, in `live` mode.
    pub input_stream: Option<StreamSummary>,
    /// Frames per second of the session.
    pub sample_rate: u32,
    /// Largest block the chain runs.
    pub block: usize,
    /// The chain's latency, in frames.
    pub chain_latency: usize,
    /// Inputs converted to the session rate.
    pub resampled_inputs: Vec<String>,
}

/// A running session. Dropping it stops the streams and the decoder.
pub struct LiveSession {
    controller: Controller,
    output_stream: Option<cpal::Stream>,
    input_stream: Option<cpal::Stream>,
    feeder: Option<FeederThread>,
    stop: Arc<AtomicBool>,
    info: SessionInfo,
}

impl LiveSession {
    /// Plays `inputs` through the chain to an output device and returns once playback has
    /// started. The rate is the first input's when the device supports it, else the
    /// device's (inputs are then converted).
    ///
    /// # Errors
    /// A device that cannot be found or opened, an input the chain does not have (or a chain
    /// input without a source), a chain that does not compile, a source that cannot be read.
    pub fn play(
        graph: &Graph,
        inputs: Vec<PlayInput>,
        options: &PlayOptions,
    ) -> Result<LiveSession, LiveError> {
        let host = find_host(options.host.as_deref())?;
        let device = find_device(&host, options.device.as_deref(), Direction::Output)?;
        let preferred = options
            .sample_rate
            .or_else(|| inputs.first().map(|i| i.source.sample_rate()));
        let input_channels: HashMap<String, usize> = inputs
            .iter()
            .map(|i| (i.name.clone(), i.source.channels()))
            .collect();
        let mut config = CompileConfig {
            sample_rate: f64::from(preferred.unwrap_or(COMMON_RATES[0])),
            max_block: options.block,
            input_channels,
            threads: 1, // an audio callback must never wait for worker threads
        };
        let mut schedule = compile(graph, &config)?;
        check_inputs(&schedule, &inputs)?;
        let output = pick_output(&schedule, options.output.as_deref())?;
        let out_channels = schedule.outputs()[output].channels;
        let request = StreamRequest {
            channels: out_channels,
            rates: preferred.into_iter().collect(),
            block: options.device_buffer,
            flexible_channels: true,
        };
        let setup = negotiate(&device, Direction::Output, &request)?;
        check_width(&schedule, output, &setup, &device)?;
        let rate = setup.sample_rate;
        if f64::from(rate) != config.sample_rate {
            config.sample_rate = f64::from(rate);
            schedule = compile(graph, &config)?;
        }
        let mut resampled_inputs = Vec::new();
        let mut sources = HashMap::new();
        for input in inputs {
            let source = if input.source.sample_rate() == rate {
                input.source
            } else {
                resampled_inputs.push(input.name.clone());
                Box::new(ResampledSource::new(input.source, rate, &input.name)?)
            };
            sources.insert(input.name, source);
        }
        let chain_latency = schedule.latency();
        let ring_frames = ((options.buffer_ms.max(0.0) * 0.001 * f64::from(rate)) as usize)
            .max(4 * options.block)
            .max(1024);
        let assemble = AssembleOptions {
            output: options.output.clone(),
            device_channels: usize::from(setup.channels),
            fade_ms: options.fade_ms,
            ring_frames,
            capture: None,
        };
        let LiveParts {
            controller,
            core,
            writers,
        } = assemble_compiled(graph, schedule, config, &assemble)?;
        let feeds = writers
            .into_iter()
            .map(|w| {
                let source = sources.remove(w.name()).ok_or_else(|| unbound(w.name()))?;
                Feed::new(source, w)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut feeder = Feeder::new(feeds);
        feeder.prefill()?;
        let stream = open_output(&device, &setup, core, controller.status.clone())?;
        let stop = Arc::new(AtomicBool::new(false));
        let feeder = feeder.spawn(stop.clone())?;
        let info = SessionInfo {
            host: host.id().name().to_string(),
            output_device: label(&device),
            output_stream: setup.summary(),
            input_device: None,
            input_stream: None,
            sample_rate: rate,
            block: options.block,
            chain_latency,
            resampled_inputs,
        };
        let session = LiveSession {
            controller,
            output_stream: Some(stream),
            input_stream: None,
            feeder: Some(feeder),
            stop,
            info,
        };
        session.start()?;
        Ok(session)
    }

    /// Runs a capture device through the chain's first input to an output device, at a
    /// rate both devices support.
    ///
    /// # Errors
    /// Devices that cannot be found or opened, devices that share no rate
    /// ([`LiveError::RateMismatch`], naming both), a chain without exactly one input, a chain
    /// that does not compile.
    pub fn live(graph: &Graph, options: &LiveOptions) -> Result<LiveSession, LiveError> {
        let host = find_host(options.host.as_deref())?;
        let out_device = find_device(&host, options.out_device.as_deref(), Direction::Output)?;
        let in_device = find_device(&host, options.in_device.as_deref(), Direction::Input)?;
        let rate = common_rate(&in_device, &out_device, options.sample_rate)?;
        let mut config = CompileConfig::new(f64::from(rate), options.block);
        let schedule = compile(graph, &config)?;
        let (input_name, input_channels) = match schedule.inputs() {
            [] => return Err(LiveError::Config(
                "the chain has no input node; `live` feeds its first input from the input device"
                    .into(),
            )),
            [only] => (only.name.clone(), only.channels),
            [first, second, ..] => {
                return Err(LiveError::UnboundInput {
                    name: second.name.clone(),
                    hint: format!(
                        "`live` feeds only one chain input (`{}`) from the input device",
                        first.name
                    ),
                });
            }
        };
        config.input_channels.insert(input_name, input_channels);
        let output = pick_output(&schedule, options.output.as_deref())?;
        let block = u32::try_from(options.block).ok();
        let out_request = StreamRequest {
            channels: schedule.outputs()[output].channels,
            rates: vec![rate],
            block,
            flexible_channels: true,
        };
        let out_setup = negotiate(&out_device, Direction::Output, &out_request)?;
        check_width(&schedule, output, &out_setup, &out_device)?;
        let in_request = StreamRequest {
            channels: input_channels,
            rates: vec![rate],
            block,
            flexible_channels: true,
        };
        let in_setup = negotiate(&in_device, Direction::Input, &in_request)?;
        if out_setup.sample_rate != rate || in_setup.sample_rate != rate {
            return Err(rate_mismatch(&in_device, &out_device, &[rate]));
        }
        let target = ((options.latency_ms.max(0.0) * 0.001 * f64::from(rate)) as usize)
            .max(2 * options.block);
        let ceiling = 4 * target + 4 * options.block;
        let assemble = AssembleOptions {
            output: options.output.clone(),
            device_channels: usize::from(out_setup.channels),
            fade_ms: options.fade_ms,
            ring_frames: 2 * ceiling + 8192,
            capture: Some(CaptureLatency {
                target_frames: target,
                ceiling_frames: ceiling,
            }),
        };
        let chain_latency = schedule.latency();
        let LiveParts {
            controller,
            core,
            mut writers,
        } = assemble_compiled(graph, schedule, config, &assemble)?;
        let writer = writers
            .pop()
            .ok_or_else(|| LiveError::Config("the chain has no input node".into()))?;
        let status = controller.status.clone();
        let tap = CaptureTap::new(writer, usize::from(in_setup.channels), status.clone());
        let output_stream = open_output(&out_device, &out_setup, core, status.clone())?;
        let input_stream = open_input(&in_device, &in_setup, tap, status)?;
        let info = SessionInfo {
            host: host.id().name().to_string(),
            output_device: label(&out_device),
            output_stream: out_setup.summary(),
            input_device: Some(label(&in_device)),
            input_stream: Some(in_setup.summary()),
            sample_rate: rate,
            block: options.block,
            chain_latency,
            resampled_inputs: Vec::new(),
        };
        let session = LiveSession {
            controller,
            output_stream: Some(output_stream),
            input_stream: Some(input_stream),
            feeder: None,
            stop: Arc::new(AtomicBool::new(false)),
            info,
        };
        session.start()?;
        Ok(session)
    }

    fn start(&self) -> Result<(), LiveError> {
        let play = |stream: &Option<cpal::Stream>, direction: Direction, device: &str| match stream
        {
            Some(s) => s.play().map_err(|e| LiveError::Device {
                direction: direction.as_str(),
                device: device.to_string(),
                reason: e.to_string(),
            }),
            None => Ok(()),
        };
        play(
            &self.output_stream,
            Direction::Output,
            &self.info.output_device,
        )?;
        play(
            &self.input_stream,
            Direction::Input,
            self.info.input_device.as_deref().unwrap_or_default(),
        )
    }

    /// The control half: reloads, parameter changes, meters, counters.
    pub fn controller(&mut self) -> &mut Controller {
        &mut self.controller
    }

    /// What was opened.
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// Whether the inputs have ended and the chain's tail has been played.
    pub fn is_finished(&self) -> bool {
        self.controller.is_finished()
    }

    /// Reports the decoder's error, once it has stopped on one (the inputs then end).
    ///
    /// # Errors
    /// The error the decoder stopped on.
    pub fn check(&mut self) -> Result<(), LiveError> {
        match &mut self.feeder {
            Some(f) => f.check(),
            None => Ok(()),
        }
    }

    /// How long the device takes to play what it has been given: the host's predicted
    /// delay, at least two callback buffers, plus a margin.
    pub fn drain_time(&self) -> Duration {
        let frames = self
            .output_stream
            .as_ref()
            .and_then(|s| s.buffer_size().ok())
            .unwrap_or(self.info.block as u32);
        let buffers = Duration::from_secs_f64(
            2.0 * f64::from(frames) / f64::from(self.info.sample_rate.max(1)),
        );
        buffers.max(self.controller.status.device_delay()) + Duration::from_millis(20)
    }

    /// Stops the streams and the decoder and returns the final counters.
    ///
    /// # Errors
    /// The error the decoder stopped on, if any.
    pub fn stop(mut self) -> Result<Status, LiveError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<Status, LiveError> {
        self.stop.store(true, Ordering::Release);
        // Dropping a stream stops its callback thread; the audio core (and the chains it
        // holds) is dropped with it, off the audio thread.
        self.input_stream.take();
        self.output_stream.take();
        let result = self.feeder.take().map_or(Ok(()), |mut f| f.join());
        self.controller.collect();
        result.map(|()| self.controller.status())
    }
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        // Errors of a session nobody stopped have no one to go to.
        if self.output_stream.is_some() || self.feeder.is_some() {
            self.shut_down().ok();
        }
    }
}

fn unbound(name: &str) -> LiveError {
    LiveError::UnboundInput {
        name: name.to_string(),
        hint: format!("pass --input {name}=FILE"),
    }
}

/// Every chain input has a source and every source a chain input.
fn check_inputs(schedule: &Schedule, inputs: &[PlayInput]) -> Result<(), LiveError> {
    let names: Vec<String> = schedule.inputs().iter().map(|p| p.name.clone()).collect();
    if let Some(extra) = inputs.iter().find(|i| !names.contains(&i.name)) {
        return Err(LiveError::UnknownInput {
            name: extra.name.clone(),
            available: names,
        });
    }
    match names.iter().find(|n| !inputs.iter().any(|i| i.name == **n)) {
        Some(missing) => Err(unbound(missing)),
        None => Ok(()),
    }
}

/// The device takes every channel of the chain output (a mono output plays on two).
fn check_width(
    schedule: &Schedule,
    output: usize,
    setup: &StreamSetup,
    device: &cpal::Device,
) -> Result<(), LiveError> {
    let port = &schedule.outputs()[output];
    if port.channels > usize::from(setup.channels) && port.channels != 1 {
        return Err(LiveError::TooManyChannels {
            output: port.name.clone(),
            channels: port.channels,
            device: label(device),
            device_channels: usize::from(setup.channels),
        });
    }
    Ok(())
}

/// A rate both devices support: the one asked for, else the output's default, the input's
/// default, then common rates.
fn common_rate(
    input: &cpal::Device,
    output: &cpal::Device,
    wanted: Option<u32>,
) -> Result<u32, LiveError> {
    let in_ranges = supported_ranges(input, Direction::Input)?;
    let out_ranges = supported_ranges(output, Direction::Output)?;
    let mut candidates: Vec<u32> = Vec::new();
    match wanted {
        Some(rate) => candidates.push(rate),
        None => {
            candidates.extend(output.default_output_config().ok().map(|c| c.sample_rate()));
            candidates.extend(input.default_input_config().ok().map(|c| c.sample_rate()));
            candidates.extend(COMMON_RATES);
        }
    }
    candidates
        .iter()
        .copied()
        .find(|&r| {
            in_ranges.iter().any(|c| c.contains_rate(r))
                && out_ranges.iter().any(|c| c.contains_rate(r))
        })
        .ok_or_else(|| rate_mismatch(input, output, &candidates))
}

fn rate_mismatch(input: &cpal::Device, output: &cpal::Device, candidates: &[u32]) -> LiveError {
    let rates = |d: &cpal::Device, direction| {
        supported_ranges(d, direction)
            .map(|r| supported_rates(&r, candidates))
            .unwrap_or_default()
    };
    LiveError::RateMismatch {
        input: label(input),
        input_rates: rates(input, Direction::Input),
        output: label(output),
        output_rates: rates(output, Direction::Output),
    }
}
