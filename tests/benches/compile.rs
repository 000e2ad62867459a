//! Compile time of large graphs (the brief asks for a 10,000-node chain in under 20 ms):
//! a series chain of 10,000 gains, and 100 strips of 99 gains summed into one output.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use criterion::{Criterion, criterion_group, criterion_main};
use mixgraph_engine::{CompileConfig, Graph, ParamValue, compile};

fn series(n: usize) -> Graph {
    let c = mixgraph_nodes::catalog();
    let mut g = Graph::new();
    let mut prev = g.add_node("in", c.get("input").unwrap(), &[]).unwrap();
    for k in 0..n {
        let id = g
            .add_node(
                format!("g{k}"),
                c.get("gain").unwrap(),
                &[("gain".into(), ParamValue::Number(-0.01))],
            )
            .unwrap();
        g.connect_ports(prev, 0, id, 0).unwrap();
        prev = id;
    }
    let out = g.add_node("out", c.get("output").unwrap(), &[]).unwrap();
    g.connect_ports(prev, 0, out, 0).unwrap();
    g
}

fn strips(strips: usize, per_strip: usize) -> Graph {
    let c = mixgraph_nodes::catalog();
    let mut g = Graph::new();
    let out = g.add_node("out", c.get("output").unwrap(), &[]).unwrap();
    for s in 0..strips {
        let mut prev = g
            .add_node(format!("in{s}"), c.get("input").unwrap(), &[])
            .unwrap();
        for k in 0..per_strip {
            let id = g
                .add_node(format!("s{s}g{k}"), c.get("gain").unwrap(), &[])
                .unwrap();
            g.connect_ports(prev, 0, id, 0).unwrap();
            prev = id;
        }
        g.connect_ports(prev, 0, out, 0).unwrap();
    }
    g
}

fn bench(c: &mut Criterion) {
    let config = CompileConfig::new(48_000.0, 1024);
    let chain = series(10_000);
    assert_eq!(chain.node_count(), 10_002);
    c.bench_function("compile 10,000-node series chain", |b| {
        b.iter(|| compile(&chain, &config).unwrap())
    });
    let wide = strips(100, 99);
    assert_eq!(wide.node_count(), 10_001);
    c.bench_function("compile 100 strips x 99 nodes into one sum", |b| {
        b.iter(|| compile(&wide, &config).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
