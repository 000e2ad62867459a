//! Compiler pass 7: partition. The plan's steps form a DAG: a step depends on the steps that
//! write the signals it reads, and a feedback node's write waits for its read. This pass cuts
//! that DAG into *phases* run one after the other: a serial phase runs its steps in order on
//! the calling thread; a parallel phase holds *jobs* that may run at the same time on worker
//! threads, each job a run of steps in order.
//!
//! # How
//! 1. **Segments.** A step joins the segment of the step before it when that is its only
//!    source step, it is that step's only reader, and it reads nothing else but silence (a
//!    strip such as peak EQ -> compressor -> pan becomes one segment). Everything else starts
//!    a segment. Jobs are whole segments, so a parallel phase synchronizes once, however long
//!    the strips are.
//! 2. **Levels.** A segment's level is one more than the highest level of the segments its
//!    first step reads from (0 when it reads only graph inputs). Segments of one level never
//!    read each other's signals.
//! 3. **Phases.** A level with at least two segments that run a node becomes a parallel phase
//!    (heaviest jobs first, so the last to start are short). Feedback steps, which share a ring
//!    between their read and their write, follow in a serial phase. A level that would not pay
//!    for waking a thread runs serially. With fewer than two threads, or when no level pays,
//!    the partition is a single serial phase in plan order: exactly the sequential schedule.
//!
//! # Promises (checked by the tests)
//! Every step is in exactly one place. A step comes after every step it depends on: in an
//! earlier phase, or earlier in the same serial phase or job. No step of a parallel phase
//! depends on another job of that phase. Within a job, each step reads either only signals
//! written earlier in the same job or only signals written outside it (besides silence), so
//! it runs against one set of buffers. Feedback steps are never in a parallel phase.

use std::cmp::Reverse;

use crate::compile::plan::{Plan, PlanStep, SILENCE, Signal};

/// How the steps of one block run: phases, one after the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partition {
    /// The phases in running order.
    pub phases: Vec<Phase>,
}

/// One phase of a [`Partition`]. Steps are indices into [`Plan::steps`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Steps run one after the other on the calling thread.
    Serial(Vec<usize>),
    /// Jobs that may run at the same time on different threads; each runs its steps in
    /// order.
    Parallel(Vec<Vec<usize>>),
}

impl Partition {
    /// Every step in plan order, in one serial phase: the sequential schedule.
    pub fn sequential(plan: &Plan) -> Partition {
        let steps: Vec<usize> = (0..plan.steps.len()).collect();
        Partition {
            phases: if steps.is_empty() {
                Vec::new()
            } else {
                vec![Phase::Serial(steps)]
            },
        }
    }

    /// Whether any phase runs jobs in parallel.
    pub fn is_parallel(&self) -> bool {
        self.phases.iter().any(|p| matches!(p, Phase::Parallel(_)))
    }

    /// Every job of every parallel phase, in phase order: a job's position here is its
    /// number in [`crate::compile::buffers::Assignment::job_buffers`].
    pub fn jobs(&self) -> impl Iterator<Item = &[usize]> + '_ {
        self.phases
            .iter()
            .filter_map(|p| match p {
                Phase::Parallel(jobs) => Some(jobs.iter().map(Vec::as_slice)),
                Phase::Serial(_) => None,
            })
            .flatten()
    }
}

