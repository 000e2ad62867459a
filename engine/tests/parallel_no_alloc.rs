//! A parallel schedule allocates nothing while processing, on any thread: this binary's
//! global allocator counts the allocations of every thread (the calling thread and the
//! workers) while a schedule of eight strips with sums, alignment delays, automation and a
//! feedback loop runs on 2 and on 4 threads. Its only test, so no other test's threads
//! allocate meanwhile.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use common::*;
use mixgraph_engine::alloc_counter::{CountingAllocator, count_allocations_on_every_thread};
use mixgraph_engine::{AutomationLane, Breakpoint, CompileConfig, Curve, Graph, compile};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations on any thread while `f` runs.
fn allocations(f: impl FnOnce()) -> u64 {
    count_allocations_on_every_thread(f).1
}

fn graph() -> Graph {
    let c = catalog();
    let mut g = Graph::new();
    let mix = add(&mut g, &c, "mix", "scale", &[("k", 0.5)]);
    for k in 0..8 {
        let i = input(&mut g, &c, &format!("in{k}"), 2);
        let a = add(&mut g, &c, &format!("a{k}"), "scale", &[("k", 0.3)]);
        let b = add(
            &mut g,
            &c,
            &format!("b{k}"),
            "lag",
            &[("frames", 50.0 * k as f64)],
        );
        wire(&mut g, i, a);
        wire(&mut g, a, b);
        wire(&mut g, b, mix);
        let points = (0..40)
            .map(|n| Breakpoint {
                time: n as f64 * 0.003,
                value: (n % 4) as f64 * 0.5,
                curve: Curve::Exponential,
            })
            .collect();
        g.add_automation(
            a,
            AutomationLane {
                param: "k".into(),
                points,
            },
        )
        .unwrap();
    }
    let fb = add(&mut g, &c, "fb", "feedback", &[("delay", 50.0)]);
    wire(&mut g, mix, fb);
    wire(&mut g, fb, mix);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, mix, o);
    g
}

#[test]
fn processing_on_several_threads_allocates_nothing_on_any_thread() {
    // The counter works on other threads too.
    let spawned = allocations(|| {
        std::thread::spawn(|| drop(Vec::<u8>::with_capacity(10)))
            .join()
            .unwrap();
    });
    assert!(spawned >= 1);

    let g = graph();
    for threads in [2, 4] {
        let mut s = compile(&g, &CompileConfig::new(48_000.0, 256).with_threads(threads)).unwrap();
        assert_eq!(s.threads(), threads);
        let a0 = s.node_index("a0").unwrap();
        let x = noise(1, 256);
        let fill = |s: &mut mixgraph_engine::Schedule| {
            for k in 0..8 {
                for ch in 0..2 {
                    s.input_buffer(k, ch)[..256].copy_from_slice(&x);
                }
            }
        };
        let mut blocks = 0;
        let count = allocations(|| {
            for _ in 0..300 {
                fill(&mut s);
                s.process(256);
                s.process(37);
                s.set_param(a0, 0, 0.25);
                blocks += 2;
            }
        });
        assert_eq!(blocks, 600);
        assert_eq!(count, 0, "{count} allocations on {threads} threads");
    }
}
