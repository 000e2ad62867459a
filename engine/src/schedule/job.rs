//! A parallel job: a run of steps (a channel strip, a bus) that one worker thread runs in
//! order while other jobs of the same phase run elsewhere. A job owns every buffer it writes
//! (its local buffers, 0 being silence) and its compensation delays; it reads the shared
//! pool only for what earlier phases and the graph inputs left there. For the phase, the
//! schedule lends it the processors of its nodes; when the phase is over it takes them back
//! and moves the job's results that others read into the shared pool, swapping buffers (no
//! copy, no allocation).

use crate::compile::CompileConfig;
use crate::compile::buffers::Assignment;
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
    /// The first of the step's outputs among the job's buffers; they follow each other.
    first_output: usize,
    /// The processor slot of a node step.
    slot: usize,
}

/// A run of steps over the job's own buffers. See the module docs.
pub(super) struct Job {
    pub(super) steps: Box<[JobStep]>,
    /// The job's buffers; 0 is silence and is never written.
    pub(super) local: Box<[Box<[f32]>]>,
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
        let mut written_here = vec![false; plan.signals as usize];
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
            let reads_local = uses.iter().any(|&s| written_here[s as usize]);
            if reads_local && !uses.iter().all(|&s| written_here[s as usize]) {
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
            let defs = plan_step.defs();
            let first_output = defs.first().map_or(buffers, |&s| local(s) as usize);
            for (k, &s) in defs.iter().enumerate() {
                if local(s) as usize != first_output + k || first_output + k >= buffers {
                    return Err(GraphError::Config(format!(
                        "internal: the outputs of step {i} are not neighbours in its job"
                    )));
                }
                written_here[s as usize] = true;
                if shared(s) != crate::compile::buffers::NO_BUFFER {
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
                first_output,
                slot,
            });
        }
        Ok(Job {
            steps: job_steps.into(),
            local: (0..buffers)
                .map(|_| vec![0.0f32; config.max_block].into_boxed_slice())
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
            processors,
            delays,
            ..
        } = self;
        for js in steps.iter_mut() {
            let (before, rest) = local.split_at_mut(js.first_output.min(local.len()));
            let count = js.step.written().len().min(rest.len());
            let outputs = &mut rest[..count];
            let reads: &[Box<[f32]>] = if js.reads_local { before } else { pool };
            let processor = match js.step {
                Step::Node(_) => processors.get_mut(js.slot).map(|p| p.as_mut()),
                _ => None,
            };
            js.step
                .run(processor, reads, outputs, delays, &mut [], start, frames);
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