/// Cuts the plan into phases for `threads` threads (see the module docs).
pub fn partition(plan: &Plan, threads: usize) -> Partition {
    if threads < 2 || plan.steps.is_empty() {
        return Partition::sequential(plan);
    }
    let steps = &plan.steps;
    let writer = writers(plan);
    let sources = source_steps(plan, &writer);
    let mut readers = vec![0usize; steps.len()];
    for &s in sources.iter().flatten() {
        readers[s] += 1;
    }

    // Segments, in plan order of their first step.
    let mut segments: Vec<Segment> = Vec::new();
    let mut segment_of = vec![0usize; steps.len()];
    for (i, step) in steps.iter().enumerate() {
        let continues = match sources[i].as_slice() {
            &[before] => {
                !serial_only(step)
                    && !serial_only(&steps[before])
                    && readers[before] == 1
                    && step
                        .uses()
                        .iter()
                        .all(|&s| s == SILENCE || writer[s as usize] == Some(before))
            }
            _ => false,
        };
        if continues {
            let seg = segment_of[sources[i][0]];
            segments[seg].steps.push(i);
            segment_of[i] = seg;
        } else {
            let level = sources[i]
                .iter()
                .map(|&s| segments[segment_of[s]].level + 1)
                .max()
                .unwrap_or(0);
            segment_of[i] = segments.len();
            segments.push(Segment {
                steps: vec![i],
                level,
            });
        }
    }

    let depth = segments.iter().map(|s| s.level + 1).max().unwrap_or(0);
    let mut levels: Vec<Vec<&Segment>> = vec![Vec::new(); depth];
    for seg in &segments {
        levels[seg.level].push(seg);
    }
    let mut phases = Vec::new();
    let mut parallel = false;
    for level in levels {
        let (feedback, runnable): (Vec<&Segment>, Vec<&Segment>) = level
            .into_iter()
            .partition(|seg| seg.steps.iter().any(|&i| serial_only(&steps[i])));
        let nodes = |seg: &Segment| {
            seg.steps
                .iter()
                .filter(|&&i| matches!(steps[i], PlanStep::Node { .. }))
                .count()
        };
        if runnable.iter().filter(|seg| nodes(seg) > 0).count() >= 2 {
            let mut jobs: Vec<&Segment> = runnable;
            jobs.sort_by_key(|seg| Reverse(nodes(seg)));
            phases.push(Phase::Parallel(
                jobs.into_iter().map(|seg| seg.steps.clone()).collect(),
            ));
            parallel = true;
            push_serial(&mut phases, feedback);
        } else {
            push_serial(&mut phases, runnable.into_iter().chain(feedback).collect());
        }
    }
    if parallel {
        Partition { phases }
    } else {
        Partition::sequential(plan)
    }
}

/// A run of steps where each step after the first reads only the one before it.
#[derive(Clone)]
struct Segment {
    steps: Vec<usize>,
    level: usize,
}

/// Appends the steps of `segments` in plan order to a serial phase (the last one when it is
/// serial, else a new one).
fn push_serial(phases: &mut Vec<Phase>, segments: Vec<&Segment>) {
    let mut list: Vec<usize> = segments
        .iter()
        .flat_map(|seg| seg.steps.iter().copied())
        .collect();
    if list.is_empty() {
        return;
    }
    list.sort_unstable();
    match phases.last_mut() {
        Some(Phase::Serial(steps)) => steps.extend(list),
        _ => phases.push(Phase::Serial(list)),
    }
}

/// Feedback steps share their node's ring between the read and the write; they run on the
/// calling thread.
fn serial_only(step: &PlanStep) -> bool {
    matches!(
        step,
        PlanStep::FeedbackRead { .. } | PlanStep::FeedbackWrite { .. }
    )
}

/// The step writing each signal (`None` for silence and graph inputs).
fn writers(plan: &Plan) -> Vec<Option<usize>> {
    let mut writer = vec![None; plan.signals as usize];
    for (i, step) in plan.steps.iter().enumerate() {
        for s in step.defs() {
            writer[s as usize] = Some(i);
        }
    }
    writer
}

