//! Compiler pass 8: buffer reuse. Each virtual signal gets a physical buffer from a free
//! list; a buffer returns to the list once the last step reading it has run. Graph inputs
//! and outputs keep their buffers for the whole block. Buffer 0 is always silence.
//!
//! The pool of shared buffers is walked phase by phase (see [`crate::compile::partition`]).
//! A serial phase takes and returns buffers step by step, exactly as a sequential schedule
//! does. A parallel phase counts as one moment: its jobs read shared buffers while they run
//! and their results enter the pool when the phase ends, so every buffer a phase writes is
//! taken before any buffer it reads is returned, and no two steps that may run at the same
//! time ever share a buffer.
//!
//! Inside a job, every signal it writes gets a buffer of the job's own (its buffer 0 is
//! silence), reused through the job's free list the same way. A signal read only by later
//! steps of the same job lives there alone; one read elsewhere, or bound to a graph output,
//! also gets a shared buffer and is moved into it when the phase ends, so its own buffer is
//! not reused within the phase.

use std::collections::HashMap;

use crate::compile::partition::{Partition, Phase};
use crate::compile::plan::{Plan, PlanStep, SILENCE, Signal};

/// The index of a signal that has no buffer of that kind.
pub const NO_BUFFER: u32 = u32::MAX;

/// The physical buffers of every signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Shared buffer by signal ([`NO_BUFFER`] for a signal that never leaves its job).
    pub buffer_of: Vec<u32>,
    /// Number of shared buffers (including the silent one).
    pub count: usize,
    /// Local buffer by signal, within the job that writes it ([`NO_BUFFER`] outside jobs).
    pub local_of: Vec<u32>,
    /// Number of local buffers of each job (including its silent one), jobs numbered as
    /// [`Partition::jobs`] lists them.
    pub job_buffers: Vec<usize>,
}

/// Assigns buffers for the sequential schedule (one serial phase in plan order).
pub fn assign(plan: &Plan) -> Assignment {
    assign_phased(plan, &Partition::sequential(plan))
}

/// Assigns buffers for the plan run as `partition` says.
pub fn assign_phased(plan: &Plan, partition: &Partition) -> Assignment {
    let n = plan.signals as usize;
    let places = Places::new(plan, partition);
    let mut pinned = vec![false; n];
    pinned[SILENCE as usize] = true;
    for (_, sigs) in plan.inputs.iter().chain(plan.outputs.iter()) {
        for &s in sigs {
            pinned[s as usize] = true;
        }
    }
    // The last moment each signal is read from the shared pool.
    let mut last_use: Vec<Option<usize>> = vec![None; n];
    for (i, step) in plan.steps.iter().enumerate() {
        for s in places.shared_uses(i, step) {
            let at = places.moment[i];
            last_use[s as usize] = Some(last_use[s as usize].map_or(at, |l: usize| l.max(at)));
        }
    }
    let shared = |s: Signal| {
        pinned[s as usize]
            || places.job_of_signal[s as usize].is_none()
            || last_use[s as usize].is_some()
    };

    let mut buffer_of: Vec<u32> = vec![NO_BUFFER; n];
    buffer_of[SILENCE as usize] = 0;
    let mut count: u32 = 1;
    let mut free: Vec<u32> = Vec::new();
    let mut take = |free: &mut Vec<u32>| {
        free.pop().unwrap_or_else(|| {
            count += 1;
            count - 1
        })
    };
    for (_, sigs) in &plan.inputs {
        for &s in sigs {
            buffer_of[s as usize] = take(&mut free);
        }
    }
    // Takes a buffer for each shared signal the steps write, then returns the buffers of the
    // signals the steps read or write that are dead at `moment`. Taking first means no step
    // writes a buffer it reads.
    let mut moment_of = |steps: &[usize], moment: usize, free: &mut Vec<u32>| {
        for &i in steps {
            for s in plan.steps[i].defs() {
                if shared(s) && buffer_of[s as usize] == NO_BUFFER {
                    buffer_of[s as usize] = take(free);
                }
            }
        }
        let mut released: Vec<Signal> = steps
            .iter()
            .flat_map(|&i| {
                let step = &plan.steps[i];
                places.shared_uses(i, step).chain(step.defs())
            })
            .collect();
        released.sort_unstable();
        released.dedup();
        for s in released {
            let dead = last_use[s as usize].is_none_or(|l| l <= moment);
            if !pinned[s as usize] && dead && buffer_of[s as usize] != NO_BUFFER {
                free.push(buffer_of[s as usize]);
            }
        }
    };
    let mut moment = 0;
    for phase in &partition.phases {
        match phase {
            Phase::Serial(steps) => {
                for &i in steps {
                    moment_of(&[i], moment, &mut free);
                    moment += 1;
                }
            }
            Phase::Parallel(jobs) => {
                let steps: Vec<usize> = jobs.iter().flatten().copied().collect();
                moment_of(&steps, moment, &mut free);
                moment += 1;
            }
        }
    }
    // Signals never written nor read (an unused input) still need a place.
    for (b, job) in buffer_of.iter_mut().zip(&places.job_of_signal) {
        if *b == NO_BUFFER && job.is_none() {
            *b = take(&mut free);
        }
    }

    let mut local_of = vec![NO_BUFFER; n];
    let job_buffers = partition
        .jobs()
        .map(|job| assign_local(plan, job, &buffer_of, &mut local_of))
        .collect();
    Assignment {
        buffer_of,
        count: count as usize,
        local_of,
        job_buffers,
    }
}

