//! The steps of a compiled schedule over physical buffers, how each is built from its plan
//! step, and how each runs. One step runs the same way wherever it is: on the calling thread
//! over the shared pool, or inside a parallel job over the job's own buffers; only the
//! buffers it is handed differ. Nothing here allocates while running.

use crate::automation::ParamEvent;
use crate::compile::CompileConfig;
use crate::compile::plan::{PlanStep, Signal};
use crate::error::GraphError;
use crate::graph::Graph;
use crate::node::Processor;
use crate::param::db_to_gain;
use crate::process::{Inputs, Outputs, ProcessContext};

/// A node's run: where its inputs are read and its outputs written, and its automation.
pub(super) struct NodeStep {
    /// The node (index into the schedule's processors).
    pub(super) node: usize,
    /// Buffer of every input channel, port after port.
    pub(super) in_channels: Box<[u32]>,
    pub(super) in_ports: Box<[(u32, u32)]>,
    pub(super) connected: Box<[bool]>,
    /// Buffer of every output channel, port after port.
    pub(super) out_channels: Box<[u32]>,
    pub(super) out_ports: Box<[(u32, u32)]>,
    pub(super) events: Box<[ParamEvent]>,
    pub(super) next_event: usize,
}

/// A latency-compensation delay.
pub(super) struct DelayLine {
    pub(super) ring: Box<[f32]>,
    pub(super) pos: usize,
}

/// A feedback node's memory: what it was fed, read back `delay` frames later.
pub(super) struct FeedbackRing {
    pub(super) channels: Box<[Box<[f32]>]>,
    pub(super) delay: usize,
    pub(super) gain: f32,
    pub(super) write: usize,
}

/// One step over buffer indices.
pub(super) enum Step {
    Node(NodeStep),
    Sum { dest: u32, sources: Box<[u32]> },
    Delay { line: usize, src: u32, dest: u32 },
    FeedbackRead { ring: usize, dest: Box<[u32]> },
    FeedbackWrite { ring: usize, src: Box<[u32]> },
}

impl Step {
    /// The buffers this step writes, in the order [`Step::run`] takes them.
    pub(super) fn written(&self) -> &[u32] {
        match self {
            Step::Node(n) => &n.out_channels,
            Step::Sum { dest, .. } | Step::Delay { dest, .. } => std::slice::from_ref(dest),
            Step::FeedbackRead { dest, .. } => dest,
            Step::FeedbackWrite { .. } => &[],
        }
    }

    /// Runs the step with its outputs in `own`: takes them out into `scratch` (which has
    /// room for them, so nothing is allocated) while it runs, then puts them back. It reads
    /// from `shared` when given, else from `own`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the disjoint pieces of state one step touches, borrowed separately so jobs can run them on different threads"
    )]
    pub(super) fn run_in(
        &mut self,
        processor: Option<&mut (dyn Processor + 'static)>,
        own: &mut [Box<[f32]>],
        shared: Option<&[Box<[f32]>]>,
        scratch: &mut Vec<Box<[f32]>>,
        delays: &mut [DelayLine],
        rings: &mut [FeedbackRing],
        start: u64,
        frames: usize,
    ) {
        scratch.clear();
        for &b in self.written() {
            scratch.push(std::mem::take(&mut own[b as usize]));
        }
        let reads = shared.unwrap_or(&*own);
        self.run(processor, reads, scratch, delays, rings, start, frames);
        for (&b, buffer) in self.written().iter().zip(scratch.drain(..)) {
            own[b as usize] = buffer;
        }
    }

    /// Runs the step over `frames` frames starting at timeline position `start`, reading
    /// from `reads` and writing `outputs` (the buffers of [`Step::written`], in order, taken
    /// out of wherever they live). A node step runs `processor`; delay and feedback steps use
    /// their line or ring in `delays` and `rings`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the disjoint pieces of state one step touches, borrowed separately so jobs can run them on different threads"
    )]
    fn run(
        &mut self,
        processor: Option<&mut (dyn Processor + 'static)>,
        reads: &[Box<[f32]>],
        outputs: &mut [Box<[f32]>],
        delays: &mut [DelayLine],
        rings: &mut [FeedbackRing],
        start: u64,
        frames: usize,
    ) {
        match self {
            Step::Node(n) => {
                if let Some(processor) = processor {
                    run_node(n, processor, reads, outputs, start, frames);
                }
            }
            Step::Sum { sources, .. } => {
                if let Some(out) = outputs.first_mut() {
                    sum(&mut out[..frames], reads, sources);
                }
            }
            Step::Delay { line, src, .. } => {
                if let (Some(out), Some(line)) = (outputs.first_mut(), delays.get_mut(*line)) {
                    delay(line, &mut out[..frames], &reads[*src as usize][..frames]);
                }
            }
            Step::FeedbackRead { ring, .. } => {
                if let Some(ring) = rings.get(*ring) {
                    feedback_read(ring, outputs, frames);
                }
            }
            Step::FeedbackWrite { ring, src } => {
                if let Some(ring) = rings.get_mut(*ring) {
                    feedback_write(ring, reads, src, frames);
                }
            }
        }
    }
}

