//! The compiled schedule: a list of steps over preallocated buffers, run one block at a
//! time. On one thread (the default, and always in the live runtime) the steps run in order
//! and [`Schedule::process`] allocates nothing, takes no lock and does no I/O.
//!
//! # Parallel
//! Compiled with [`CompileConfig::threads`] above 1, and when the graph has independent
//! branches worth it, the steps run in phases (see [`crate::compile::partition`]): serial
//! phases on the calling thread as above, parallel phases as jobs (whole channel strips or
//! buses) spread over worker threads, one synchronization per phase. Each job writes only its
//! own buffers and reads only shared buffers that nobody writes during the phase; after the
//! phase its results are swapped into the shared pool. Every step computes exactly what it
//! computes on one thread, from the same inputs, in the same order per node, so the output
//! is bit-identical to the sequential schedule for every block size. `process` still
//! allocates nothing, but it takes (uncontended) locks and the calling thread waits for the
//! workers: offline use only.
//!
//! Processors stay in the schedule between blocks (so [`Schedule::set_param`],
//! [`Schedule::processor_mut`] and readings work as on one thread); a parallel phase lends
//! them to its jobs for its duration.

mod crew;
mod job;
mod parallel;
mod step;

use std::sync::Mutex;

use crate::compile::channels::NodeLayout;
use crate::compile::latency::LatencyPlan;
use crate::compile::partition::Phase;
use crate::compile::{Blueprint, CompileConfig};
use crate::denormal::DenormalGuard;
use crate::error::GraphError;
use crate::graph::Graph;
use crate::node::{Processor, Reading};
use crate::param::ParamKind;
use crate::schedule::crew::Crew;
use crate::schedule::job::Job;
use crate::schedule::parallel::{Parallel, PhaseRun, job_mut, job_ref};
use crate::schedule::step::{DelayLine, FeedbackRing, NodeStep, Serial, Step, StepBuilder};

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

/// A compiled graph, ready to run.
pub struct Schedule {
    /// The serial steps, in running order (all steps when there is no parallel phase).
    steps: Vec<Step>,
    processors: Vec<Box<dyn Processor>>,
    node_names: Vec<String>,
    node_kinds: Vec<&'static str>,
    smoothing: Vec<Vec<usize>>,
    /// The shared buffers.
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
    /// The phases and jobs, when some steps run in parallel.
    parallel: Option<Parallel>,
}

