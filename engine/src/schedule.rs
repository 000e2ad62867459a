//! The compiled schedule: a flat list of steps over preallocated buffers, run one block at a
//! time. [`Schedule::process`] allocates nothing, takes no lock and does no I/O.

use crate::automation::ParamEvent;
use crate::compile::CompileConfig;
use crate::compile::buffers::Assignment;
use crate::compile::channels::NodeLayout;
use crate::compile::latency::LatencyPlan;
use crate::compile::plan::{Plan, PlanStep};
use crate::denormal::DenormalGuard;
use crate::error::GraphError;
use crate::graph::Graph;
use crate::node::{Processor, Reading};
use crate::param::{ParamKind, db_to_gain};
use crate::process::{Inputs, Outputs, ProcessContext};

/// A graph input or output as the schedule sees it.
#[derive(Debug, Clone)]
pub struct ExternalPort {
    /// The node name.
    pub name: String,
    /// Channel count.
    pub channels: usize,
    /// Frames of latency from the graph's inputs to this point.
    pub latency: usize,
    /// Frames of tail that may follow the end of the inputs here.
    pub tail: usize,
    buffers: Vec<u32>,
}

struct NodeStep {
    node: usize,
    in_channels: Box<[u32]>,
    in_ports: Box<[(u32, u32)]>,
    connected: Box<[bool]>,
    out_channels: Box<[u32]>,
    out_ports: Box<[(u32, u32)]>,
    events: Box<[ParamEvent]>,
    next_event: usize,
}

struct DelayLine {
    ring: Box<[f32]>,
    pos: usize,
}

struct FeedbackRing {
    channels: Box<[Box<[f32]>]>,
    delay: usize,
    gain: f32,
    write: usize,
}

enum Step {
    Node(NodeStep),
    Sum { dest: u32, sources: Box<[u32]> },
    Delay { line: usize, src: u32, dest: u32 },
    FeedbackRead { ring: usize, dest: Box<[u32]> },
    FeedbackWrite { ring: usize, src: Box<[u32]> },
}

/// A compiled graph, ready to run.
pub struct Schedule {
    steps: Vec<Step>,
    processors: Vec<Box<dyn Processor>>,
    node_names: Vec<String>,
    node_kinds: Vec<&'static str>,
    smoothing: Vec<Vec<usize>>,
    pool: Vec<Box<[f32]>>,
    scratch: Vec<Box<[f32]>>,
    delays: Vec<DelayLine>,
    rings: Vec<FeedbackRing>,
    inputs: Vec<ExternalPort>,
    outputs: Vec<ExternalPort>,
    sample_rate: f64,
    max_block: usize,
    position: u64,
    frames: usize,
    faults: u64,
}

