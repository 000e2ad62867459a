//! Parallel schedules: the output is bit-identical to one thread on random graphs (with
//! fan-in sums, compensation delays, automation and a feedback loop) at block sizes 1, 64,
//! 1000 and 4096 on 2 and 4 threads; a checker written here, from the documented rules of
//! the executor alone, proves the compiled phases and buffers never let two steps that may
//! run at the same time share a buffer, nor a value be overwritten before it is read;
//! readings, faults, `set_param`, `seek` and `reset` behave as on one thread; a job's panic
//! reaches the caller.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::random_dag::random_dag;
use common::*;
use mixgraph_engine::compile::buffers::NO_BUFFER;
use mixgraph_engine::compile::partition::Phase;
use mixgraph_engine::compile::plan::{PlanStep, SILENCE};
use mixgraph_engine::compile::{Blueprint, blueprint};
use mixgraph_engine::{
    ActivateError, AutomationLane, Breakpoint, Category, Channels, CompileConfig, Curve, Graph,
    NodeConfig, NodeDescriptor, NodeId, NodeType, PortSpec, ProcessContext, Processor, Reading,
    ReadingValue, Schedule, Unit, compile,
};
use proptest::prelude::*;

const RATE: f64 = 48_000.0;

/// Extends a random DAG: extra connections into main inputs (fan-in, so sum steps), a
/// breakpoint lane on some scale factors, and a feedback loop (`from` -> fb -> `to`).
fn enrich(
    g: &mut Graph,
    ids: &[NodeId],
    extra: &[(usize, usize)],
    automate: &[usize],
    feedback: (usize, usize),
) {
    let c = catalog();
    let inner = ids.len() - 2;
    for &(a, b) in extra {
        let (x, y) = (a % ids.len(), 2 + b % inner);
        if x < y {
            g.connect_ports(ids[x], 0, ids[y], 0).unwrap();
        }
    }
    for (n, &a) in automate.iter().enumerate() {
        let id = ids[2 + a % inner];
        if g.node(id).unwrap().kind_name() != "scale" {
            continue;
        }
        let points = (0..8)
            .map(|j| Breakpoint {
                time: j as f64 * 0.002 * (1 + n % 3) as f64,
                value: [0.5, -1.0, 2.0, 0.25][(j + n) % 4],
                curve: [Curve::Step, Curve::Linear, Curve::Exponential][(j + n) % 3],
            })
            .collect();
        if g.node(id).unwrap().automation.is_empty() {
            g.add_automation(
                id,
                AutomationLane {
                    param: "k".into(),
                    points,
                },
            )
            .unwrap();
        }
    }
    let fb = add(g, &c, "fb", "feedback", &[("delay", 100.0), ("gain", -6.0)]);
    g.connect_ports(ids[2 + feedback.0 % inner], 0, fb, 0)
        .unwrap();
    g.connect_ports(fb, 0, ids[2 + feedback.1 % inner], 0)
        .unwrap();
}

/// Frames to render at each block size: several blocks, and enough for the feedback loop
/// (4800 frames) to come round at the larger sizes.
fn frames_for(block: usize) -> usize {
    match block {
        1 => 300,
        b if b < 1000 => 2_000,
        b => 3 * b + 517,
    }
}

fn inputs(len: usize) -> Vec<Vec<Vec<f32>>> {
    vec![vec![noise(1, len)], vec![noise(2, len), noise(3, len)]]
}

/// Compiles `g` on `threads` threads at `block` and renders `len` frames of noise.
fn render(g: &Graph, threads: usize, block: usize, len: usize) -> (Vec<Vec<Vec<f32>>>, u64) {
    let config = CompileConfig::new(RATE, block).with_threads(threads);
    let mut s = compile(g, &config).unwrap();
    let out = run(&mut s, &inputs(len), len, block);
    (out, s.faults())
}

fn bits(out: &[Vec<Vec<f32>>]) -> Vec<Vec<Vec<u32>>> {
    out.iter()
        .map(|port| {
            port.iter()
                .map(|ch| ch.iter().map(|x| x.to_bits()).collect())
                .collect()
        })
        .collect()
}