/// Gives each signal `job` writes a buffer of the job's own, reused through a free list
/// like the shared ones: a buffer returns once the job's last step reading it has run,
/// except under a signal that leaves the job (it is moved out when the phase ends). Returns
/// the job's buffer count (with its silent buffer 0).
fn assign_local(plan: &Plan, job: &[usize], buffer_of: &[u32], local_of: &mut [u32]) -> usize {
    let written: HashMap<Signal, usize> = job
        .iter()
        .enumerate()
        .flat_map(|(pos, &i)| plan.steps[i].defs().into_iter().map(move |s| (s, pos)))
        .collect();
    let mut last_use: HashMap<Signal, usize> = HashMap::new();
    for (pos, &i) in job.iter().enumerate() {
        for s in plan.steps[i].uses() {
            if written.get(&s).is_some_and(|&w| w < pos) {
                last_use.insert(s, pos);
            }
        }
    }
    let mut count: u32 = 1;
    let mut free: Vec<u32> = Vec::new();
    for (pos, &i) in job.iter().enumerate() {
        let step = &plan.steps[i];
        for s in step.defs() {
            local_of[s as usize] = free.pop().unwrap_or_else(|| {
                count += 1;
                count - 1
            });
        }
        // Free after taking, so no step writes a buffer it reads.
        let mut released: Vec<Signal> = step
            .uses()
            .into_iter()
            .filter(|s| written.contains_key(s))
            .chain(step.defs())
            .collect();
        released.sort_unstable();
        released.dedup();
        for s in released {
            let dead = last_use.get(&s).is_none_or(|&l| l <= pos);
            if dead && buffer_of[s as usize] == NO_BUFFER {
                free.push(local_of[s as usize]);
            }
        }
    }
    count as usize
}

/// Where each step runs: its moment on the pool's timeline and its job, if any.
struct Places {
    /// The moment of each step: one per step of a serial phase, one per parallel phase.
    moment: Vec<usize>,
    /// The job running each step (`None` in a serial phase).
    job_of_step: Vec<Option<usize>>,
    /// The job writing each signal (`None` when a serial step writes it, or nothing does).
    job_of_signal: Vec<Option<usize>>,
}

impl Places {
    fn new(plan: &Plan, partition: &Partition) -> Places {
        let steps = plan.steps.len();
        let mut places = Places {
            moment: vec![0; steps],
            job_of_step: vec![None; steps],
            job_of_signal: vec![None; plan.signals as usize],
        };
        let (mut moment, mut job) = (0, 0);
        for phase in &partition.phases {
            match phase {
                Phase::Serial(list) => {
                    for &i in list {
                        places.moment[i] = moment;
                        moment += 1;
                    }
                }
                Phase::Parallel(jobs) => {
                    for list in jobs {
                        for &i in list {
                            places.moment[i] = moment;
                            places.job_of_step[i] = Some(job);
                            for s in plan.steps[i].defs() {
                                places.job_of_signal[s as usize] = Some(job);
                            }
                        }
                        job += 1;
                    }
                    moment += 1;
                }
            }
        }
        places
    }

    /// The signals step `i` reads from the shared pool: all it reads, except what its own
    /// job wrote.
    fn shared_uses(&self, i: usize, step: &PlanStep) -> impl Iterator<Item = Signal> + '_ {
        let job = self.job_of_step[i];
        step.uses()
            .into_iter()
            .filter(move |&s| job.is_none() || self.job_of_signal[s as usize] != job)
    }
}

#[cfg(test)]
mod tests {
    use petgraph::graph::NodeIndex;

    use super::*;
    use crate::compile::partition::partition;

    fn node(n: usize, inputs: Vec<Signal>, outputs: Vec<Signal>) -> PlanStep {
        PlanStep::Node {
            node: NodeIndex::new(n),
            inputs: vec![inputs],
            outputs: vec![outputs],
        }
    }

