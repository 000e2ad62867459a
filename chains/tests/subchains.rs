//! Subchains: files used as nodes, flattened into the outer graph with `outer/inner` names,
//! their inputs and outputs dissolved; include loops and nesting depth.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test with its location"
)]

mod common;

use std::path::Path;

use common::{assert_close, assert_mentions, catalog, compile, run, signal};
use mixgraph_chains::{ChainError, load_file, validate};

/// A mastering-like chain: one stereo input, two gains in series, one output.
const MASTER: &str = r#"Chain(
    name: "master",
    inputs: ["in"],
    outputs: ["out"],
    series: [
        Node(name: "trim", kind: "gain", params: {"gain": -6.0}),
        Node(name: "final", kind: "gain", params: {"gain": 2.0}),
    ],
)
"#;

/// A chain with one input `in` and one output `out`, and `body` (`series: [...]`, ...).
fn one_in_one_out(body: &str) -> String {
    format!("Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    {body},\n)\n")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn db(x: f64) -> f32 {
    10f64.powf(x / 20.0) as f32
}

#[test]
fn a_subchain_used_twice_is_flattened_with_prefixed_names_and_renders_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "lib/master.ron", MASTER);
    let main = write(
        dir.path(),
        "main.ron",
        r#"Chain(
    inputs: ["a", "b"],
    outputs: ["x", "y"],
    nodes: [
        Node(name: "left", chain: "lib/master.ron"),
        Node(name: "right", chain: "./lib/master.ron"),
    ],
    connections: [["a", "left", "x"], ["b", "right.in"], ["right", "y"]],
)
"#,
    );
    let chain = validate(&load_file(&main).unwrap(), &catalog()).unwrap();
    let mut names: Vec<String> = chain.graph().nodes().map(|(_, n)| n.name.clone()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "a",
            "b",
            "left/final",
            "left/trim",
            "right/final",
            "right/trim",
            "x",
            "y"
        ]
    );
    // The dissolved inputs and outputs connect straight through.
    let edges: Vec<(String, String)> = chain
        .graph()
        .connections()
        .map(|(a, _, b)| {
            let g = chain.graph();
            (
                g.node(a).unwrap().name.clone(),
                g.node(b).unwrap().name.clone(),
            )
        })
        .collect();
    assert!(
        edges.contains(&("a".into(), "left/trim".into())),
        "{edges:?}"
    );
    assert!(
        edges.contains(&("left/final".into(), "x".into())),
        "{edges:?}"
    );

    let mut s = compile(&chain, 256, &[("a", 2), ("b", 1)]);
    let (a, b) = (signal(1, 2, 1000), signal(2, 1, 1000));
    let out = run(&mut s, &[("a", a.clone()), ("b", b.clone())]);
    let g = db(-6.0) * db(2.0);
    let expect = |x: &[f32]| x.iter().map(|v| v * g).collect::<Vec<f32>>();
    let x = &out.iter().find(|(n, _)| n == "x").unwrap().1;
    let y = &out.iter().find(|(n, _)| n == "y").unwrap().1;
    assert_eq!((x.len(), y.len()), (2, 1));
    assert_close(&x[0], &expect(&a[0]), 1e-6);
    assert_close(&x[1], &expect(&a[1]), 1e-6);
    assert_close(&y[0], &expect(&b[0]), 1e-6);
}

#[test]
fn nested_subchains_are_named_by_their_full_path() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "master.ron", MASTER);
    // A bus that runs its input through the master and adds a dry copy at its output.
    write(
        dir.path(),
        "sub/bus.ron",
        r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [
        Node(name: "m", chain: "../master.ron"),
        Node(name: "dry", kind: "gain", params: {"gain": -20.0}),
    ],
    connections: [["in", "m", "out"], ["in", "dry", "out"]],
)
"#,
    );
    let main = write(
        dir.path(),
        "main.ron",
        &one_in_one_out("series: [Node(name: \"bus\", chain: \"sub/bus.ron\")]"),
    );
    let chain = validate(&load_file(&main).unwrap(), &catalog()).unwrap();
    let mut names: Vec<String> = chain.graph().nodes().map(|(_, n)| n.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["bus/dry", "bus/m/final", "bus/m/trim", "in", "out"]);
    let input = signal(3, 2, 700);
    let mut s = compile(&chain, 64, &[("in", 2)]);
    let out = run(&mut s, &[("in", input.clone())]);
    // Fan-out at the dissolved input, fan-in (a sum) at the dissolved output.
    let g = db(-6.0) * db(2.0) + db(-20.0);
    assert_eq!(out[0].1.len(), 2);
    for (got, x) in out[0].1.iter().zip(&input) {
        let expect: Vec<f32> = x.iter().map(|v| v * g).collect();
        assert_close(got, &expect, 1e-6);
    }
}