/// Checks a blueprint against the executor's rules (see `schedule` and `compile::partition`
/// docs), by simulating which signal every buffer holds:
/// - a serial step reads the shared pool and writes shared buffers, one step after another;
/// - a job step reads its own job's buffers when it reads any signal an earlier step of the
///   job wrote (then it must read only such signals and silence), else the shared pool as it
///   was when the phase began; it writes its job's buffers; a signal with a shared buffer is
///   moved there when the phase ends;
/// - jobs of one phase may run at the same time.
fn check(bp: &Blueprint) -> Result<(), String> {
    let plan = &bp.plan;
    let a = &bp.assignment;
    let steps = &plan.steps;
    // Independent dependency analysis.
    let mut writer: HashMap<u32, usize> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        for d in step.defs() {
            if writer.insert(d, i).is_some() {
                return Err(format!("signal {d} written twice"));
            }
        }
    }
    let read_step: HashMap<_, usize> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            PlanStep::FeedbackRead { node, .. } => Some((*node, i)),
            _ => None,
        })
        .collect();
    let depends_on = |i: usize| -> Vec<usize> {
        let mut d: Vec<usize> = steps[i]
            .uses()
            .iter()
            .filter_map(|s| writer.get(s).copied())
            .collect();
        if let PlanStep::FeedbackWrite { node, .. } = &steps[i] {
            d.push(read_step[node]);
        }
        d
    };
    // Where each step runs: (phase, job or none, position).
    let mut place: HashMap<usize, (usize, Option<usize>, usize)> = HashMap::new();
    let mut job_number = 0;
    for (p, phase) in bp.partition.phases.iter().enumerate() {
        let mut put = |i: usize, job: Option<usize>, pos: usize| {
            if place.insert(i, (p, job, pos)).is_some() {
                return Err(format!("step {i} placed twice"));
            }
            Ok(())
        };
        match phase {
            Phase::Serial(list) => {
                for (pos, &i) in list.iter().enumerate() {
                    put(i, None, pos)?;
                }
            }
            Phase::Parallel(jobs) => {
                for job in jobs {
                    for (pos, &i) in job.iter().enumerate() {
                        if matches!(
                            steps[i],
                            PlanStep::FeedbackRead { .. } | PlanStep::FeedbackWrite { .. }
                        ) {
                            return Err(format!("feedback step {i} in a parallel phase"));
                        }
                        put(i, Some(job_number), pos)?;
                    }
                    job_number += 1;
                }
            }
        }
    }
    if place.len() != steps.len() {
        return Err(format!("{} of {} steps placed", place.len(), steps.len()));
    }
    for i in 0..steps.len() {
        let (p, job, pos) = place[&i];
        for d in depends_on(i) {
            let (dp, djob, dpos) = place[&d];
            let before = dp < p || (dp == p && djob == job && dpos < pos);
            if !before {
                return Err(format!(
                    "step {i} {:?} runs no later than step {d} it depends on",
                    place[&i]
                ));
            }
        }
    }

    // Simulation over physical buffers: what each holds.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    enum Buf {
        Shared(u32),
        Local(usize, u32),
    }
    let mut holds: HashMap<Buf, u32> = HashMap::new();
    holds.insert(Buf::Shared(0), SILENCE);
    for (_, sigs) in &plan.inputs {
        for &s in sigs {
            if holds
                .insert(Buf::Shared(a.buffer_of[s as usize]), s)
                .is_some()
            {
                return Err(format!("input signal {s} shares a buffer"));
            }
        }
    }
    let expect = |holds: &HashMap<Buf, u32>, b: Buf, s: u32, i: usize| {
        if holds.get(&b) == Some(&s) {
            Ok(())
        } else {
            Err(format!(
                "step {i} reads signal {s} from {b:?}, which holds {:?}",
                holds.get(&b)
            ))
        }
    };
    let mut job_number = 0;
    for phase in &bp.partition.phases {
        match phase {
            Phase::Serial(list) => {
                for &i in list {
                    let mut read = HashSet::new();
                    for s in steps[i].uses() {
                        let b = Buf::Shared(a.buffer_of[s as usize]);
                        expect(&holds, b, s, i)?;
                        read.insert(b);
                    }
                    for d in steps[i].defs() {
                        let b = Buf::Shared(a.buffer_of[d as usize]);
                        if a.buffer_of[d as usize] == NO_BUFFER || b == Buf::Shared(0) {
                            return Err(format!("serial step {i} writes {d} to {b:?}"));
                        }
                        if read.contains(&b) {
                            return Err(format!("step {i} writes {b:?}, which it reads"));
                        }
                        holds.insert(b, d);
                    }
                }
            }
            Phase::Parallel(jobs) => {
                let before = holds.clone();
                let mut touched: Vec<(HashSet<Buf>, HashSet<Buf>)> = Vec::new();
                for job in jobs {
                    let j = job_number;
                    job_number += 1;
                    let size = a.job_buffers[j] as u32;
                    let (mut reads, mut writes) = (HashSet::new(), HashSet::new());
                    let mut mine: HashMap<Buf, u32> = HashMap::new();
                    let mut written: HashSet<u32> = HashSet::new();
                    for &i in job {
                        let uses: Vec<u32> = steps[i]
                            .uses()
                            .into_iter()
                            .filter(|&s| s != SILENCE)
                            .collect();
                        let local = uses.iter().any(|s| written.contains(s));
                        if local && !uses.iter().all(|s| written.contains(s)) {
                            return Err(format!("job step {i} reads from both sides"));
                        }
                        let mut step_reads = HashSet::new();
                        for s in uses {
                            if local {
                                let b = Buf::Local(j, a.local_of[s as usize]);
                                expect(&mine, b, s, i)?;
                                step_reads.insert(b);
                            } else {
                                let b = Buf::Shared(a.buffer_of[s as usize]);
                                expect(&before, b, s, i)?;
                                step_reads.insert(b);
                            }
                        }
                        for d in steps[i].defs() {
                            let l = a.local_of[d as usize];
                            if l == 0 || l >= size {
                                return Err(format!("job step {i} writes {d} to local {l}"));
                            }
                            if step_reads.contains(&Buf::Local(j, l)) {
                                return Err(format!(
                                    "job step {i} writes local {l}, which it reads"
                                ));
                            }
                            mine.insert(Buf::Local(j, l), d);
                            writes.insert(Buf::Local(j, l));
                            written.insert(d);
                            let b = a.buffer_of[d as usize];
                            if b != NO_BUFFER {
                                if b == 0 {
                                    return Err(format!("job step {i} exports to silence"));
                                }
                                writes.insert(Buf::Shared(b));
                            }
                        }
                        reads.extend(step_reads);
                    }
                    // What leaves the job is still in its buffer when the phase ends.
                    for &i in job {
                        for d in steps[i].defs() {
                            if a.buffer_of[d as usize] != NO_BUFFER {
                                expect(&mine, Buf::Local(j, a.local_of[d as usize]), d, i)?;
                            }
                        }
                    }
                    touched.push((reads, writes));
                }
                // Jobs that may run at the same time never touch a buffer another writes.
                for (x, (_, wx)) in touched.iter().enumerate() {
                    for (y, (ry, wy)) in touched.iter().enumerate() {
                        if x != y {
                            if let Some(b) = wx.intersection(wy).chain(wx.intersection(ry)).next() {
                                return Err(format!("jobs {x} and {y} of a phase share {b:?}"));
                            }
                        }
                    }
                }
                // Nor does a result moved in at the end overwrite what the phase read.
                for (_, w) in &touched {
                    for b in w {
                        if matches!(b, Buf::Shared(_)) && touched.iter().any(|(r, _)| r.contains(b))
                        {
                            return Err(format!("{b:?} is read and written by one phase"));
                        }
                    }
                }
                for job in jobs {
                    for &i in job {
                        for d in steps[i].defs() {
                            let b = a.buffer_of[d as usize];
                            if b != NO_BUFFER {
                                holds.insert(Buf::Shared(b), d);
                            }
                        }
                    }
                }
            }
        }
    }
    for (_, sigs) in &plan.outputs {
        for &s in sigs {
            expect(&holds, Buf::Shared(a.buffer_of[s as usize]), s, usize::MAX)?;
        }
    }
    Ok(())
}

