//! Cutting mastering chains at their limiter: which chains fit (one input, one limiter that
//! every path to the output passes), the errors for those that do not, and the graphs built
//! for a render: a gain in front of the limiter with the ceiling set, or the gain alone.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic there is a failed test"
)]

use mixgraph_chains::{Origin, ValidChain, load_str, validate};
use mixgraph_engine::Graph;
use mixgraph_mastering::master::{MasterChain, MasterError, RenderSettings};

fn chain(ron: &str) -> ValidChain {
    let spec = load_str(ron, Origin::named("test")).unwrap();
    validate(&spec, &mixgraph_nodes::catalog()).unwrap()
}

fn preset(name: &str) -> ValidChain {
    let spec = mixgraph_chains::presets::get(name).unwrap().load().unwrap();
    validate(&spec, &mixgraph_nodes::catalog()).unwrap()
}

/// (kind, name) of every node, sorted, and every connection as "from -> to".
fn shape(g: &Graph) -> (Vec<(String, String)>, Vec<String>) {
    let mut nodes: Vec<(String, String)> = g
        .nodes()
        .map(|(_, n)| (n.kind_name().to_string(), n.name.clone()))
        .collect();
    nodes.sort();
    let name = |id| g.node(id).unwrap().name.clone();
    let mut edges: Vec<String> = g
        .connections()
        .map(|(a, _, b)| format!("{} -> {}", name(a), name(b)))
        .collect();
    edges.sort();
    (nodes, edges)
}

const LIMITING: RenderSettings = RenderSettings {
    gain_db: 4.5,
    ceiling_dbtp: -1.3,
    limiting: true,
};

#[test]
fn the_default_chain_is_a_gain_into_the_limiter() {
    let c = MasterChain::new(&preset("master-default"), "master-default").unwrap();
    assert!(
        c.pre_graph().is_none(),
        "the input feeds the limiter directly"
    );
    assert_eq!(
        (c.input_name(), c.output_name(), c.limiter_name()),
        ("in", "out", "limiter")
    );
    let g = c.post_graph(&LIMITING).unwrap();
    let (nodes, edges) = shape(&g);
    assert_eq!(
        nodes,
        [
            ("gain", "mastering gain"),
            ("input", "in"),
            ("limiter", "limiter"),
            ("output", "out")
        ]
        .map(|(k, n)| (k.to_string(), n.to_string()))
    );
    assert_eq!(
        edges,
        [
            "in -> mastering gain",
            "limiter -> out",
            "mastering gain -> limiter"
        ]
    );
    let gain = g.node(g.node_id("mastering gain").unwrap()).unwrap();
    assert_eq!(gain.params.number("gain"), 4.5);
    let limiter = g.node(g.node_id("limiter").unwrap()).unwrap();
    assert_eq!(limiter.params.number("ceiling"), -1.3);
    assert_eq!(limiter.params.number("input_gain"), 0.0);
    assert_eq!(
        limiter.params.number("lookahead"),
        5.0,
        "the chain's own settings stay"
    );
    // Gain only: the limiter is left out and the gain feeds what followed it.
    let g = c
        .post_graph(&RenderSettings {
            limiting: false,
            ..LIMITING
        })
        .unwrap();
    assert_eq!(
        shape(&g).1,
        ["in -> mastering gain", "mastering gain -> out"]
    );
    assert!(g.node_id("limiter").is_none());
}