impl Schedule {
    pub(crate) fn new(
        graph: &Graph,
        config: &CompileConfig,
        processors: Vec<Box<dyn Processor>>,
        layouts: &[NodeLayout],
        latency: &LatencyPlan,
        plan: &Plan,
        assignment: &Assignment,
    ) -> Result<Schedule, GraphError> {
        let g = &graph.g;
        let buf = |s: u32| assignment.buffer_of[s as usize];
        let bufs = |sigs: &[u32]| sigs.iter().map(|&s| buf(s)).collect::<Box<[u32]>>();
        let mut steps = Vec::with_capacity(plan.steps.len());
        let mut delays = Vec::new();
        let mut rings = Vec::new();
        let mut ring_of_node = vec![usize::MAX; g.node_count()];
        let mut widest = 0;
        for step in &plan.steps {
            match step {
                PlanStep::Node {
                    node,
                    inputs,
                    outputs,
                } => {
                    let n = &g[*node];
                    let mut in_ports = Vec::new();
                    let mut flat_in = Vec::new();
                    for port in inputs {
                        let a = flat_in.len() as u32;
                        flat_in.extend(port.iter().map(|&s| buf(s)));
                        in_ports.push((a, flat_in.len() as u32));
                    }
                    let mut out_ports = Vec::new();
                    let mut flat_out = Vec::new();
                    for port in outputs {
                        let a = flat_out.len() as u32;
                        flat_out.extend(port.iter().map(|&s| buf(s)));
                        out_ports.push((a, flat_out.len() as u32));
                    }
                    widest = widest.max(flat_out.len());
                    let mut events = Vec::new();
                    for lane in &n.automation {
                        if let Some(index) = n.params.index_of(&lane.param) {
                            events.extend(lane.events(index as u16, config.sample_rate));
                        }
                    }
                    events.sort_by_key(|e| e.frame);
                    steps.push(Step::Node(NodeStep {
                        node: node.index(),
                        connected: inputs.iter().map(|p| !p.is_empty()).collect(),
                        in_channels: flat_in.into(),
                        in_ports: in_ports.into(),
                        out_channels: flat_out.into(),
                        out_ports: out_ports.into(),
                        events: events.into(),
                        next_event: 0,
                    }));
                }
                PlanStep::Sum { dest, sources } => {
                    steps.push(Step::Sum {
                        dest: buf(*dest),
                        sources: bufs(sources),
                    });
                }
                PlanStep::Delay { frames, src, dest } => {
                    delays.push(DelayLine {
                        ring: vec![0.0; *frames].into(),
                        pos: 0,
                    });
                    steps.push(Step::Delay {
                        line: delays.len() - 1,
                        src: buf(*src),
                        dest: buf(*dest),
                    });
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
                    rings.push(FeedbackRing {
                        channels: (0..dest.len())
                            .map(|_| vec![0.0f32; len].into_boxed_slice())
                            .collect(),
                        delay,
                        gain: db_to_gain(n.params.number("gain")) as f32,
                        write: 0,
                    });
                    ring_of_node[node.index()] = rings.len() - 1;
                    steps.push(Step::FeedbackRead {
                        ring: rings.len() - 1,
                        dest: bufs(dest),
                    });
                }
                PlanStep::FeedbackWrite { node, src } => {
                    steps.push(Step::FeedbackWrite {
                        ring: ring_of_node[node.index()],
                        src: bufs(src),
                    });
                }
            }
        }
        let external =
            |(i, sigs): &(petgraph::graph::NodeIndex, Vec<u32>), at_output: bool| ExternalPort {
                name: g[*i].name.clone(),
                channels: if at_output {
                    sigs.len()
                } else {
                    layouts[i.index()].outputs[0]
                },
                latency: latency.at_input[i.index()],
                tail: latency.tail_at_input[i.index()],
                buffers: bufs(sigs).to_vec(),
            };
        let inputs = plan.inputs.iter().map(|p| external(p, false)).collect();
        let outputs = plan.outputs.iter().map(|p| external(p, true)).collect();
        let smoothing = g
            .node_indices()
            .map(|i| {
                g[i].params
                    .specs()
                    .iter()
                    .map(|s| match s.kind {
                        ParamKind::Number { smoothing_ms, .. } => {
                            (smoothing_ms * 0.001 * config.sample_rate).round() as usize
                        }
                        _ => 0,
                    })
                    .collect()
            })
            .collect();
        Ok(Schedule {
            steps,
            processors,
            node_names: g.node_indices().map(|i| g[i].name.clone()).collect(),
            node_kinds: g.node_indices().map(|i| g[i].kind_name()).collect(),
            smoothing,
            pool: (0..assignment.count)
                .map(|_| vec![0.0f32; config.max_block].into_boxed_slice())
                .collect(),
            scratch: Vec::with_capacity(widest),
            delays,
            rings,
            inputs,
            outputs,
            sample_rate: config.sample_rate,
            max_block: config.max_block,
            position: 0,
            frames: 0,
            faults: 0,
        })
    }

    /// Frames per second.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// The largest block [`Schedule::process`] takes.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// The graph's inputs, in the order their buffers are addressed.
    pub fn inputs(&self) -> &[ExternalPort] {
        &self.inputs
    }

    /// The graph's outputs, in the order their buffers are addressed.
    pub fn outputs(&self) -> &[ExternalPort] {
        &self.outputs
    }

    /// The largest latency of any output.
    pub fn latency(&self) -> usize {
        self.outputs.iter().map(|o| o.latency).max().unwrap_or(0)
    }

    /// The longest tail of any output.
    pub fn tail(&self) -> usize {
        self.outputs.iter().map(|o| o.tail).max().unwrap_or(0)
    }

    /// Number of audio buffers (one channel of one block each) the schedule uses.
    pub fn buffer_count(&self) -> usize {
        self.pool.len()
    }