/// What a random graph is made of: [`random_dag`]'s kinds, sources and output count, and
/// [`enrich`]'s extra connections, automated nodes and feedback ends.
type Recipe = (
    Vec<bool>,
    Vec<(usize, Option<usize>)>,
    Vec<(usize, usize)>,
    Vec<usize>,
    (usize, usize),
    usize,
);

/// Random graphs of 1 to `nodes` processing nodes.
fn recipes(nodes: usize) -> impl Strategy<Value = Recipe> {
    (
        prop::collection::vec(any::<bool>(), 1..nodes),
        prop::collection::vec((0usize..100, prop::option::of(0usize..100)), nodes),
        prop::collection::vec((0usize..100, 0usize..100), 0..nodes / 5),
        prop::collection::vec(0usize..100, 0..4),
        (0usize..100, 0usize..100),
        1usize..4,
    )
}

fn graph_of((kinds, sources, extra, automate, feedback, outputs): &Recipe) -> Graph {
    let (mut g, ids) = random_dag(kinds, sources, *outputs);
    enrich(&mut g, &ids, extra, automate, *feedback);
    g
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_graphs_render_bit_identically_on_2_and_4_threads(recipe in recipes(30)) {
        let g = graph_of(&recipe);
        for block in [1, 64, 1000, 4096] {
            let len = frames_for(block);
            let (one, faults) = render(&g, 1, block, len);
            for threads in [2, 4] {
                let (many, many_faults) = render(&g, threads, block, len);
                prop_assert!(bits(&one) == bits(&many), "block {} threads {}", block, threads);
                prop_assert_eq!(faults, many_faults);
            }
        }
    }

    #[test]
    fn no_two_steps_that_may_run_together_share_a_buffer(recipe in recipes(60)) {
        let g = graph_of(&recipe);
        for threads in [1, 2, 4] {
            let bp = blueprint(&g, &CompileConfig::new(RATE, 64).with_threads(threads)).unwrap();
            prop_assert!(threads > 1 || !bp.partition.is_parallel());
            if let Err(e) = check(&bp) {
                prop_assert!(false, "threads {}: {}", threads, e);
            }
        }
    }
}

