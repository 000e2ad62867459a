//! The parallel schedule on issue 3's stem mix: 16 stereo stems, each through a `peak` EQ
//! (1 kHz, +2 dB, Q 1), a `compressor` (-18 dB, 2:1, knee 6 dB, 20/250 ms) and a `pan`,
//! summed by a `sum` node, at 44.1 kHz. One iteration copies a block of noise into the 16
//! input buffers (as a render does) and runs `Schedule::process(1024)`, compiled for 1, 2
//! and 4 threads. Before measuring, the outputs of every thread count are checked to be
//! bit-identical.
//!
//! The `16 gains` group is the same mix with one `gain` node per stem instead of the strip:
//! next to no work per job, so the difference between its thread counts is what a parallel
//! phase costs (waking, handing buffers between cores, waiting).
//!
//! Run: `cargo bench -p mixgraph-tests --bench parallel`.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixgraph_engine::{CompileConfig, Graph, ParamValue, Schedule, compile};
use mixgraph_nodes::testkit;

const RATE: f64 = 44_100.0;
const BLOCK: usize = 1024;
const STEMS: usize = 16;

/// Issue 3's strip, or a single `gain` when `light`.
fn stems(light: bool) -> Graph {
    let c = mixgraph_nodes::catalog();
    let num = |name: &str, v: f64| (name.to_string(), ParamValue::Number(v));
    let mut g = Graph::new();
    let sum = g.add_node("sum", c.get("sum").unwrap(), &[]).unwrap();
    for k in 0..STEMS {
        let node = |g: &mut Graph, name: &str, kind: &str, params: &[(String, ParamValue)]| {
            g.add_node(format!("{name}{k}"), c.get(kind).unwrap(), params)
                .unwrap()
        };
        let input = node(&mut g, "s", "input", &[num("channels", 2.0)]);
        if light {
            let gain = node(&mut g, "gain", "gain", &[num("gain", -1.0)]);
            g.connect_ports(input, 0, gain, 0).unwrap();
            g.connect_ports(gain, 0, sum, 0).unwrap();
            continue;
        }
        let eq = node(
            &mut g,
            "eq",
            "peak",
            &[num("frequency", 1000.0), num("q", 1.0), num("gain", 2.0)],
        );
        let comp = node(
            &mut g,
            "comp",
            "compressor",
            &[
                num("threshold", -18.0),
                num("ratio", 2.0),
                num("knee", 6.0),
                num("attack", 20.0),
                num("release", 250.0),
            ],
        );
        let pan = node(&mut g, "pan", "pan", &[num("pan", (k as f64 - 7.5) / 8.0)]);
        for (a, b) in [(input, eq), (eq, comp), (comp, pan), (pan, sum)] {
            g.connect_ports(a, 0, b, 0).unwrap();
        }
    }
    let out = g.add_node("out", c.get("output").unwrap(), &[]).unwrap();
    g.connect_ports(sum, 0, out, 0).unwrap();
    g
}

/// Noise for every stem, `blocks` blocks long.
fn noise(blocks: usize) -> Vec<Vec<Vec<f32>>> {
    (0..STEMS)
        .map(|k| testkit::noise(k as u64 + 1, 2, blocks * BLOCK))
        .collect()
}

fn load(s: &mut Schedule, x: &[Vec<Vec<f32>>], block: usize) {
    let at = block * BLOCK;
    for (slot, stem) in x.iter().enumerate() {
        for (ch, data) in stem.iter().enumerate() {
            s.input_buffer(slot, ch)[..BLOCK].copy_from_slice(&data[at..at + BLOCK]);
        }
    }
}

fn schedule(light: bool, threads: usize) -> Schedule {
    compile(
        &stems(light),
        &CompileConfig::new(RATE, BLOCK).with_threads(threads),
    )
    .unwrap()
}

/// Renders `blocks` blocks on `threads` threads and returns the output's bits.
fn render_bits(light: bool, threads: usize, x: &[Vec<Vec<f32>>], blocks: usize) -> Vec<u32> {
    let mut s = schedule(light, threads);
    let mut out = Vec::new();
    for b in 0..blocks {
        load(&mut s, x, b);
        s.process(BLOCK);
        for ch in 0..2 {
            out.extend(s.output_buffer(0, ch).iter().map(|v| v.to_bits()));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let x = noise(8);
    for (light, name) in [(false, "16 stems"), (true, "16 gains")] {
        let one = render_bits(light, 1, &x, 8);
        for threads in [2, 4] {
            assert!(
                render_bits(light, threads, &x, 8) == one,
                "{name}: {threads} threads differ from one"
            );
        }
        let mut group = c.benchmark_group(format!("{name}, block {BLOCK}"));
        group
            .throughput(Throughput::Elements(BLOCK as u64))
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        for threads in [1, 2, 4] {
            let mut s = schedule(light, threads);
            assert_eq!(s.threads(), threads);
            let mut block = 0;
            group.bench_function(BenchmarkId::new("threads", threads), |b| {
                b.iter(|| {
                    load(&mut s, &x, block);
                    block = (block + 1) % 8;
                    s.process(BLOCK);
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