    /// One line per step, for `mixgraph check`.
    pub fn describe(&self) -> Vec<String> {
        let list = |b: &[u32]| {
            b.iter()
                .map(|x| format!("b{x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ports = |flat: &[u32], ports: &[(u32, u32)]| {
            ports
                .iter()
                .map(|&(a, b)| format!("[{}]", list(&flat[a as usize..b as usize])))
                .collect::<Vec<_>>()
                .join(" ")
        };
        self.steps
            .iter()
            .map(|step| match step {
                Step::Node(n) => format!(
                    "run   {} ({}): {} -> {}",
                    self.node_names[n.node],
                    self.node_kinds[n.node],
                    ports(&n.in_channels, &n.in_ports),
                    ports(&n.out_channels, &n.out_ports)
                ),
                Step::Sum { dest, sources } => format!("sum   {} -> b{dest}", list(sources)),
                Step::Delay { line, src, dest } => {
                    format!(
                        "align b{src} by {} frames -> b{dest}",
                        self.delays[*line].ring.len()
                    )
                }
                Step::FeedbackRead { ring, dest } => {
                    format!(
                        "feedback read (ring {ring}, {} frames back) -> {}",
                        self.rings[*ring].delay,
                        list(dest)
                    )
                }
                Step::FeedbackWrite { ring, src } => {
                    format!("feedback write {} -> ring {ring}", list(src))
                }
            })
            .collect()
    }

    /// Number of steps.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Non-finite samples replaced by silence at the outputs so far.
    pub fn faults(&self) -> u64 {
        self.faults
    }

    /// Frames processed since the start (or the last reset).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The buffer of one channel of a graph input, `max_block` frames long, to fill before
    /// [`Schedule::process`]. Returns an empty slice for an index that does not exist.
    pub fn input_buffer(&mut self, input: usize, channel: usize) -> &mut [f32] {
        match self.inputs.get(input).and_then(|p| p.buffers.get(channel)) {
            Some(&b) if b != 0 => &mut self.pool[b as usize],
            _ => &mut [],
        }
    }

    /// The samples of one channel of a graph output from the last [`Schedule::process`].
    pub fn output_buffer(&self, output: usize, channel: usize) -> &[f32] {
        match self
            .outputs
            .get(output)
            .and_then(|p| p.buffers.get(channel))
        {
            Some(&b) => &self.pool[b as usize][..self.frames],
            None => &[],
        }
    }

    /// The index of a node by name, for [`Schedule::set_param`] and readings.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.node_names.iter().position(|n| n == name)
    }

    /// Changes a parameter now, ramped over its smoothing time. Allocates nothing.
    pub fn set_param(&mut self, node: usize, param: usize, value: f64) {
        let ramp = self
            .smoothing
            .get(node)
            .and_then(|s| s.get(param))
            .copied()
            .unwrap_or(0);
        if let Some(p) = self.processors.get_mut(node) {
            p.set_param(param, value, ramp);
        }
    }

    /// Readings of every node that reports any, by node name (off the audio thread).
    pub fn readings(&self) -> Vec<(String, &'static str, Vec<Reading>)> {
        self.processors
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let r = p.readings();
                (!r.is_empty()).then(|| (self.node_names[i].clone(), self.node_kinds[i], r))
            })
            .collect()
    }

    /// Mutable access to a node's processor (to carry state across a hot swap).
    pub fn processor_mut(&mut self, node: usize) -> Option<&mut (dyn Processor + 'static)> {
        self.processors.get_mut(node).map(|p| p.as_mut())
    }

    /// Takes over the state of nodes that survive a hot reload: for each `(mine, theirs)`
    /// pair, swaps this schedule's processor of node `mine` with `old`'s processor of node
    /// `theirs`. The running filter memories, envelopes and delay lines continue here, and
    /// `old` keeps the freshly activated processors, to be dropped with it. Only pointers
    /// move, so this is allocation-free and fit for the audio thread. The caller pairs nodes
    /// of equal name, kind, channel layout and latency (the live runtime does so off the audio
    /// thread); a pair out of range is skipped.
    pub fn adopt_processors(&mut self, old: &mut Schedule, pairs: &[(usize, usize)]) {
        for &(mine, theirs) in pairs {
            if let (Some(a), Some(b)) = (
                self.processors.get_mut(mine),
                old.processors.get_mut(theirs),
            ) {
                std::mem::swap(a, b);
            }
        }
    }

    /// Moves the timeline to `position` frames without processing, as when a recompiled
    /// schedule takes over from a running one. Automation events before `position` are
    /// applied at once, in order, so each automated parameter holds its latest value; later
    /// events wait for their frame. Seeking backwards replays the events from the start.
    /// Allocation-free.
    pub fn seek(&mut self, position: u64) {
        let backwards = position < self.position;
        let Schedule {
            steps, processors, ..
        } = self;
        for step in steps.iter_mut() {
            let Step::Node(n) = step else { continue };
            if backwards {
                n.next_event = 0;
            }
            let Some(processor) = processors.get_mut(n.node) else {
                continue;
            };
            while let Some(e) = n.events.get(n.next_event) {
                if e.frame >= position {
                    break;
                }
                processor.set_param(e.param as usize, e.value, 0);
                n.next_event += 1;
            }
        }
        self.position = position;
    }

    /// Node names, by node index.
    pub fn node_names(&self) -> &[String] {
        &self.node_names
    }

    /// Clears all state and rewinds automation, so the same input gives the same output.
    pub fn reset(&mut self) {
        for p in &mut self.processors {
            p.reset();
        }
        for d in &mut self.delays {
            d.ring.fill(0.0);
            d.pos = 0;
        }
        for r in &mut self.rings {
            for c in r.channels.iter_mut() {
                c.fill(0.0);
            }
            r.write = 0;
        }
        for s in &mut self.steps {
            if let Step::Node(n) = s {
                n.next_event = 0;
            }
        }
        for b in &mut self.pool {
            b.fill(0.0);
        }
        self.position = 0;
        self.frames = 0;
    }

    /// Processes one block of `frames` frames (at most `max_block`; more is cut to it):
    /// reads the input buffers, runs every step, leaves the outputs in the output buffers.
    pub fn process(&mut self, frames: usize) {
        let frames = frames.min(self.max_block);
        let _ftz = DenormalGuard::new();
        let Schedule {
            steps,
            processors,
            pool,
            scratch,
            delays,
            rings,
            position,
            ..
        } = self;
        let start = *position;
        for step in steps.iter_mut() {
            match step {
                Step::Node(n) => run_node(n, processors, pool, scratch, start, frames),
                Step::Sum { dest, sources } => {
                    let mut out = std::mem::take(&mut pool[*dest as usize]);
                    let (first, rest) =
                        sources.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
                    out[..frames].copy_from_slice(&pool[first as usize][..frames]);
                    for &s in rest {
                        for (o, x) in out[..frames].iter_mut().zip(&pool[s as usize][..frames]) {
                            *o += *x;
                        }
                    }
                    pool[*dest as usize] = out;
                }
                Step::Delay { line, src, dest } => {
                    let line = &mut delays[*line];
                    let mut out = std::mem::take(&mut pool[*dest as usize]);
                    let len = line.ring.len();
                    for (o, x) in out[..frames].iter_mut().zip(&pool[*src as usize][..frames]) {
                        *o = line.ring[line.pos];
                        line.ring[line.pos] = *x;
                        line.pos += 1;
                        if line.pos == len {
                            line.pos = 0;
                        }
                    }
                    pool[*dest as usize] = out;
                }
                Step::FeedbackRead { ring, dest } => {
                    let r = &rings[*ring];
                    for (ch, &d) in dest.iter().enumerate() {
                        let data = &r.channels[ch];
                        let len = data.len();
                        let mut read = (r.write + len - r.delay) % len;
                        for o in pool[d as usize][..frames].iter_mut() {
                            *o = data[read] * r.gain;
                            read += 1;
                            if read == len {
                                read = 0;
                            }
                        }
                    }
                }
                Step::FeedbackWrite { ring, src } => {
                    let r = &mut rings[*ring];
                    let len = r.channels.first().map_or(1, |c| c.len());
                    for (ch, &s) in src.iter().enumerate() {
                        if let Some(data) = r.channels.get_mut(ch) {
                            let mut w = r.write;
                            for x in &pool[s as usize][..frames] {
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
            }
        }
        for port in &self.outputs {
            for &b in &port.buffers {
                for x in self.pool[b as usize][..frames].iter_mut() {
                    if !x.is_finite() {
                        *x = 0.0;
                        self.faults += 1;
                    }
                }
            }
        }
        self.position += frames as u64;
        self.frames = frames;
    }
}

/// Runs one node over the block, split at the frames where its automation events fall.
fn run_node(
    n: &mut NodeStep,
    processors: &mut [Box<dyn Processor>],
    pool: &mut [Box<[f32]>],
    scratch: &mut Vec<Box<[f32]>>,
    start: u64,
    frames: usize,
) {
    let Some(processor) = processors.get_mut(n.node) else {
        return;
    };
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
        scratch.clear();
        for &b in n.out_channels.iter() {
            scratch.push(std::mem::take(&mut pool[b as usize]));
        }
        {
            let inputs = Inputs {
                pool,
                channels: &n.in_channels,
                ports: &n.in_ports,
                connected: &n.connected,
                offset: done,
                frames: chunk,
            };
            let outputs = Outputs {
                buffers: scratch.as_mut_slice(),
                ports: &n.out_ports,
                offset: done,
                frames: chunk,
            };
            let mut ctx = ProcessContext::new(inputs, outputs, start + done as u64);
            processor.process(&mut ctx);
        }
        for (&b, buffer) in n.out_channels.iter().zip(scratch.drain(..)) {
            pool[b as usize] = buffer;
        }
        done += chunk;
    }
}