/// The property tests are not vacuous: most random graphs do run jobs in parallel.
#[test]
fn most_random_graphs_have_parallel_phases() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = recipes(30);
    let parallel = (0..50)
        .filter(|_| {
            let g = graph_of(&strategy.new_tree(&mut runner).unwrap().current());
            let config = CompileConfig::new(RATE, 64).with_threads(2);
            blueprint(&g, &config).unwrap().partition.is_parallel()
        })
        .count();
    assert!(
        parallel >= 30,
        "only {parallel} of 50 graphs run in parallel"
    );
}

/// The checker is not blind: it catches a shared buffer given to two jobs of a phase.
#[test]
fn the_checker_catches_two_jobs_sharing_a_buffer() {
    let g = strips(4, &[]);
    let mut bp = blueprint(&g, &CompileConfig::new(RATE, 64).with_threads(2)).unwrap();
    assert!(check(&bp).is_ok());
    let Phase::Parallel(jobs) = &bp.partition.phases[0] else {
        panic!("no parallel phase first: {:?}", bp.partition);
    };
    // Point the last output of job 1 at the shared buffer of job 0's last output.
    let last = |job: &Vec<usize>| bp.plan.steps[*job.last().unwrap()].defs()[0];
    let (s0, s1) = (last(&jobs[0]), last(&jobs[1]));
    bp.assignment.buffer_of[s1 as usize] = bp.assignment.buffer_of[s0 as usize];
    let err = check(&bp).unwrap_err();
    assert!(err.contains("share") || err.contains("holds"), "{err}");
}

/// A pass-through meter: reports the peak and the sum of what it saw.
struct Meter;

static METER: NodeDescriptor = NodeDescriptor {
    kind: "meter",
    doc: "test: pass-through with readings",
    category: Category::Meter,
    source: "engine/tests/parallel.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[],
};

struct MeterProc {
    peak: f32,
    sum: f64,
}

impl NodeType for Meter {
    fn descriptor(&self) -> &NodeDescriptor {
        &METER
    }
    fn activate(&self, _: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(MeterProc {
            peak: 0.0,
            sum: 0.0,
        }))
    }
}

