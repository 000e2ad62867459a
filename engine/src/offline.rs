//! The offline renderer: files in, files out, as fast as the CPU allows.
//!
//! [`render`] binds files to the graph's `input` and `output` nodes, converts inputs to the
//! session rate, compiles the graph with the files' channel counts, and streams block by
//! block (memory does not grow with file length). Shorter inputs are padded with silence;
//! each output's head latency is trimmed and the graph's tail flushed, so every output is
//! exactly as long as the longest input plus the tail, sample-aligned with the inputs.
//! Outputs are written to temporary files and only renamed onto their targets once all of
//! them are complete; an input is never overwritten.

mod error;
mod read_ahead;
mod report;
mod sink;
mod source;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

pub use error::RenderError;
pub use report::{InputNotice, NodeReadings, OutputReport, RenderReport};

use crate::builtin::{INPUT, OUTPUT};
use crate::compile::{CompileConfig, compile};
use crate::graph::Graph;
use crate::io::{AudioReader, AudioWriter, OutputFormat, check_not_input, same_file};
use crate::schedule::Schedule;
use sink::Sink;
use source::{Input, Source};

/// The block size used when a request does not say.
pub const DEFAULT_BLOCK: usize = 1024;

/// The session rate used when there is no input to take it from.
pub const DEFAULT_SAMPLE_RATE: u32 = 48_000;

/// Which files feed and receive a render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderRequest {
    /// (input node name, file) for every `input` node of the graph.
    pub inputs: Vec<(String, PathBuf)>,
    /// (output node name, file, format) for each file to write; an output node may be
    /// written to several files (say a 24-bit and a 16-bit deliverable) or to none.
    pub outputs: Vec<(String, PathBuf, OutputFormat)>,
    /// Frames per processing block.
    pub block: usize,
    /// The session rate; `None` takes the first input's rate (48 kHz without inputs).
    pub sample_rate: Option<u32>,
    /// Threads that run the schedule: independent branches (stems, strips, buses) share
    /// them, with output bit-identical to one thread. Default: the machine's cores.
    pub threads: usize,
}

impl Default for RenderRequest {
    fn default() -> Self {
        RenderRequest {
            inputs: Vec::new(),
            outputs: Vec::new(),
            block: DEFAULT_BLOCK,
            sample_rate: None,
            threads: crate::compile::available_threads(),
        }
    }
}

impl RenderRequest {
    /// An empty request with the default block size.
    pub fn new() -> Self {
        RenderRequest::default()
    }

    /// Binds a file to an input node.
    #[must_use]
    pub fn input(mut self, node: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.inputs.push((node.into(), path.into()));
        self
    }

    /// Writes an output node to a file.
    #[must_use]
    pub fn output(
        mut self,
        node: impl Into<String>,
        path: impl Into<PathBuf>,
        format: OutputFormat,
    ) -> Self {
        self.outputs.push((node.into(), path.into(), format));
        self
    }

    /// Sets the session rate.
    #[must_use]
    pub fn sample_rate(mut self, rate: u32) -> Self {
        self.sample_rate = Some(rate);
        self
    }

    /// Sets how many threads run the schedule (at least 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.clamp(1, crate::compile::MAX_THREADS);
        self
    }

    /// Sets the block size.
    #[must_use]
    pub fn block(mut self, frames: usize) -> Self {
        self.block = frames;
        self
    }
}

