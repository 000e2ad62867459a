//! Untrusted input: chains shared by strangers. Mangled text never panics and every error
//! points inside the text; large chains validate in linear time.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test with its location"
)]

mod common;

use mixgraph_chains::{ChainSpec, NodeSpec, Origin, load_str, validate};
use proptest::prelude::*;

/// A valid chain using every construct, to mangle.
const SEED: &str = r#"Chain(
    name: "seed",
    sample_rate: 48000,
    inputs: ["in", Input(name: "key", channels: 1)],
    outputs: [Output(name: "out", from: "d", format: Pcm16, dither: Tpdf), "copy"],
    nodes: [
        Node(name: "d", kind: "duck", params: {"depth": -12.0, "mode": "hard", "enabled": true},
             automation: {"depth": [(0.0, -12.0), (1.5, -30.0, Step)]}),
        Node(name: "f", kind: "fork"),
        Node(name: "m", kind: "probe"),
    ],
    series: ["gain", Node(kind: "gain", params: {"gain": -3.0})],
    connections: [
        ["gain-2", "f"],
        ["f.a", "d"],
        ["f.b", "m"],
        ["key", "d.key"],
        ["gain-2", "copy"],
    ],
)
"#;

#[test]
fn the_seed_is_valid() {
    common::check(SEED).unwrap();
}

/// Applies an edit: delete a span, insert text, or duplicate a span, at char positions.
fn mangle(text: &str, kind: u8, at: usize, len: usize, insert: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + len).min(chars.len());
    let mut out: Vec<char> = chars[..at].to_vec();
    match kind % 3 {
        0 => out.extend_from_slice(&chars[end..]),
        1 => {
            out.extend(insert.chars());
            out.extend_from_slice(&chars[at..]);
        }
        _ => {
            out.extend_from_slice(&chars[at..end]);
            out.extend_from_slice(&chars[at..]);
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mangled_chains_give_located_errors_and_never_panic(
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), 0usize..40, "[ -~\n]{0,12}"), 1..4)
    ) {
        let mut text = SEED.to_string();
        for (kind, at, len, insert) in &edits {
            text = mangle(&text, *kind, *at, *len, insert);
        }
        let lines = text.split('\n').count();
        if let Err(e) = common::check(&text) {
            if let Some(p) = e.location().and_then(|l| l.position) {
                prop_assert!(p.line >= 1 && p.line <= lines, "{} is outside the text:\n{}", e, text);
            }
        }
    }
}

#[test]
fn a_series_of_50000_nodes_validates_quickly() {
    let spec = ChainSpec {
        inputs: vec![mixgraph_chains::InputSpec::new("in")],
        outputs: vec![mixgraph_chains::OutputSpec::new("out")],
        series: (0..50_000).map(|_| NodeSpec::of_kind("gain")).collect(),
        origin: Origin::named("big.ron"),
        ..ChainSpec::default()
    };
    let start = std::time::Instant::now();
    let chain = validate(&spec, &common::catalog()).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(chain.graph().node_count(), 50_002);
    assert!(elapsed.as_secs_f64() < 2.0, "{elapsed:?}");
}

#[test]
fn a_wide_chain_of_50000_parallel_nodes_validates_quickly() {
    let mut text =
        String::from("Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n");
    for i in 0..50_000 {
        text.push_str(&format!("        Node(name: \"g{i}\", kind: \"gain\"),\n"));
    }
    text.push_str("    ],\n    connections: [\n");
    for i in 0..50_000 {
        text.push_str(&format!("        [\"in\", \"g{i}\", \"out\"],\n"));
    }
    text.push_str("    ],\n)\n");
    let start = std::time::Instant::now();
    let spec = load_str(&text, Origin::named("wide.ron")).unwrap();
    let chain = validate(&spec, &common::catalog()).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(chain.graph().connections().count(), 100_000);
    assert!(elapsed.as_secs_f64() < 2.0, "{elapsed:?}");
}
