//! The parallel part of a schedule: its phases in order, its jobs, and the crew that runs
//! them. A serial phase runs on the calling thread like a sequential schedule; a parallel
//! phase lends its jobs the processors of their nodes, runs them on the crew, then gives the
//! processors back and moves the jobs' results into the shared pool.

use std::ops::Range;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::schedule::crew::Crew;
use crate::schedule::job::Job;
use crate::schedule::step::{Serial, Step};

/// The parallel part of a schedule: its phases, its jobs and the threads that run them.
pub(super) struct Parallel {
    pub(super) phases: Box<[PhaseRun]>,
    pub(super) jobs: Vec<Mutex<Job>>,
    pub(super) crew: Crew,
}

/// One phase as it runs.
pub(super) enum PhaseRun {
    /// These serial steps, in order.
    Serial(Range<usize>),
    /// These jobs, at the same time.
    Parallel(Range<usize>),
}

impl Parallel {
    /// Runs every phase over one block.
    pub(super) fn run(&mut self, steps: &mut [Step], serial: &mut Serial<'_>) {
        let Parallel { phases, jobs, crew } = self;
        for phase in phases.iter() {
            match phase {
                PhaseRun::Serial(range) => serial.run(&mut steps[range.clone()]),
                PhaseRun::Parallel(range) => {
                    for job in &mut jobs[range.clone()] {
                        job_mut(job).borrow_processors(serial.processors);
                    }
                    let outcome = crew.run(
                        jobs,
                        serial.pool,
                        range.clone(),
                        serial.start,
                        serial.frames,
                    );
                    for job in &mut jobs[range.clone()] {
                        job_mut(job).finish(serial.processors, serial.pool);
                    }
                    if let Err(panic) = outcome {
                        std::panic::resume_unwind(panic);
                    }
                }
            }
        }
    }
}

/// A job outside a phase, where nobody else holds it.
pub(super) fn job_mut(job: &mut Mutex<Job>) -> &mut Job {
    job.get_mut().unwrap_or_else(PoisonError::into_inner)
}

/// A job, read outside a phase.
pub(super) fn job_ref(job: &Mutex<Job>) -> MutexGuard<'_, Job> {
    job.lock().unwrap_or_else(PoisonError::into_inner)
}
