//! The dynamics and tone nodes allocate nothing while processing: a counting global
//! allocator watches this thread while each node runs through a schedule at uneven block
//! sizes, across smoothed parameter ramps and choice and flag switches (the compressor with
//! its sidechain connected).

#![allow(clippy::unwrap_used, reason = "test")]

use mixgraph_engine::alloc_counter::{self, CountingAllocator};
use std::sync::Arc;

use mixgraph_engine::{CompileConfig, NodeType, ParamValue, compile};
use mixgraph_nodes::testkit::{self, flag, num};
use mixgraph_nodes::{dynamics, tone};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

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
    alloc_counter::reset();
    alloc_counter::watch(true);
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
    alloc_counter::watch(false);
    alloc_counter::count()
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
    alloc_counter::reset();
    alloc_counter::watch(true);
    let v: Vec<u64> = Vec::with_capacity(std::hint::black_box(16));
    std::hint::black_box(&v);
    alloc_counter::watch(false);
    drop(v);
    assert!(alloc_counter::count() > 0);
}