/// The state serial steps run against: the schedule's fields, borrowed for one block.
pub(super) struct Serial<'a> {
    pub(super) processors: &'a mut [Box<dyn Processor>],
    pub(super) pool: &'a mut Vec<Box<[f32]>>,
    /// Room for the outputs of the widest step.
    pub(super) scratch: &'a mut Vec<Box<[f32]>>,
    pub(super) delays: &'a mut [DelayLine],
    pub(super) rings: &'a mut [FeedbackRing],
    /// Timeline position of the block's first frame.
    pub(super) start: u64,
    pub(super) frames: usize,
}

impl Serial<'_> {
    /// Runs `steps` in order over the shared pool.
    pub(super) fn run(&mut self, steps: &mut [Step]) {
        for step in steps {
            let processor = match step {
                Step::Node(n) => self.processors.get_mut(n.node).map(|p| p.as_mut()),
                _ => None,
            };
            step.run_in(
                processor,
                self.pool,
                None,
                self.scratch,
                self.delays,
                self.rings,
                self.start,
                self.frames,
            );
        }
    }
}

/// Runs one node over the block, split at the frames where its automation events fall.
fn run_node(
    n: &mut NodeStep,
    processor: &mut dyn Processor,
    reads: &[Box<[f32]>],
    outputs: &mut [Box<[f32]>],
    start: u64,
    frames: usize,
) {
    let end = start + frames as u64;
    let mut done = 0usize;
    while done < frames {
        // Apply every event due at this frame.
        while let Some(e) = n.events.get(n.next_event) {
            if e.frame > start + done as u64 {
                break;
            }
            processor.set_param(e.param as usize, e.value, e.ramp as usize);
            n.next_event += 1;
        }
        let until = n.events.get(n.next_event).map_or(end, |e| e.frame.min(end));
        let chunk = (until - (start + done as u64)) as usize;
        let inputs = Inputs {
            pool: reads,
            channels: &n.in_channels,
            ports: &n.in_ports,
            connected: &n.connected,
            offset: done,
            frames: chunk,
        };
        let outputs = Outputs {
            buffers: &mut *outputs,
            ports: &n.out_ports,
            offset: done,
            frames: chunk,
        };
        let mut ctx = ProcessContext::new(inputs, outputs, start + done as u64);
        processor.process(&mut ctx);
        done += chunk;
    }
}

/// `out` = the sum of the `sources` buffers, added in order.
fn sum(out: &mut [f32], reads: &[Box<[f32]>], sources: &[u32]) {
    let frames = out.len();
    let (first, rest) = sources.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    out.copy_from_slice(&reads[first as usize][..frames]);
    for &s in rest {
        for (o, x) in out.iter_mut().zip(&reads[s as usize][..frames]) {
            *o += *x;
        }
    }
}

/// `out` = `input` delayed by the line's length.
fn delay(line: &mut DelayLine, out: &mut [f32], input: &[f32]) {
    let len = line.ring.len();
    for (o, x) in out.iter_mut().zip(input) {
        *o = line.ring[line.pos];
        line.ring[line.pos] = *x;
        line.pos += 1;
        if line.pos == len {
            line.pos = 0;
        }
    }
}

/// Each output channel = what the ring was fed `delay` frames ago, times its gain.
fn feedback_read(r: &FeedbackRing, outputs: &mut [Box<[f32]>], frames: usize) {
    for (data, out) in r.channels.iter().zip(outputs.iter_mut()) {
        let len = data.len();
        let mut read = (r.write + len - r.delay) % len;
        for o in out[..frames].iter_mut() {
            *o = data[read] * r.gain;
            read += 1;
            if read == len {
                read = 0;
            }
        }
    }
}