impl Processor for MeterProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for ch in 0..ctx.outputs.channels(0) {
            let x = ctx.inputs.channel(0, ch);
            for (o, v) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                *o = *v;
                self.peak = self.peak.max(v.abs());
                self.sum += f64::from(*v);
            }
        }
    }
    fn reset(&mut self) {
        self.peak = 0.0;
        self.sum = 0.0;
    }
    fn readings(&self) -> Vec<Reading> {
        vec![
            Reading {
                name: "peak",
                value: ReadingValue::Scalar(f64::from(self.peak)),
                unit: Unit::Factor,
            },
            Reading {
                name: "sum",
                value: ReadingValue::Scalar(self.sum),
                unit: Unit::None,
            },
        ]
    }
}

/// Writes NaN on every 97th frame of the timeline, otherwise passes through; panics from
/// frame `panic_at` on.
struct Spiky;

static SPIKY: NodeDescriptor = NodeDescriptor {
    kind: "spiky",
    doc: "test: NaN every 97 frames",
    category: Category::Level,
    source: "engine/tests/parallel.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[mixgraph_engine::ParamSpec::number(
        "panic_at",
        "frame to panic from",
        Unit::Samples,
        0.0,
        1e9,
        1e9,
        0.0,
    )],
};

struct SpikyProc {
    panic_at: u64,
}

impl NodeType for Spiky {
    fn descriptor(&self) -> &NodeDescriptor {
        &SPIKY
    }
    fn activate(&self, c: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(SpikyProc {
            panic_at: c.params.number("panic_at") as u64,
        }))
    }
}

impl Processor for SpikyProc {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let at = ctx.position();
        assert!(at < self.panic_at, "spiky blew up at frame {at}");
        for ch in 0..ctx.outputs.channels(0) {
            let x = ctx.inputs.channel(0, ch);
            for (f, (o, v)) in ctx.outputs.channel(0, ch).iter_mut().zip(x).enumerate() {
                *o = if (at + f as u64) % 97 == 0 {
                    f32::NAN
                } else {
                    *v
                };
            }
        }
    }
    fn reset(&mut self) {}
}

/// `n` stereo strips (scale -> meter -> scale, strip 2 through `spiky` too, strip 1 through
/// a 100-frame lag so the others are aligned) summed into one output; `spiky`: its params.
fn strips(n: usize, spiky: &[(&str, f64)]) -> Graph {
    let mut c = catalog();
    c.register(Meter);
    c.register(Spiky);
    let mut g = Graph::new();
    let out = add(&mut g, &c, "mix", "output", &[]);
    for k in 0..n {
        let i = input(&mut g, &c, &format!("s{k}"), 2);
        let a = add(
            &mut g,
            &c,
            &format!("a{k}"),
            "scale",
            &[("k", 0.2 + 0.1 * k as f64)],
        );
        let m = add(&mut g, &c, &format!("m{k}"), "meter", &[]);
        let b = add(&mut g, &c, &format!("b{k}"), "scale", &[("k", 0.9)]);
        wire(&mut g, i, a);
        wire(&mut g, a, m);
        let mut last = m;
        if k == 2 {
            let s = add(&mut g, &c, "spiky", "spiky", spiky);
            wire(&mut g, last, s);
            last = s;
        }
        if k == 1 {
            let l = add(&mut g, &c, "lag", "lag", &[("frames", 100.0)]);
            wire(&mut g, last, l);
            last = l;
        }
        wire(&mut g, last, b);
        wire(&mut g, b, out);
    }
    g
}

fn strip_inputs(n: usize, len: usize) -> Vec<Vec<Vec<f32>>> {
    (0..n)
        .map(|k| vec![noise(10 + k as u64, len), noise(50 + k as u64, len)])
        .collect()
}

