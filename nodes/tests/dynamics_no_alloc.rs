//! The dynamics and tone nodes allocate nothing while processing: a counting global
//! allocator watches this thread while each node runs through a schedule at uneven block
//! sizes, across smoothed parameter ramps and choice and flag switches (the compressor with
//! its sidechain connected).

#![allow(clippy::unwrap_used, reason = "test")]

use mixgraph_engine::alloc_counter::{self, CountingAllocator};
use std::sync::Arc;

use mixgraph_engine::{NodeType, ParamValue};
use mixgraph_nodes::testkit::{self, flag, num};
use mixgraph_nodes::{dynamics, tone};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

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
            testkit::allocations_while_processing(node, &params, ports, &changes, 2.0),
            0,
            "`{kind}` allocated while processing"
        );
    }
}

#[test]
fn the_counter_sees_an_allocation() {
    alloc_counter::reset();
    alloc_counter::watch(true);
    let v: Vec<u64> = Vec::with_capacity(std::hint::black_box(16));
    std::hint::black_box(&v);
    alloc_counter::watch(false);
    drop(v);
    assert!(alloc_counter::count() > 0);
}