/// For each step, the steps it depends on, without repeats: the writers of what it reads,
/// and for a feedback write, its node's feedback read.
fn source_steps(plan: &Plan, writer: &[Option<usize>]) -> Vec<Vec<usize>> {
    let mut feedback_read = std::collections::HashMap::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if let PlanStep::FeedbackRead { node, .. } = step {
            feedback_read.insert(*node, i);
        }
    }
    plan.steps
        .iter()
        .map(|step| {
            let mut list: Vec<usize> = step
                .uses()
                .iter()
                .filter_map(|&s: &Signal| writer[s as usize])
                .collect();
            if let PlanStep::FeedbackWrite { node, .. } = step {
                list.extend(feedback_read.get(node).copied());
            }
            list.sort_unstable();
            list.dedup();
            list
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use petgraph::graph::NodeIndex;

    use super::*;

    /// A plan over hand-made steps; signals 1..=inputs are graph inputs.
    fn plan(inputs: u32, steps: Vec<PlanStep>) -> Plan {
        let signals = steps
            .iter()
            .flat_map(|s| s.defs().into_iter().chain(s.uses()))
            .max()
            .unwrap_or(0)
            .max(inputs)
            + 1;
        Plan {
            steps,
            signals,
            inputs: vec![(NodeIndex::new(0), (1..=inputs).collect())],
            outputs: Vec::new(),
        }
    }

    fn node(n: usize, inputs: Vec<Signal>, outputs: Vec<Signal>) -> PlanStep {
        PlanStep::Node {
            node: NodeIndex::new(n),
            inputs: vec![inputs],
            outputs: vec![outputs],
        }
    }

    /// `strips` stereo strips of three nodes each (inputs 1..=2*strips), summed per channel,
    /// then one master node: the shape of a stem mix.
    fn strips(strips: u32) -> Plan {
        let mut steps = Vec::new();
        let mut next = 2 * strips + 1;
        let mut ends = Vec::new();
        for k in 0..strips {
            let mut sig = vec![2 * k + 1, 2 * k + 2];
            for n in 0..3 {
                let out = vec![next, next + 1];
                next += 2;
                steps.push(node((3 * k + n) as usize, sig, out.clone()));
                sig = out;
            }
            ends.push(sig);
        }
        let sums: Vec<Signal> = (0..2)
            .map(|ch| {
                steps.push(PlanStep::Sum {
                    dest: next,
                    sources: ends.iter().map(|e| e[ch]).collect(),
                });
                next += 1;
                next - 1
            })
            .collect();
        steps.push(node(99, sums, vec![next, next + 1]));
        plan(2 * strips, steps)
    }

    #[test]
    fn sixteen_strips_become_one_parallel_phase_of_whole_strips() {
        let p = partition(&strips(16), 2);
        assert_eq!(p.phases.len(), 2, "{p:?}");
        let Phase::Parallel(jobs) = &p.phases[0] else {
            panic!("first phase is not parallel: {p:?}");
        };
        assert_eq!(jobs.len(), 16);
        for (k, job) in jobs.iter().enumerate() {
            assert_eq!(job, &vec![3 * k, 3 * k + 1, 3 * k + 2]);
        }
        // The two sums and the master node run serially after the strips.
        assert_eq!(p.phases[1], Phase::Serial(vec![48, 49, 50]));
    }

    #[test]
    fn one_thread_or_one_branch_is_the_sequential_plan() {
        let plan = strips(16);
        assert_eq!(partition(&plan, 1), Partition::sequential(&plan));
        let one = strips(1);
        assert_eq!(partition(&one, 4), Partition::sequential(&one));
        assert!(!partition(&one, 4).is_parallel());
    }

    #[test]
    fn a_step_that_also_reads_a_graph_input_starts_its_own_segment() {
        // a reads input 1; b reads a's output and input 2 (a sidechain): b may not join a's
        // job, since it would read from two sets of buffers. c and d run beside a.
        let p = partition(
            &plan(
                2,
                vec![
                    node(0, vec![1], vec![3]),
                    node(1, vec![3, 2], vec![4]),
                    node(2, vec![2], vec![5]),
                ],
            ),
            2,
        );
        assert_eq!(
            p.phases,
            vec![
                Phase::Parallel(vec![vec![0], vec![2]]),
                Phase::Serial(vec![1])
            ]
        );
    }

    #[test]
    fn a_fan_out_ends_the_segment_and_its_branches_run_in_parallel() {
        // a -> (b, c) -> sum: a has two readers, so b and c are jobs of the next level.
        let p = partition(
            &plan(
                1,
                vec![
                    node(0, vec![1], vec![2]),
                    node(1, vec![2], vec![3]),
                    node(2, vec![2], vec![4]),
                    PlanStep::Sum {
                        dest: 5,
                        sources: vec![3, 4],
                    },
                ],
            ),
            2,
        );
        assert_eq!(
            p.phases,
            vec![
                Phase::Serial(vec![0]),
                Phase::Parallel(vec![vec![1], vec![2]]),
                Phase::Serial(vec![3]),
            ]
        );
    }

    #[test]
    fn feedback_steps_run_serially_and_the_write_after_the_read() {
        let fb = NodeIndex::new(7);
        let p = partition(
            &plan(
                1,
                vec![
                    PlanStep::FeedbackRead {
                        node: fb,
                        dest: vec![2],
                    },
                    node(0, vec![1], vec![3]),
                    node(1, vec![1], vec![4]),
                    node(2, vec![2], vec![5]),
                    // Writes a graph input into the ring: level 0 by its data, but it must
                    // wait for the read.
                    PlanStep::FeedbackWrite {
                        node: fb,
                        src: vec![1],
                    },
                ],
            ),
            2,
        );
        assert_eq!(
            p.phases,
            vec![
                Phase::Parallel(vec![vec![1], vec![2]]),
                Phase::Serial(vec![0, 3, 4]),
            ]
        );
    }
}