/// Feeds the ring this block's input (non-finite samples as silence).
fn feedback_write(r: &mut FeedbackRing, reads: &[Box<[f32]>], src: &[u32], frames: usize) {
    let len = r.channels.first().map_or(1, |c| c.len());
    for (ch, &s) in src.iter().enumerate() {
        if let Some(data) = r.channels.get_mut(ch) {
            let mut w = r.write;
            for x in &reads[s as usize][..frames] {
                data[w] = if x.is_finite() { *x } else { 0.0 };
                w += 1;
                if w == len {
                    w = 0;
                }
            }
        }
    }
    r.write = (r.write + frames) % len;
}

/// Builds steps from plan steps; owns the feedback rings, which live on the calling thread.
pub(super) struct StepBuilder<'a> {
    graph: &'a Graph,
    config: &'a CompileConfig,
    /// The feedback rings made so far.
    pub(super) rings: Vec<FeedbackRing>,
    ring_of_node: Vec<usize>,
}

impl<'a> StepBuilder<'a> {
    pub(super) fn new(graph: &'a Graph, config: &'a CompileConfig) -> Self {
        StepBuilder {
            graph,
            config,
            rings: Vec::new(),
            ring_of_node: vec![usize::MAX; graph.g.node_count()],
        }
    }

    /// The step for `step`, reading signal `s` from buffer `read(s)` and writing it to
    /// `write(s)`; a compensation delay's line is added to `delays`.
    ///
    /// # Errors
    /// A feedback delay shorter than the block.
    pub(super) fn build(
        &mut self,
        step: &PlanStep,
        read: impl Fn(Signal) -> u32,
        write: impl Fn(Signal) -> u32,
        delays: &mut Vec<DelayLine>,
    ) -> Result<Step, GraphError> {
        let g = &self.graph.g;
        let config = self.config;
        let ports = |ports: &[Vec<Signal>], map: &dyn Fn(Signal) -> u32| {
            let mut ranges = Vec::with_capacity(ports.len());
            let mut flat = Vec::new();
            for port in ports {
                let a = flat.len() as u32;
                flat.extend(port.iter().map(|&s| map(s)));
                ranges.push((a, flat.len() as u32));
            }
            (flat.into_boxed_slice(), ranges.into_boxed_slice())
        };
        Ok(match step {
            PlanStep::Node {
                node,
                inputs,
                outputs,
            } => {
                let n = &g[*node];
                let (in_channels, in_ports) = ports(inputs, &read);
                let (out_channels, out_ports) = ports(outputs, &write);
                let mut events = Vec::new();
                for lane in &n.automation {
                    if let Some(index) = n.params.index_of(&lane.param) {
                        events.extend(lane.events(index as u16, config.sample_rate));
                    }
                }
                events.sort_by_key(|e| e.frame);
                Step::Node(NodeStep {
                    node: node.index(),
                    connected: inputs.iter().map(|p| !p.is_empty()).collect(),
                    in_channels,
                    in_ports,
                    out_channels,
                    out_ports,
                    events: events.into(),
                    next_event: 0,
                })
            }
            PlanStep::Sum { dest, sources } => Step::Sum {
                dest: write(*dest),
                sources: sources.iter().map(|&s| read(s)).collect(),
            },
            PlanStep::Delay { frames, src, dest } => {
                delays.push(DelayLine {
                    ring: vec![0.0; *frames].into(),
                    pos: 0,
                });
                Step::Delay {
                    line: delays.len() - 1,
                    src: read(*src),
                    dest: write(*dest),
                }
            }
            PlanStep::FeedbackRead { node, dest } => {
                let n = &g[*node];
                let delay = ((n.params.number("delay") * 0.001 * config.sample_rate).round()
                    as usize)
                    .max(1);
                if delay < config.max_block {
                    return Err(GraphError::Config(format!(
                        "feedback node `{}`: its delay of {delay} frames is shorter than the block of {} frames; raise `delay` or lower the block size",
                        n.name, config.max_block
                    )));
                }
                let len = delay + config.max_block;
                self.rings.push(FeedbackRing {
                    channels: (0..dest.len())
                        .map(|_| vec![0.0f32; len].into_boxed_slice())
                        .collect(),
                    delay,
                    gain: db_to_gain(n.params.number("gain")) as f32,
                    write: 0,
                });
                self.ring_of_node[node.index()] = self.rings.len() - 1;
                Step::FeedbackRead {
                    ring: self.rings.len() - 1,
                    dest: dest.iter().map(|&s| write(s)).collect(),
                }
            }
            PlanStep::FeedbackWrite { node, src } => Step::FeedbackWrite {
                ring: self.ring_of_node[node.index()],
                src: src.iter().map(|&s| read(s)).collect(),
            },
        })
    }
}