#[test]
fn a_chain_with_processing_before_the_limiter_is_cut_in_two() {
    let c = MasterChain::new(&preset("master-streaming"), "master-streaming").unwrap();
    let pre = c.pre_graph().expect("a pre-limiter graph");
    let (nodes, edges) = shape(pre);
    let kinds: Vec<&str> = nodes.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["compressor", "highpass", "input", "output"]);
    assert_eq!(
        edges,
        [
            "glue -> mastering pre".to_string(),
            "in -> subsonic".to_string(),
            "subsonic -> glue".to_string()
        ]
    );
    let settings = c.limiter_settings();
    assert_eq!((settings.ceiling_dbtp, settings.release_ms), (-1.0, 100.0));
    // After the limiter: the meter stays in the post graph.
    let (_, edges) = shape(&c.post_graph(&LIMITING).unwrap());
    assert_eq!(
        edges,
        [
            "in -> mastering gain",
            "limiter -> meter",
            "mastering gain -> limiter",
            "meter -> out"
        ]
    );
}

#[test]
fn a_subchain_limiter_is_found_and_its_output_format_is_ignored() {
    // master-cd includes master-streaming: its limiter is `master/limiter`.
    let c = MasterChain::new(&preset("master-cd"), "master-cd").unwrap();
    assert_eq!(c.limiter_name(), "master/limiter");
    assert!(c.pre_graph().is_some());
}

#[test]
fn a_mono_file_into_a_stereo_input_gets_a_pass_through_pre_graph() {
    let c = MasterChain::new(
        &chain(r#"Chain(inputs: [Input(name: "in", channels: 2)], outputs: ["out"], series: ["limiter"])"#),
        "stereo",
    )
    .unwrap();
    assert!(c.pre_graph_for(2).unwrap().is_none());
    let pre = c
        .pre_graph_for(1)
        .unwrap()
        .expect("the input duplicates the mono file");
    assert_eq!(shape(&pre).1, ["in -> mastering pre"]);
}

fn refused(ron: &str) -> MasterError {
    match MasterChain::new(&chain(ron), "test") {
        Ok(_) => panic!("accepted: {ron}"),
        Err(e) => {
            assert!(e.is_input_error(), "{e}");
            e
        }
    }
}

#[test]
fn chains_that_do_not_fit_are_refused_with_the_reason() {
    let e = refused(r#"Chain(inputs: ["in"], outputs: ["out"], series: ["gain"])"#);
    assert!(matches!(e, MasterError::NoLimiter { .. }), "{e}");
    assert!(e.to_string().contains("no `limiter` node"), "{e}");

    let e = refused(r#"Chain(inputs: ["in"], outputs: ["out"], series: ["limiter", "limiter"])"#);
    let MasterError::SeveralLimiters { names, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(names.len(), 2);

    let e = refused(
        r#"Chain(inputs: ["a", "b"], outputs: ["out"], nodes: [Node(name: "mix", kind: "sum"), Node(name: "lim", kind: "limiter")],
           connections: [["a", "mix"], ["b", "mix"], ["mix", "lim", "out"]])"#,
    );
    assert!(matches!(e, MasterError::InputCount { found: 2, .. }), "{e}");

    // A dry path around the limiter into the output.
    let e = refused(
        r#"Chain(inputs: ["in"], outputs: ["out"],
           nodes: [Node(name: "lim", kind: "limiter"), Node(name: "mix", kind: "sum")],
           connections: [["in", "lim", "mix", "out"], ["in", "mix"]])"#,
    );
    let MasterError::LimiterBypassed { node, from, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!((node.as_str(), from.as_str()), ("mix", "in"));

    // The delivered output taken before the limiter.
    let e = refused(
        r#"Chain(inputs: ["in"], outputs: [Output(name: "out", from: "hp"), Output(name: "limited", from: "lim")],
           nodes: [Node(name: "hp", kind: "highpass"), Node(name: "lim", kind: "limiter")],
           connections: [["in", "hp", "lim"]])"#,
    );
    assert!(matches!(e, MasterError::OutputNotLimited { .. }), "{e}");

    let e = refused(
        r#"Chain(inputs: ["in"], outputs: ["out"],
           series: [Node(name: "lim", kind: "limiter", automation: {"ceiling": [(0.0, -1.0), (1.0, -2.0)]})])"#,
    );
    let MasterError::LimiterAutomated { param, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(param, "ceiling");
}
