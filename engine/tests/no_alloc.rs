//! The processing call allocates nothing: a counting global allocator watches this thread
//! while a schedule with sums, alignment delays, automation and a feedback loop runs.

mod common;

use mixgraph_engine::alloc_counter::{self, CountingAllocator};

use common::*;
use mixgraph_engine::{AutomationLane, Breakpoint, Curve, Graph};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn processing_a_block_allocates_nothing() {
    let c = catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "a", 1);
    let b = input(&mut g, &c, "b", 2);
    let lag = add(&mut g, &c, "lag", "lag", &[("frames", 300.0)]);
    let s1 = add(&mut g, &c, "s1", "scale", &[("k", 0.5)]);
    let mix = add(&mut g, &c, "mix", "scale", &[]);
    let fb = add(&mut g, &c, "fb", "feedback", &[("delay", 50.0)]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, a, lag);
    wire(&mut g, b, s1);
    wire(&mut g, lag, mix);
    wire(&mut g, s1, mix);
    wire(&mut g, mix, fb);
    wire(&mut g, fb, mix);
    wire(&mut g, mix, o);
    let points = (0..20)
        .map(|n| Breakpoint {
            time: n as f64 * 0.01,
            value: (n % 3) as f64,
            curve: Curve::Exponential,
        })
        .collect();
    g.add_automation(
        s1,
        AutomationLane {
            param: "k".into(),
            points,
        },
    )
    .unwrap();
    let mut s = build(&g, 256);
    let x = noise(1, 256);
    let mut blocks = 0;
    for _ in 0..200 {
        s.input_buffer(0, 0)[..256].copy_from_slice(&x);
        s.input_buffer(1, 0)[..256].copy_from_slice(&x);
        s.input_buffer(1, 1)[..256].copy_from_slice(&x);
        alloc_counter::watch(true);
        s.process(256);
        s.process(37);
        s.set_param(3, 0, 0.25);
        alloc_counter::watch(false);
        blocks += 2;
    }
    assert_eq!(blocks, 400);
    let count = alloc_counter::count();
    assert_eq!(count, 0, "{count} allocations on the audio path");
    // The counter works: an allocation while watching is seen.
    alloc_counter::watch(true);
    let v: Vec<u8> = Vec::with_capacity(10);
    alloc_counter::watch(false);
    drop(v);
    assert!(alloc_counter::count() >= 1);
}
