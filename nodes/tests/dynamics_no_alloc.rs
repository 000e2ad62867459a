//! The dynamics and tone nodes allocate nothing while processing: a counting global
//! allocator watches this thread while each node runs through a schedule at uneven block
//! sizes, across smoothed parameter ramps and choice and flag switches (the compressor with
//! its sidechain connected).

#![allow(
    unsafe_code,
    reason = "a global allocator is the way to count allocations"
)]
#![allow(clippy::unwrap_used, reason = "test")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use mixgraph_engine::{CompileConfig, NodeType, ParamValue, compile};
use mixgraph_nodes::testkit::{self, flag, num};
use mixgraph_nodes::{dynamics, tone};

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

/// Allocations made while `node` processes half a second of loud stereo noise on each of
/// its `ports` inputs in uneven blocks, with `changes` applied one after another.
fn allocations(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    ports: usize,
    changes: &[(&str, f64)],
) -> u64 {
    let d = node.descriptor().clone();
    let changes: Vec<(usize, f64)> = changes
        .iter()
        .map(|(name, v)| (d.params.iter().position(|p| p.name == *name).unwrap(), *v))
        .collect();
    let g = testkit::graph_for(node, params, ports);
    let mut config = CompileConfig::new(48_000.0, 1024);
    for p in 0..ports {
        config.input_channels.insert(format!("in{p}"), 2);
    }
    let mut s = compile(&g, &config).unwrap();
    let index = s.node_index("node").unwrap();
    let x: Vec<Vec<f32>> = testkit::noise(3, 2, 1024)
        .into_iter()
        .map(|c| c.into_iter().map(|v| 2.0 * v).collect())
        .collect();
    let blocks = [1024, 1, 37, 512, 480, 3];
    COUNT.with(|c| c.set(0));
    WATCHING.with(|w| w.set(true));
    let (mut done, mut k) = (0, 0);
    while done < 24_000 {
        let n = blocks[k % blocks.len()];
        for slot in 0..ports {
            for (ch, data) in x.iter().enumerate() {
                s.input_buffer(slot, ch)[..n].copy_from_slice(&data[..n]);
            }
        }
        s.process(n);
        if let Some(&(param, value)) = changes.get(k % 8) {
            s.set_param(index, param, value);
        }
        done += n;
        k += 1;
    }
    WATCHING.with(|w| w.set(false));
    COUNT.with(|c| c.get())
}

/// A node, its parameters, its connected input ports, and the changes applied while it runs.
type Case = (
    Arc<dyn NodeType>,
    Vec<(String, ParamValue)>,
    usize,
    Vec<(&'static str, f64)>,
);

#[test]
fn dynamics_and_tone_nodes_process_without_allocating() {
    let cases: Vec<Case> = vec![
        (
            Arc::new(dynamics::compressor::Compressor),
            vec![num("lookahead", 3.0)],
            2,
            vec![
                ("threshold", -40.0),
                ("detection", 1.0),
                ("sidechain_hpf", 120.0),
                ("attack", 1.0),
            ],
        ),
        (
            Arc::new(dynamics::expander::Expander),
            vec![],
            1,
            vec![("threshold", -10.0), ("hold", 200.0), ("range", 80.0)],
        ),
        (
            Arc::new(dynamics::multiband_compressor::MultibandCompressor),
            vec![num("bands", 4.0)],
            1,
            vec![
                ("crossover2", 900.0),
                ("band2_solo", 1.0),
                ("band3_bypass", 1.0),
                ("knee", 0.0),
            ],
        ),
        (
            Arc::new(dynamics::limiter::Limiter),
            vec![num("input_gain", 12.0)],
            1,
            vec![("ceiling", -6.0), ("release", 10.0), ("input_gain", 0.0)],
        ),
        (
            Arc::new(dynamics::clipper::Clipper),
            vec![flag("oversample", true)],
            1,
            vec![("mode", 1.0), ("ceiling", -12.0), ("mode", 2.0)],
        ),
        (
            Arc::new(dynamics::deesser::Deesser),
            vec![],
            1,
            vec![("frequency", 9000.0), ("mode", 1.0), ("q", 4.0)],
        ),
        (
            Arc::new(tone::saturation::Saturation),
            vec![],
            1,
            vec![("drive", 20.0), ("curve", 1.0), ("mix", 50.0)],
        ),
    ];
    for (node, params, ports, changes) in cases {
        let kind = node.descriptor().kind;
        assert_eq!(
            allocations(node, &params, ports, &changes),
            0,
            "`{kind}` allocated while processing"
        );
    }
}

#[test]
fn the_counter_sees_an_allocation() {
    COUNT.with(|c| c.set(0));
    WATCHING.with(|w| w.set(true));
    let v: Vec<u64> = Vec::with_capacity(std::hint::black_box(16));
    std::hint::black_box(&v);
    WATCHING.with(|w| w.set(false));
    drop(v);
    assert!(COUNT.with(|c| c.get()) > 0);
}