impl Schedule {
    pub(crate) fn new(
        graph: &Graph,
        config: &CompileConfig,
        processors: Vec<Box<dyn Processor>>,
        layouts: &[NodeLayout],
        latency: &LatencyPlan,
        blueprint: &Blueprint,
    ) -> Result<Schedule, GraphError> {
        let g = &graph.g;
        let Blueprint {
            plan,
            partition,
            assignment,
        } = blueprint;
        let shared = |s: u32| assignment.buffer_of[s as usize];
        let bufs = |sigs: &[u32]| sigs.iter().map(|&s| shared(s)).collect::<Box<[u32]>>();
        let mut builder = StepBuilder::new(graph, config);
        let mut steps = Vec::with_capacity(plan.steps.len());
        let mut delays = Vec::new();
        let mut jobs = Vec::new();
        let mut phases = Vec::with_capacity(partition.phases.len());
        for phase in &partition.phases {
            match phase {
                Phase::Serial(list) => {
                    let first = steps.len();
                    for &i in list {
                        steps.push(builder.build(&plan.steps[i], shared, shared, &mut delays)?);
                    }
                    phases.push(PhaseRun::Serial(first..steps.len()));
                }
                Phase::Parallel(list) => {
                    let first = jobs.len();
                    for job in list {
                        let number = jobs.len();
                        jobs.push(Mutex::new(Job::build(
                            &mut builder,
                            config,
                            plan,
                            assignment,
                            job,
                            number,
                        )?));
                    }
                    phases.push(PhaseRun::Parallel(first..jobs.len()));
                }
            }
        }
        let parallel = if jobs.is_empty() {
            None
        } else {
            let helpers = config.threads.saturating_sub(1).max(1);
            let crew = Crew::new(helpers, jobs.len())
                .map_err(|e| GraphError::Config(format!("cannot start a worker thread: {e}")))?;
            Some(Parallel {
                phases: phases.into(),
                jobs,
                crew,
            })
        };
        let widest = steps.iter().map(|s| s.written().len()).max().unwrap_or(0);
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
            rings: builder.rings,
            inputs,
            outputs,
            sample_rate: config.sample_rate,
            max_block: config.max_block,
            position: 0,
            frames: 0,
            faults: 0,
            parallel,
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

    /// Number of audio buffers (one channel of one block each) the schedule uses: the
    /// shared ones and, in parallel, each job's own.
    pub fn buffer_count(&self) -> usize {
        self.pool.len()
            + self.parallel.as_ref().map_or(0, |p| {
                p.jobs
                    .iter()
                    .map(|j| job_ref(j).local.iter().filter(|b| !b.is_empty()).count())
                    .sum::<usize>()
            })
    }

    /// Threads that run this schedule: 1 unless it was compiled for more and some of its
    /// branches run in parallel.
    pub fn threads(&self) -> usize {
        self.parallel.as_ref().map_or(1, |p| p.crew.threads())
    }

    /// One line per step, for `mixgraph check`. Shared buffers are `b`, a parallel job's own
    /// buffers `l`; a parallel phase is a `parallel` line followed by its jobs' steps.
    pub fn describe(&self) -> Vec<String> {
        let shared = |b: u32| format!("b{b}");
        let Some(parallel) = &self.parallel else {
            return self
                .steps
                .iter()
                .map(|s| self.describe_step(s, &shared, &shared, &self.delays))
                .collect();
        };
        let local = |b: u32| format!("l{b}");
        let mut lines = Vec::new();
        for phase in parallel.phases.iter() {
            match phase {
                PhaseRun::Serial(range) => lines.extend(
                    self.steps[range.clone()]
                        .iter()
                        .map(|s| self.describe_step(s, &shared, &shared, &self.delays)),
                ),
                PhaseRun::Parallel(range) => {
                    lines.push(format!("parallel: {} jobs", range.len()));
                    for (k, job) in parallel.jobs[range.clone()].iter().enumerate() {
                        let job = job_ref(job);
                        for js in job.steps.iter() {
                            let read: &dyn Fn(u32) -> String =
                                if js.reads_local { &local } else { &shared };
                            let line = self.describe_step(&js.step, read, &local, &job.delays);
                            lines.push(format!("  job {k}: {line}"));
                        }
                        for &(l, b) in job.exports.iter() {
                            lines.push(format!("  job {k}: move l{l} -> b{b}"));
                        }
                    }
                }
            }
        }
        lines
    }

    fn describe_step(
        &self,
        step: &Step,
        read: &dyn Fn(u32) -> String,
        write: &dyn Fn(u32) -> String,
        delays: &[DelayLine],
    ) -> String {
        let list = |b: &[u32], name: &dyn Fn(u32) -> String| {
            b.iter().map(|&x| name(x)).collect::<Vec<_>>().join(" ")
        };
        let ports = |flat: &[u32], ports: &[(u32, u32)], name: &dyn Fn(u32) -> String| {
            ports
                .iter()
                .map(|&(a, b)| format!("[{}]", list(&flat[a as usize..b as usize], name)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match step {
            Step::Node(n) => format!(
                "run   {} ({}): {} -> {}",
                self.node_names[n.node],
                self.node_kinds[n.node],
                ports(&n.in_channels, &n.in_ports, read),
                ports(&n.out_channels, &n.out_ports, write)
            ),
            Step::Sum { dest, sources } => {
                format!("sum   {} -> {}", list(sources, read), write(*dest))
            }
            Step::Delay { line, src, dest } => format!(
                "align {} by {} frames -> {}",
                read(*src),
                delays.get(*line).map_or(0, |d| d.ring.len()),
                write(*dest)
            ),
            Step::FeedbackRead { ring, dest } => format!(
                "feedback read (ring {ring}, {} frames back) -> {}",
                self.rings.get(*ring).map_or(0, |r| r.delay),
                list(dest, write)
            ),
            Step::FeedbackWrite { ring, src } => {
                format!("feedback write {} -> ring {ring}", list(src, read))
            }
        }
    }

    /// Number of steps.
    pub fn step_count(&self) -> usize {
        self.steps.len()
            + self.parallel.as_ref().map_or(0, |p| {
                p.jobs.iter().map(|j| job_ref(j).steps.len()).sum::<usize>()
            })
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
        let processors = &mut self.processors;
        for_each_node_step(&mut self.steps, &mut self.parallel, |n| {
            if backwards {
                n.next_event = 0;
            }
            let Some(processor) = processors.get_mut(n.node) else {
                return;
            };
            while let Some(e) = n.events.get(n.next_event) {
                if e.frame >= position {
                    break;
                }
                processor.set_param(e.param as usize, e.value, 0);
                n.next_event += 1;
            }
        });
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
        let clear_delays = |delays: &mut [DelayLine]| {
            for d in delays {
                d.ring.fill(0.0);
                d.pos = 0;
            }
        };
        clear_delays(&mut self.delays);
        for r in &mut self.rings {
            for c in r.channels.iter_mut() {
                c.fill(0.0);
            }
            r.write = 0;
        }
        for_each_node_step(&mut self.steps, &mut self.parallel, |n| n.next_event = 0);
        for b in &mut self.pool {
            b.fill(0.0);
        }
        if let Some(parallel) = &mut self.parallel {
            for job in &mut parallel.jobs {
                let job = job_mut(job);
                clear_delays(&mut job.delays);
                for b in job.local.iter_mut() {
                    b.fill(0.0);
                }
            }
        }
        self.position = 0;
        self.frames = 0;
    }

    /// Processes one block of `frames` frames (at most `max_block`; more is cut to it):
    /// reads the input buffers, runs every step, leaves the outputs in the output buffers.
    /// On several threads (see the module docs) it returns once every worker's job of the
    /// block is done; a processor that panicked on a worker has its panic raised here.
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
            parallel,
            ..
        } = self;
        let mut serial = Serial {
            processors,
            pool,
            scratch,
            delays,
            rings,
            start: *position,
            frames,
        };
        match parallel {
            None => serial.run(steps),
            Some(parallel) => parallel.run(steps, &mut serial),
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

/// Calls `f` on every node step, serial or in a job.
fn for_each_node_step(
    steps: &mut [Step],
    parallel: &mut Option<Parallel>,
    mut f: impl FnMut(&mut NodeStep),
) {
    let jobs = parallel.iter_mut().flat_map(|p| p.jobs.iter_mut());
    let in_jobs = jobs.flat_map(|j| job_mut(j).steps.iter_mut().map(|js| &mut js.step));
    for step in steps.iter_mut().chain(in_jobs) {
        if let Step::Node(n) = step {
            f(n);
        }
    }
}