/// Renders `graph` from the request's input files to its output files.
///
/// `progress` is called after every block with (frames processed, total frames to process);
/// the total is 0 while unknown (an input whose header does not give its length).
///
/// # Errors
/// A binding that names no node or leaves an input unbound, an output path equal to an
/// input, a file that cannot be read or written, a channel count that does not fit, or a
/// graph that does not compile. No output file exists after an error (outputs are renamed
/// into place only once all of them are complete; only a rename refused by the operating
/// system midway through that last step can leave the earlier outputs in place).
pub fn render(
    graph: &Graph,
    request: &RenderRequest,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RenderReport, RenderError> {
    let started = Instant::now();
    check_bindings(graph, request)?;
    check_paths(request)?;
    let readers = request
        .inputs
        .iter()
        .map(|(_, path)| AudioReader::open(path))
        .collect::<Result<Vec<_>, _>>()?;
    let rate = request.sample_rate.unwrap_or_else(|| {
        readers
            .first()
            .map_or(DEFAULT_SAMPLE_RATE, |r| r.info().sample_rate)
    });
    if rate == 0 {
        return Err(RenderError::SampleRate { rate });
    }
    let mut notices = Vec::new();
    let mut config = CompileConfig::new(f64::from(rate), request.block);
    config.threads = request.threads;
    let mut inputs = Vec::with_capacity(readers.len());
    for ((name, path), reader) in request.inputs.iter().zip(readers) {
        let input = Input::new(graph, name, path, reader, rate, &mut notices)?;
        config.input_channels.insert(name.clone(), input.width);
        inputs.push(input);
    }
    let mut schedule = compile(graph, &config)?;
    // Order inputs as the schedule addresses them, and start reading them ahead.
    let slots: HashMap<&str, usize> = schedule
        .inputs()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut sources: Vec<(usize, Source)> = inputs
        .into_iter()
        .filter_map(|i| slots.get(i.name.as_str()).map(|&slot| (slot, i.start())))
        .collect();
    let mut sinks = open_sinks(&schedule, request, rate)?;

    let block = request.block;
    let tail = schedule.tail() as u64;
    let latency = schedule.latency() as u64;
    let estimate = sources
        .iter()
        .map(|(_, s)| s.estimate())
        .try_fold(0u64, |m, f| f.map(|f| m.max(f)));
    let mut length: Option<u64> = if sources.is_empty() { Some(0) } else { None };
    let mut position = 0u64;
    loop {
        for (slot, source) in &mut sources {
            source.fill(&mut schedule, *slot, block)?;
        }
        if length.is_none() && sources.iter().all(|(_, s)| s.ended) {
            length = Some(sources.iter().map(|(_, s)| s.frames).max().unwrap_or(0));
        }
        let end = length.map(|l| l + tail + latency);
        let frames = end.map_or(block, |e| {
            e.saturating_sub(position).min(block as u64) as usize
        });
        if frames == 0 {
            break;
        }
        schedule.process(frames);
        for sink in &mut sinks {
            sink.write(&schedule, position, frames, length.map(|l| l + tail))?;
        }
        position += frames as u64;
        progress(
            position,
            end.or(estimate.map(|l| l + tail + latency)).unwrap_or(0),
        );
    }
    let length = length.unwrap_or(0);
    for (_, source) in &sources {
        if source.frames < length {
            notices.push(InputNotice::Padded {
                input: source.name.clone(),
                path: source.path().to_path_buf(),
                frames: length - source.frames,
            });
        }
    }
    finish(schedule, sinks, notices, rate, length, started)
}

/// Completes every output, renames them all, and builds the report.
fn finish(
    schedule: Schedule,
    sinks: Vec<Sink>,
    notices: Vec<InputNotice>,
    rate: u32,
    length: u64,
    started: Instant,
) -> Result<RenderReport, RenderError> {
    let mut pending = Vec::with_capacity(sinks.len());
    let mut names = Vec::with_capacity(sinks.len());
    for sink in sinks {
        names.push(sink.name.clone());
        pending.push(sink.finalize()?);
    }
    let mut outputs = Vec::with_capacity(pending.len());
    let mut faults = schedule.faults();
    for (name, file) in names.into_iter().zip(pending) {
        let s = file.commit()?;
        faults += s.faults;
        outputs.push(OutputReport {
            peak_dbfs: s.peak_dbfs(),
            name,
            path: s.path,
            frames: s.frames,
            sample_rate: s.sample_rate,
            channels: s.channels,
            format: s.format,
            dither: s.dither,
        });
    }
    let tail = schedule.tail();
    let wall_time = started.elapsed();
    let audio_secs = (length + tail as u64) as f64 / f64::from(rate);
    let readings = schedule
        .readings()
        .into_iter()
        .map(|(node, kind, readings)| NodeReadings {
            node,
            kind: kind.to_string(),
            readings,
        })
        .collect();
    Ok(RenderReport {
        outputs,
        sample_rate: rate,
        latency: schedule.latency(),
        tail,
        input_frames: length,
        notices,
        wall_time,
        realtime_factor: audio_secs / wall_time.as_secs_f64().max(1e-9),
        faults,
        readings,
    })
}

/// Names of the graph's nodes of one kind, in insertion order.
fn nodes_of_kind(graph: &Graph, kind: &str) -> Vec<String> {
    graph
        .nodes()
        .filter(|(_, n)| n.kind_name() == kind)
        .map(|(_, n)| n.name.clone())
        .collect()
}

/// Every input node is bound exactly once, and every binding names an existing node.
fn check_bindings(graph: &Graph, request: &RenderRequest) -> Result<(), RenderError> {
    let inputs = nodes_of_kind(graph, INPUT);
    let outputs = nodes_of_kind(graph, OUTPUT);
    let mut bound = HashSet::new();
    for (name, _) in &request.inputs {
        if !inputs.contains(name) {
            return Err(RenderError::UnknownInput {
                name: name.clone(),
                inputs,
            });
        }
        if !bound.insert(name.as_str()) {
            return Err(RenderError::DuplicateInput { name: name.clone() });
        }
    }
    if let Some(node) = inputs.iter().find(|n| !bound.contains(n.as_str())) {
        return Err(RenderError::UnboundInput {
            node: node.clone(),
            inputs: inputs.clone(),
        });
    }
    for (name, _, _) in &request.outputs {
        if !outputs.contains(name) {
            return Err(RenderError::UnknownOutput {
                name: name.clone(),
                outputs,
            });
        }
    }
    Ok(())
}

/// No output overwrites an input, and no two outputs share a file.
fn check_paths(request: &RenderRequest) -> Result<(), RenderError> {
    for (i, (_, path, _)) in request.outputs.iter().enumerate() {
        check_not_input(path, request.inputs.iter().map(|(_, p)| p))?;
        if request.outputs[..i]
            .iter()
            .any(|(_, other, _)| same_file(path, other))
        {
            return Err(RenderError::DuplicateOutputPath { path: path.clone() });
        }
    }
    Ok(())
}

/// The name of a render thread doing `job` for the node `node` (without the NUL bytes a
/// thread name cannot hold).
fn thread_name(job: &str, node: &str) -> String {
    format!("mixgraph-{job}-{}", node.replace('\0', ""))
}

/// Opens a writer for every requested output file.
fn open_sinks(
    schedule: &Schedule,
    request: &RenderRequest,
    rate: u32,
) -> Result<Vec<Sink>, RenderError> {
    let mut sinks = Vec::with_capacity(request.outputs.len());
    for (name, path, format) in &request.outputs {
        let Some((output, port)) = schedule
            .outputs()
            .iter()
            .enumerate()
            .find(|(_, p)| &p.name == name)
        else {
            return Err(RenderError::UnknownOutput {
                name: name.clone(),
                outputs: schedule.outputs().iter().map(|p| p.name.clone()).collect(),
            });
        };
        let writer = AudioWriter::create(path, port.channels, rate, *format)?;
        sinks.push(Sink::new(
            name.clone(),
            output,
            port.latency as u64,
            writer,
            request.block,
        ));
    }
    Ok(sinks)
}