#[test]
fn a_subchain_port_named_explicitly_reaches_the_right_inner_input() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ducker.ron",
        r#"Chain(
    inputs: ["in", Input(name: "key", channels: 1)],
    outputs: ["out"],
    nodes: [Node(name: "d", kind: "duck")],
    connections: [["in", "d", "out"], ["key", "d.key"]],
)
"#,
    );
    let main = write(
        dir.path(),
        "main.ron",
        r#"Chain(
    inputs: ["music", Input(name: "voice", channels: 1)],
    outputs: ["out"],
    nodes: [Node(name: "duck", chain: "ducker.ron")],
    connections: [["music", "duck", "out"], ["voice", "duck.key"]],
)
"#,
    );
    let chain = validate(&load_file(&main).unwrap(), &catalog()).unwrap();
    let g = chain.graph();
    let d = g.node_id("duck/d").unwrap();
    let into_d: Vec<(String, usize)> = g
        .connections()
        .filter(|(_, _, b)| *b == d)
        .map(|(a, c, _)| (g.node(a).unwrap().name.clone(), c.to_port))
        .collect();
    assert_eq!(into_d, [("music".to_string(), 0), ("voice".to_string(), 1)]);
    // The optional key port can be left unconnected; the main input cannot.
    let no_key = std::fs::read_to_string(&main)
        .unwrap()
        .replace(", [\"voice\", \"duck.key\"]", "")
        .replace(", Input(name: \"voice\", channels: 1)", "");
    write(dir.path(), "main.ron", &no_key);
    validate(&load_file(&main).unwrap(), &catalog()).unwrap();
    let no_main = no_key.replace(
        "[\"music\", \"duck\", \"out\"]",
        "[\"music\", \"out\"], [\"duck\", \"out\"]",
    );
    write(dir.path(), "main.ron", &no_main);
    let e = validate(&load_file(&main).unwrap(), &catalog()).unwrap_err();
    assert!(
        matches!(&e, ChainError::UnconnectedInput { node, port, .. } if node == "duck" && port == "in"),
        "{e:?}"
    );
}

#[test]
fn an_error_inside_a_subchain_points_into_the_subchain_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.ron",
        &one_in_one_out(
            "series: [\n        Node(kind: \"gain\", params: {\"gain\": 99.0}),\n    ]",
        ),
    );
    let main = write(
        dir.path(),
        "main.ron",
        &one_in_one_out("series: [Node(chain: \"bad.ron\")]"),
    );
    let e = validate(&load_file(&main).unwrap(), &catalog()).unwrap_err();
    assert!(matches!(&e, ChainError::ParamOutOfRange { .. }), "{e:?}");
    let at = e.location().unwrap();
    assert!(at.file.ends_with("bad.ron"), "{at}");
    assert_eq!(at.line(), Some(5));
}

