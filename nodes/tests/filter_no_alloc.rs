//! The filter nodes allocate nothing while processing: a counting global allocator watches
//! this thread while each node runs through a schedule at uneven block sizes, across smoothed
//! parameter ramps and instant changes of choices (slope, band type, band count).

#![allow(clippy::unwrap_used, reason = "test")]

use mixgraph_engine::alloc_counter::{self, CountingAllocator};
use std::sync::Arc;

use mixgraph_engine::{NodeType, ParamValue};
use mixgraph_nodes::filter;
use mixgraph_nodes::testkit::{self, num, text};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A node, its parameters, and the changes applied while it runs.
type Case = (
    Arc<dyn NodeType>,
    Vec<(String, ParamValue)>,
    Vec<(&'static str, f64)>,
);

#[test]
fn filter_nodes_process_without_allocating() {
    let cases: Vec<Case> = vec![
        (
            Arc::new(filter::lowpass::Lowpass),
            vec![],
            vec![("frequency", 300.0), ("slope", 3.0), ("q", 2.0)],
        ),
        (
            Arc::new(filter::highpass::Highpass),
            vec![],
            vec![("frequency", 900.0), ("slope", 1.0)],
        ),
        (
            Arc::new(filter::bandpass::Bandpass),
            vec![],
            vec![("frequency", 90.0), ("q", 8.0)],
        ),
        (
            Arc::new(filter::notch::Notch),
            vec![],
            vec![("frequency", 60.0)],
        ),
        (
            Arc::new(filter::peak::Peak),
            vec![],
            vec![("gain", 9.0), ("frequency", 3000.0)],
        ),
        (
            Arc::new(filter::lowshelf::Lowshelf),
            vec![],
            vec![("gain", -6.0)],
        ),
        (
            Arc::new(filter::highshelf::Highshelf),
            vec![],
            vec![("gain", 6.0)],
        ),
        (
            Arc::new(filter::allpass::Allpass),
            vec![],
            vec![("frequency", 200.0)],
        ),
        (
            Arc::new(filter::eq::Eq),
            vec![text("band1_type", "peak"), num("band1_gain", 3.0)],
            vec![
                ("band1_gain", -4.0),
                ("band3_type", 2.0),
                ("band3_gain", 5.0),
                ("band1_type", 0.0),
            ],
        ),
        (
            Arc::new(filter::tilt::Tilt),
            vec![num("slope", 1.0)],
            vec![("slope", -2.0), ("pivot", 300.0)],
        ),
        (
            Arc::new(filter::crossover::Crossover),
            vec![],
            vec![
                ("freq1", 300.0),
                ("bands", 5.0),
                ("freq4", 9000.0),
                ("bands", 2.0),
            ],
        ),
    ];
    for (node, params, changes) in cases {
        let kind = node.descriptor().kind;
        assert_eq!(
            testkit::allocations_while_processing(node, &params, 1, &changes, 1.0),
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
