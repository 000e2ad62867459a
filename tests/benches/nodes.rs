//! Cost of every node in the catalog, in nanoseconds per stereo frame, at block sizes 64 and
//! 1024: each node runs in a graph of its own (`in0` -> node -> `out0`, stereo on every main
//! input, sidechains unconnected, default parameters; a 1 s impulse response for
//! `convolution`); one iteration copies a block of noise into the input buffers (as a
//! render does) and runs `Schedule::process(block)`. Criterion's time per iteration is the time per block; its throughput line
//! gives frames per second, and ns/frame = time / block. `(graph)` is the same graph
//! without a node (input straight to output): the schedule's own cost per block.
//!
//! Run: `cargo bench -p mixgraph-tests --bench nodes`; one node: `... -- compressor`.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixgraph_engine::{CompileConfig, Graph, Schedule, compile};
use mixgraph_nodes::testkit;
use mixgraph_tests::node_fixture::{ENDPOINTS, NodeFixture, file_params, load_block};

const SAMPLE_RATE: u32 = 48_000;
const BLOCKS: [usize; 2] = [64, 1024];

/// `in0` straight to `out0`, stereo.
fn bare_graph(block: usize) -> Schedule {
    let c = mixgraph_engine::Catalog::with_builtins();
    let mut g = Graph::new();
    let i = g.add_node("in0", c.get("input").unwrap(), &[]).unwrap();
    let o = g.add_node("out0", c.get("output").unwrap(), &[]).unwrap();
    g.connect_ports(i, 0, o, 0).unwrap();
    compile(&g, &CompileConfig::new(f64::from(SAMPLE_RATE), block)).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for block in BLOCKS {
        let mut group = c.benchmark_group(format!("block {block}"));
        group
            .throughput(Throughput::Elements(block as u64))
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        let mut s = bare_graph(block);
        let noise = testkit::noise(1, 2, block);
        group.bench_function(BenchmarkId::from_parameter("(graph)"), |b| {
            b.iter(|| {
                load_block(&mut s, std::slice::from_ref(&noise), 0, block);
                s.process(block);
            })
        });
        for node in mixgraph_nodes::catalog().iter() {
            let kind = node.descriptor().kind;
            if ENDPOINTS.contains(&kind) {
                continue;
            }
            let params = file_params(node.as_ref(), dir.path(), SAMPLE_RATE, 1.0);
            let fixture = NodeFixture::new(node.clone(), &params);
            let mut s = fixture.compile(f64::from(SAMPLE_RATE), block);
            let noise: Vec<_> = fixture
                .noise_inputs(1, block)
                .into_iter()
                .map(|port| {
                    port.into_iter()
                        .map(|c| c.into_iter().map(|x| x * 0.5).collect())
                        .collect()
                })
                .collect();
            group.bench_function(BenchmarkId::from_parameter(kind), |b| {
                b.iter(|| {
                    load_block(&mut s, &noise, 0, block);
                    s.process(block);
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