#[test]
fn a_chain_including_itself_is_an_include_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "self.ron",
        &one_in_one_out("series: [Node(chain: \"self.ron\")]"),
    );
    let e = validate(&load_file(&main).unwrap(), &catalog()).unwrap_err();
    match &e {
        ChainError::IncludeCycle { cycle, at } => {
            assert_eq!(cycle.len(), 2);
            assert!(cycle.iter().all(|c| c.ends_with("self.ron")), "{cycle:?}");
            assert_eq!(at.line(), Some(4));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_indirect_include_cycle_names_every_file_of_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let include = |target: &str| one_in_one_out(&format!("series: [Node(chain: \"{target}\")]"));
    let main = write(dir.path(), "a.ron", &include("b.ron"));
    write(dir.path(), "b.ron", &include("sub/c.ron"));
    write(dir.path(), "sub/c.ron", &include("../a.ron"));
    let e = validate(&load_file(&main).unwrap(), &catalog()).unwrap_err();
    match &e {
        ChainError::IncludeCycle { cycle, at } => {
            let files: Vec<&str> = cycle
                .iter()
                .map(|c| Path::new(c).file_name().unwrap().to_str().unwrap())
                .collect();
            assert_eq!(files, ["a.ron", "b.ron", "c.ron", "a.ron"]);
            assert!(at.file.ends_with("c.ron"), "{at}");
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["include each other in a loop", " -> "]);
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let body = if i == 39 {
            "series: [\"gain\"]".to_string()
        } else {
            format!("series: [Node(chain: \"c{}.ron\")]", i + 1)
        };
        write(dir.path(), &format!("c{i}.ron"), &one_in_one_out(&body));
    }
    let e = validate(&load_file(dir.path().join("c0.ron")).unwrap(), &catalog()).unwrap_err();
    assert!(matches!(&e, ChainError::TooDeep { limit: 32, .. }), "{e:?}");
    // Exactly at the limit is fine.
    let ok = validate(&load_file(dir.path().join("c7.ron")).unwrap(), &catalog()).unwrap();
    assert_eq!(ok.graph().node_count(), 3);
}

#[test]
fn exponential_inclusion_hits_the_node_limit_instead_of_running_away() {
    // Each level uses the next one twice: 2^30 copies if nothing stopped it.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        let body = if i == 29 {
            "series: [\"gain\"]".to_string()
        } else {
            format!(
                "nodes: [Node(name: \"x\", chain: \"c{n}.ron\"), Node(name: \"y\", chain: \"c{n}.ron\")],\n    connections: [[\"in\", \"x\", \"out\"], [\"in\", \"y\", \"out\"]]",
                n = i + 1
            )
        };
        write(dir.path(), &format!("c{i}.ron"), &one_in_one_out(&body));
    }
    let start = std::time::Instant::now();
    let e = validate(&load_file(dir.path().join("c0.ron")).unwrap(), &catalog()).unwrap_err();
    assert!(matches!(&e, ChainError::TooManyNodes { .. }), "{e:?}");
    assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
}

#[test]
fn a_pass_through_subchain_connects_its_outer_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "wire.ron",
        &one_in_one_out("connections: [[\"in\", \"out\"]]"),
    );
    let main = write(
        dir.path(),
        "main.ron",
        &one_in_one_out(
            "series: [\"gain\", Node(name: \"w1\", chain: \"wire.ron\"), Node(name: \"w2\", chain: \"wire.ron\")]",
        ),
    );
    let chain = validate(&load_file(&main).unwrap(), &catalog()).unwrap();
    let g = chain.graph();
    let pairs: Vec<(String, String)> = g
        .connections()
        .map(|(a, _, b)| {
            (
                g.node(a).unwrap().name.clone(),
                g.node(b).unwrap().name.clone(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert!(pairs.contains(&("in".into(), "gain".into())));
    assert!(pairs.contains(&("gain".into(), "out".into())));
}

#[test]
fn a_loop_through_subchain_ports_alone_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "wire.ron",
        &one_in_one_out("connections: [[\"in\", \"out\"]]"),
    );
    let main = write(
        dir.path(),
        "main.ron",
        &one_in_one_out(
            "nodes: [Node(name: \"w\", chain: \"wire.ron\"), Node(name: \"g\", kind: \"gain\")],\n    connections: [[\"in\", \"g\", \"w\", \"out\"], [\"w\", \"w\"]]",
        ),
    );
    let e = validate(&load_file(&main).unwrap(), &catalog()).unwrap_err();
    assert!(
        matches!(&e, ChainError::Cycle { nodes, .. } if nodes.iter().any(|n| n == "w/in")),
        "{e:?}"
    );
}

#[test]
fn a_shipped_preset_is_found_by_its_bare_name_from_any_folder() {
    let text = r#"Chain(
    inputs: ["drums", "bass", "chords", "lead"],
    outputs: ["out"],
    nodes: [Node(name: "mix", chain: "mix-basic")],
    connections: [
        ["drums", "mix.drums"],
        ["bass", "mix.bass"],
        ["chords", "mix.chords"],
        ["lead", "mix.lead"],
        ["mix.mix", "out"],
    ],
)
"#;
    let spec =
        mixgraph_chains::load_str(text, mixgraph_chains::Origin::named("session.ron")).unwrap();
    let chain = validate(&spec, &mixgraph_nodes::catalog()).unwrap();
    assert!(chain.graph().node_id("mix/bus").is_some());
}