    /// The free-list assignment as it was before phases existed, kept verbatim as the
    /// reference the sequential schedule must still match.
    fn reference(plan: &Plan) -> (Vec<u32>, usize) {
        let n = plan.signals as usize;
        let mut last_use: Vec<Option<usize>> = vec![None; n];
        let mut pinned = vec![false; n];
        pinned[SILENCE as usize] = true;
        for (_, sigs) in plan.inputs.iter().chain(plan.outputs.iter()) {
            for &s in sigs {
                pinned[s as usize] = true;
            }
        }
        for (i, step) in plan.steps.iter().enumerate() {
            for s in step.uses() {
                last_use[s as usize] = Some(i);
            }
        }
        let mut buffer_of: Vec<u32> = vec![u32::MAX; n];
        buffer_of[SILENCE as usize] = 0;
        let mut count: u32 = 1;
        let mut free: Vec<u32> = Vec::new();
        let mut take = |free: &mut Vec<u32>| {
            free.pop().unwrap_or_else(|| {
                count += 1;
                count - 1
            })
        };
        for (_, sigs) in &plan.inputs {
            for &s in sigs {
                buffer_of[s as usize] = take(&mut free);
            }
        }
        for (i, step) in plan.steps.iter().enumerate() {
            for s in step.defs() {
                if buffer_of[s as usize] == u32::MAX {
                    buffer_of[s as usize] = take(&mut free);
                }
            }
            let mut released: Vec<Signal> = step.uses().into_iter().chain(step.defs()).collect();
            released.sort_unstable();
            released.dedup();
            for s in released {
                let dead = last_use[s as usize].is_none_or(|l| l <= i);
                if !pinned[s as usize] && dead && buffer_of[s as usize] != u32::MAX {
                    free.push(buffer_of[s as usize]);
                }
            }
        }
        for b in buffer_of.iter_mut() {
            if *b == u32::MAX {
                *b = take(&mut free);
            }
        }
        (buffer_of, count as usize)
    }

    /// Two branches of two nodes each from one input, summed into a graph output.
    fn branches() -> Plan {
        Plan {
            steps: vec![
                node(0, vec![1], vec![2]),
                node(1, vec![2], vec![3]),
                node(2, vec![1], vec![4]),
                node(3, vec![4], vec![5]),
                PlanStep::Sum {
                    dest: 6,
                    sources: vec![3, 5],
                },
                node(4, vec![6], vec![7, 8]),
                node(5, vec![1], vec![9]),
            ],
            signals: 10,
            inputs: vec![(NodeIndex::new(10), vec![1])],
            outputs: vec![(NodeIndex::new(11), vec![7, 8])],
        }
    }

    #[test]
    fn the_sequential_assignment_is_the_free_list_of_before() {
        let plan = branches();
        let a = assign(&plan);
        assert_eq!((a.buffer_of.clone(), a.count), reference(&plan));
        assert!(a.local_of.iter().all(|&l| l == NO_BUFFER));
        assert!(a.job_buffers.is_empty());
    }

    #[test]
    fn a_long_job_takes_turns_with_two_buffers_of_its_own() {
        // Two chains of ten mono nodes from one input, each into a graph output.
        let mut steps = Vec::new();
        let mut outputs = Vec::new();
        let mut next = 2;
        for chain in 0..2 {
            let mut sig = 1;
            for k in 0..10 {
                steps.push(node(10 * chain + k, vec![sig], vec![next]));
                sig = next;
                next += 1;
            }
            outputs.push((NodeIndex::new(100 + chain), vec![sig]));
        }
        let plan = Plan {
            steps,
            signals: next,
            inputs: vec![(NodeIndex::new(99), vec![1])],
            outputs,
        };
        let p = partition(&plan, 2);
        assert_eq!(p.jobs().count(), 2);
        let a = assign_phased(&plan, &p);
        // Silence, then two in turn: each step reads one and writes the other.
        assert_eq!(a.job_buffers, vec![3, 3]);
        for s in 2..next - 1 {
            if s != 11 {
                assert_ne!(a.local_of[s as usize], a.local_of[s as usize + 1]);
            }
        }
        // Shared: silence, the input, the two outputs.
        assert_eq!(a.count, 4);
    }

    #[test]
    fn jobs_keep_their_inner_signals_local_and_export_the_rest() {
        let plan = branches();
        let p = partition(&plan, 2);
        assert_eq!(
            p.phases,
            vec![
                Phase::Parallel(vec![vec![0, 1], vec![2, 3], vec![6]]),
                Phase::Serial(vec![4, 5]),
            ]
        );
        let a = assign_phased(&plan, &p);
        // Inside the jobs: 2 and 4 are read only by their job's next step, 9 by nobody.
        for s in [2, 4, 9] {
            assert_eq!(a.buffer_of[s], NO_BUFFER, "signal {s}");
        }
        assert_eq!(a.job_buffers, vec![3, 3, 2]);
        assert_eq!((a.local_of[2], a.local_of[3]), (1, 2));
        assert_eq!((a.local_of[4], a.local_of[5]), (1, 2));
        assert_eq!(a.local_of[9], 1);
        // 3 and 5 leave their jobs for the sum: two different shared buffers, neither the
        // input's nor silence.
        let (b3, b5, b1) = (a.buffer_of[3], a.buffer_of[5], a.buffer_of[1]);
        assert!(
            b3 != b5 && b3 != b1 && b5 != b1 && b3 != 0 && b5 != 0,
            "{a:?}"
        );
        // The sum reuses one of them (both die there), the outputs are pinned apart.
        assert!(a.buffer_of[7] != a.buffer_of[8]);
    }
}
