//! The processing call allocates nothing: a counting global allocator watches this thread
//! while a schedule with sums, alignment delays, automation and a feedback loop runs.

#![allow(
    unsafe_code,
    reason = "a global allocator is the way to count allocations"
)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use mixgraph_engine::{AutomationLane, Breakpoint, Curve, Graph};

struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the thread-locals are const-initialized Cells,
// whose access does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note() {
    let _ = WATCHING.try_with(|w| {
        if w.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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
        WATCHING.with(|w| w.set(true));
        s.process(256);
        s.process(37);
        s.set_param(3, 0, 0.25);
        WATCHING.with(|w| w.set(false));
        blocks += 2;
    }
    assert_eq!(blocks, 400);
    let count = COUNT.with(Cell::get);
    assert_eq!(count, 0, "{count} allocations on the audio path");
    // The counter works: an allocation while watching is seen.
    WATCHING.with(|w| w.set(true));
    let v: Vec<u8> = Vec::with_capacity(10);
    WATCHING.with(|w| w.set(false));
    drop(v);
    assert!(COUNT.with(Cell::get) >= 1);
}
