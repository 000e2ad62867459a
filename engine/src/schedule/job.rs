//! A parallel job: a run of steps (a channel strip, a bus) that one worker thread runs in
//! order while other jobs of the same phase run elsewhere. A job owns every buffer it writes
//! (its local buffers, 0 being silence, reused along the run) and its compensation delays;
//! it reads the shared pool only for what earlier phases and the graph inputs left there. For the phase, the
//! schedule lends it the processors of its nodes; when the phase is over it takes them back
//! and moves the job's results that others read into the shared pool, swapping buffers (no
//! copy, no allocation).

use std::collections::HashSet;

use crate::compile::CompileConfig;
use crate::compile::buffers::{Assignment, NO_BUFFER};
use crate::compile::plan::{Plan, SILENCE, Signal};
use crate::error::GraphError;
use crate::node::Processor;
use crate::process::ProcessContext;
use crate::schedule::step::{DelayLine, Step, StepBuilder};

/// One step of a job and where its buffers are.
pub(super) struct JobStep {
    pub(super) step: Step,
    /// Whether the step reads the job's own buffers (else the shared pool).
    pub(super) reads_local: bool,
    /// The processor slot of a node step.
    slot: usize,
}

/// A run of steps over the job's own buffers. See the module docs.
pub(super) struct Job {
    pub(super) steps: Box<[JobStep]>,
    /// The job's buffers; 0 is silence (empty when no step reads the job's buffers) and is
    /// never written.
    pub(super) local: Box<[Box<[f32]>]>,
    /// Room for the outputs of the job's widest step.
    scratch: Vec<Box<[f32]>>,
    /// The processors of the job's nodes while a phase runs; a placeholder between phases.
    processors: Box<[Box<dyn Processor>]>,
    /// The node of each processor slot.
    nodes: Box<[usize]>,
    pub(super) delays: Box<[DelayLine]>,
    /// `(local, shared)`: results moved into the shared pool after the phase.
    pub(super) exports: Box<[(u32, u32)]>,
}

impl Job {
    /// Builds the job of `steps` (indices into the plan), job number `number` of the
    /// assignment.
    ///
    /// # Errors
    /// What building a step can fail with; a step reading both its job's buffers and the
    /// shared pool, which the partition never makes, is refused as a configuration error
    /// rather than run wrong.
    pub(super) fn build(
        builder: &mut StepBuilder<'_>,
        config: &CompileConfig,
        plan: &Plan,
        assignment: &Assignment,
        steps: &[usize],
        number: usize,
    ) -> Result<Job, GraphError> {
        let buffers = assignment
            .job_buffers
            .get(number)
            .copied()
            .unwrap_or(1)
            .max(1);
        let mut written_here: HashSet<Signal> = HashSet::new();
        let mut job_steps = Vec::with_capacity(steps.len());
        let mut nodes = Vec::new();
        let mut delays = Vec::new();
        let mut exports = Vec::new();
        for &i in steps {
            let plan_step = &plan.steps[i];
            let uses: Vec<Signal> = plan_step
                .uses()
                .into_iter()
                .filter(|&s| s != SILENCE)
                .collect();
            let reads_local = uses.iter().any(|s| written_here.contains(s));
            if reads_local && !uses.iter().all(|s| written_here.contains(s)) {
                return Err(GraphError::Config(format!(
                    "internal: step {i} of a parallel job reads both its job's buffers and the shared ones"
                )));
            }
            let local = |s: Signal| assignment.local_of[s as usize];
            let shared = |s: Signal| assignment.buffer_of[s as usize];
            let step = if reads_local {
                builder.build(plan_step, local, local, &mut delays)?
            } else {
                builder.build(plan_step, shared, local, &mut delays)?
            };
            for s in plan_step.defs() {
                written_here.insert(s);
                if shared(s) != NO_BUFFER {
                    exports.push((local(s), shared(s)));
                }
            }
            let slot = nodes.len();
            if let Step::Node(n) = &step {
                nodes.push(n.node);
            }
            job_steps.push(JobStep {
                step,
                reads_local,
                slot,
            });
        }
        let widest = job_steps
            .iter()
            .map(|js| js.step.written().len())
            .max()
            .unwrap_or(0);
        // Buffer 0 is read (as silence) only by steps that read the job's own buffers.
        let silence_read = job_steps.iter().any(|js| js.reads_local);
        Ok(Job {
            steps: job_steps.into(),
            scratch: Vec::with_capacity(widest),
            local: (0..buffers)
                .map(|b| {
                    let needed = b > 0 || silence_read;
                    vec![0.0f32; if needed { config.max_block } else { 0 }].into_boxed_slice()
                })
                .collect(),
            processors: nodes
                .iter()
                .map(|_| Box::new(Lent) as Box<dyn Processor>)
                .collect(),
            nodes: nodes.into(),
            delays: delays.into(),
            exports: exports.into(),
        })
    }

    /// Takes the processors of the job's nodes for the phase, leaving placeholders.
    pub(super) fn borrow_processors(&mut self, processors: &mut [Box<dyn Processor>]) {
        for (slot, &node) in self.processors.iter_mut().zip(self.nodes.iter()) {
            if let Some(p) = processors.get_mut(node) {
                std::mem::swap(slot, p);
            }
        }
    }

    /// Gives the processors back and moves the results others read into the shared pool
    /// (the pool's old buffers become the job's, to be written over next block).
    pub(super) fn finish(
        &mut self,
        processors: &mut [Box<dyn Processor>],
        pool: &mut [Box<[f32]>],
    ) {
        self.borrow_processors(processors);
        for &(local, shared) in self.exports.iter() {
            if let (Some(a), Some(b)) = (
                self.local.get_mut(local as usize),
                pool.get_mut(shared as usize),
            ) {
                std::mem::swap(a, b);
            }
        }
    }

    /// Runs the job's steps in order over `frames` frames from timeline position `start`,
    /// reading what comes from outside the job from `pool`.
    pub(super) fn run(&mut self, pool: &[Box<[f32]>], start: u64, frames: usize) {
        let Job {
            steps,
            local,
            scratch,
            processors,
            delays,
            ..
        } = self;
        for js in steps.iter_mut() {
            let processor = match js.step {
                Step::Node(_) => processors.get_mut(js.slot).map(|p| p.as_mut()),
                _ => None,
            };
            let shared = (!js.reads_local).then_some(pool);
            js.step.run_in(
                processor,
                local,
                shared,
                scratch,
                delays,
                &mut [],
                start,
                frames,
            );
        }
    }
}

/// Holds a processor's place while the processor is lent out; writes silence if ever run.
struct Lent;

impl Processor for Lent {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for port in 0..ctx.outputs.ports() {
            for out in ctx.outputs.port(port).iter_mut() {
                out.fill(0.0);
            }
        }
    }

    fn reset(&mut self) {}
}