fn numbers(s: &Schedule) -> Vec<(String, Vec<(&'static str, u64)>)> {
    s.readings()
        .into_iter()
        .map(|(name, _, r)| {
            let values = r
                .iter()
                .map(|x| match x.value {
                    ReadingValue::Scalar(v) => (x.name, v.to_bits()),
                    ReadingValue::Series { .. } => (x.name, 0),
                })
                .collect();
            (name, values)
        })
        .collect()
}

#[test]
fn strips_on_two_threads_match_one_with_readings_faults_params_seek_and_reset() {
    const N: usize = 8;
    const BLOCK: usize = 256;
    let g = strips(N, &[]);
    let config = CompileConfig::new(RATE, BLOCK);
    let mut one = compile(&g, &config).unwrap();
    let mut two = compile(&g, &config.clone().with_threads(2)).unwrap();
    assert_eq!((one.threads(), two.threads()), (1, 2));
    assert!(two.describe().iter().any(|l| l.starts_with("parallel: ")));
    let len = 20 * BLOCK + 77;
    let x = strip_inputs(N, len);
    let half = len / 2;
    let session = |s: &mut Schedule| {
        let mut out = run(s, &x, half, BLOCK);
        let node = s.node_index("b3").unwrap();
        s.set_param(node, 0, -0.5);
        let more = run(s, &x, len - half, BLOCK);
        out[0][0].extend_from_slice(&more[0][0]);
        out[0][1].extend_from_slice(&more[0][1]);
        out
    };
    let a = session(&mut one);
    let b = session(&mut two);
    assert_eq!(bits(&a), bits(&b));
    assert!(one.faults() > 0, "the spiky strip made no fault to count");
    assert_eq!(one.faults(), two.faults());
    assert_eq!(numbers(&one), numbers(&two));
    assert_eq!(numbers(&two).len(), N);

    // Seeking moves automation and the timeline the same way.
    for s in [&mut one, &mut two] {
        s.seek(12_345);
    }
    let (a, b) = (
        run(&mut one, &x, 3000, BLOCK),
        run(&mut two, &x, 3000, BLOCK),
    );
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(one.position(), two.position());

    // After a reset, both reproduce a fresh render (with the parameter still changed).
    let mut fresh = compile(&g, &config).unwrap();
    let node = fresh.node_index("b3").unwrap();
    fresh.set_param(node, 0, -0.5);
    let expected = run(&mut fresh, &x, 4000, BLOCK);
    for s in [&mut one, &mut two] {
        s.reset();
        s.set_param(node, 0, -0.5);
        assert_eq!(bits(&run(s, &x, 4000, BLOCK)), bits(&expected));
    }
}

#[test]
fn a_graph_without_independent_branches_stays_on_one_thread() {
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 2);
    let mut last = i;
    for k in 0..10 {
        let n = add(&mut g, &c, &format!("n{k}"), "scale", &[("k", 0.9)]);
        wire(&mut g, last, n);
        last = n;
    }
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, last, o);
    let s = compile(&g, &CompileConfig::new(RATE, 64).with_threads(4)).unwrap();
    assert_eq!(s.threads(), 1);
    assert!(!s.describe().iter().any(|l| l.starts_with("parallel")));
}

#[test]
fn zero_threads_is_refused() {
    let g = strips(2, &[]);
    let err = compile(&g, &CompileConfig::new(RATE, 64).with_threads(0))
        .err()
        .unwrap();
    assert!(err.to_string().contains("threads must be 1 to"), "{err}");
}

#[test]
fn a_panic_in_a_job_reaches_the_caller_and_the_schedule_still_drops() {
    let g = strips(4, &[("panic_at", 600.0)]);
    let mut s = compile(&g, &CompileConfig::new(RATE, 256).with_threads(2)).unwrap();
    assert_eq!(s.threads(), 2);
    let x = strip_inputs(4, 256);
    let mut outcome = Ok(());
    for _ in 0..4 {
        for (k, chans) in x.iter().enumerate() {
            for (ch, data) in chans.iter().enumerate() {
                s.input_buffer(k, ch)[..256].copy_from_slice(data);
            }
        }
        outcome = catch_unwind(AssertUnwindSafe(|| s.process(256)));
        if outcome.is_err() {
            break;
        }
    }
    let payload = outcome.unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("spiky blew up at frame 768"), "{message}");
    // The other nodes got their processors back: their readings are there.
    assert_eq!(s.readings().len(), 4);
    drop(s);
}
